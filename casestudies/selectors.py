"""Reads shared by the pages and the extracts.

``published_cases_for_query`` is the one place that turns a case-list query
string into cases: the list page, the matrix and every extract call it, so a
CSV always holds exactly the cases the list shows. The filtering, search and
sorting live in ``casestudies.facets``.
"""

from django.http import QueryDict

from .facets import CaseQuery


def case_query(params: QueryDict) -> CaseQuery:
    """The validated list query (cases, facets, chips). Raises ``BadParameter``.

    Runs one query per facet with ticked values (to look them up), nothing else.
    """
    return CaseQuery(params)


def published_cases_for_query(params: QueryDict):
    """Published cases selected by a case-list query, in the list's order.

    Applies every filter, the search and the sort of the list. Raises
    :class:`casestudies.errors.BadParameter` for a value it cannot use. Returns a
    lazy queryset; validating ticked facet values runs one query per such facet.
    """
    return CaseQuery(params).cases
