"""Error pages in the site's layout. They never show internals to the visitor."""

import re

from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.utils.translation import gettext

# get_object_or_404's message names a model ("No Case matches the given query."):
# an internal detail, not something a visitor can act on.
_INTERNAL_404 = re.compile(r"^No \w+ matches the given query\.$")


def _render(request, status: int, title: str, message: str, **extra):
    context = {"status": status, "title": title, "message": message, **extra}
    return render(request, "error.html", context, status=status)


def _search_words(path: str) -> str:
    """Words a visitor probably looked for, from the last part of the path.

    ``/cases/parent-co-ops-sweden/`` suggests "parent co ops sweden".
    """
    last = path.rstrip("/").rsplit("/", 1)[-1]
    words = re.sub(r"[^\w]+", " ", last.replace("_", " ")).strip()
    return words[:100]


def bad_request(request, exception=None):
    # A view's deliberate BadRequest explains itself; a SuspiciousOperation's text
    # (a rejected host header, a tampered cookie) is for the log, not the visitor.
    message = str(exception) if isinstance(exception, BadRequest) else ""
    return _render(request, 400, gettext("Bad request"), message)


def permission_denied(request, exception=None):
    return _render(
        request,
        403,
        gettext("Forbidden"),
        gettext("You do not have permission to see this page."),
    )


def page_not_found(request, exception=None):
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
        if _INTERNAL_404.match(message):
            message = ""
    title = gettext("Page not found")
    return _render(request, 404, title, message, suggested_q=_search_words(request.path))


def server_error(request):
    # Rendered without a request context on purpose: it must not fail itself.
    return render(request, "500.html", status=500)
