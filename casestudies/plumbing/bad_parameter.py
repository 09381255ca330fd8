"""Bad input as an exception that becomes a clear 400 page, never a 500.

Views (and the filters and extracts they call) raise :class:`BadParameter`;
:class:`BadParameterMiddleware` turns it into a 400 response in the site's
layout (or plain text for machine-readable URLs) naming the parameter and the
allowed values.
"""

from collections.abc import Iterable

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

MAX_ALLOWED_SHOWN = 40


class BadParameter(Exception):
    def __init__(self, param: str, message: str, allowed: Iterable[str] | None = None):
        self.param = param
        self.message = message
        self.allowed = list(allowed) if allowed is not None else []
        super().__init__(self.text)

    @property
    def text(self) -> str:
        text = f"Parameter '{self.param}': {self.message}"
        if self.allowed:
            shown = self.allowed[:MAX_ALLOWED_SHOWN]
            more = (
                f" (and {len(self.allowed) - len(shown)} more)"
                if len(self.allowed) > len(shown)
                else ""
            )
            text += f" Allowed values: {', '.join(shown)}{more}."
        return text


def _wants_plain_text(request) -> bool:
    path = request.path
    return path.endswith((".csv", ".json", ".zip"))


def bad_parameter_response(request, exc: BadParameter) -> HttpResponse:
    if _wants_plain_text(request):
        return HttpResponse(exc.text + "\n", status=400, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "error.html",
        {
            "status": 400,
            "title": gettext("Bad request"),
            "message": exc.message,
            "param": exc.param,
            "allowed": exc.allowed[:MAX_ALLOWED_SHOWN],
        },
        status=400,
    )


class BadParameterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BadParameter):
            return bad_parameter_response(request, exception)
        return None
