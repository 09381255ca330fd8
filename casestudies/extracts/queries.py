"""Which rows an extract holds: exactly the case list's query, every page, in its order."""

from collections.abc import Iterator

from django.db.models import Prefetch
from django.http import QueryDict

from ..errors import BadParameter
from ..models import Country, Outcome
from ..selectors import published_cases_for_query
from .columns import related
from .writers import iter_chunked

# Parameters of the extract itself, not of the case list: they never reach the selector.
EXTRACT_PARAMS = ("bom", "page")


def list_query(params: QueryDict) -> QueryDict:
    """The case-list part of a query string (without ``bom`` and ``page``)."""
    query = params.copy()
    for key in EXTRACT_PARAMS:
        query.pop(key, None)
    return query


def wants_bom(params: QueryDict) -> bool:
    value = params.get("bom", "0")
    if value not in ("0", "1"):
        raise BadParameter("bom", "must be 1 (add a byte-order mark for Excel) or 0.", ["0", "1"])
    return value == "1"


def cases_for_extract(params: QueryDict):
    """The published cases of the query with everything a row needs pre-loaded.

    Raises BadParameter for a bad query; runs no query itself.
    """
    return published_cases_for_query(list_query(params)).with_related()


def cases_for_outcomes(params: QueryDict):
    """The same cases with only what the long outcomes extract needs."""
    return published_cases_for_query(list_query(params)).prefetch_related(
        Prefetch("countries", queryset=Country.objects.only("code", "name")),
        Prefetch(
            "outcomes",
            queryset=Outcome.objects.select_related("dimension", "direction").order_by(
                "dimension__order", "dimension__label"
            ),
        ),
    )


_END = object()


def primed(queryset) -> Iterator:
    """Iterate the queryset in chunks, running the first chunk's queries now.

    A view calls this before it returns its streaming response, so a query that
    fails does so as an ordinary error (a 400 or 500 page), never as a CSV that
    stops half-way but looks complete.
    """
    rows = iter_chunked(queryset)
    first = next(rows, _END)

    def generate():
        if first is _END:
            return
        yield first
        yield from rows

    return generate()


def outcome_pairs(cases) -> Iterator[tuple]:
    for case in cases:
        for outcome in related(case, "outcomes"):
            yield (case, outcome)
