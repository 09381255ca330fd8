"""Error pages in the site's layout. They never show internals to the visitor."""

from django.shortcuts import render


def _render(request, status: int, title: str, message: str):
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    return _render(request, 400, "Bad request", str(exception) if exception else "")


def permission_denied(request, exception=None):
    return _render(request, 403, "Forbidden", "You do not have permission to see this page.")


def page_not_found(request, exception=None):
    message = ""
    if exception is not None and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    return _render(request, 404, "Not found", message)


def server_error(request):
    # Rendered without a request context on purpose: it must not fail itself.
    return render(request, "500.html", status=500)
