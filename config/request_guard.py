"""Refuse an address no page can serve before any view or template reads it.

Django parses ``request.GET`` lazily and raises ``TooManyFieldsSent`` for more
than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters. Raised inside a page, the 400
handler's own template reads ``request.GET`` again (the search box keeps the
query) and the second failure becomes a 500. Parsing here, once, answers a clear
400 instead and leaves the error page an empty query to render.

A NUL character in the path (``/countries/SE%00/``) names no page, and PostgreSQL
refuses it in any text it is asked to compare: a view looking the segment up
failed with a 500. (NUL in a query parameter is refused by the parameter's own
validation, which names the parameter.)
"""

from django.conf import settings
from django.core.exceptions import BadRequest, TooManyFieldsSent
from django.http import QueryDict

from casestudies.plumbing.bad_parameter import BadParameter, bad_parameter_response
from casestudies.views.error_pages import bad_request


class QueryStringGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            request.GET = QueryDict()
            problem = BadRequest("The address contains a NUL character (%00); no page has one.")
            return bad_request(request, problem)
        try:
            request.GET  # noqa: B018 (parsing it is the point)
        except TooManyFieldsSent:
            request.GET = QueryDict()
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            problem = BadParameter("(query string)", f"more than {limit} parameters.")
            return bad_parameter_response(request, problem)
        return self.get_response(request)
