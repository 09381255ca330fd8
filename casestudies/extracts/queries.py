"""Which rows an extract holds: exactly the case list's query, every page, in its order."""

from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import QueryDict

from ..facets import CaseQuery
from ..plumbing.bad_parameter import BadParameter
from .records import CaseRecord, iter_records

# Parameters of the extract itself, not of the case list: they never reach the selector.
EXTRACT_PARAMS = ("bom", "page", "lang")


def list_query(params: QueryDict) -> QueryDict:
    """The case-list part of a query string (without ``bom``, ``page`` and ``lang``)."""
    query = params.copy()
    for key in EXTRACT_PARAMS:
        query.pop(key, None)
    return query


def wants_bom(params: QueryDict) -> bool:
    value = params.get("bom", "0")
    if value not in ("0", "1"):
        raise BadParameter("bom", "must be 1 (add a byte-order mark for Excel) or 0.", ["0", "1"])
    return value == "1"


def label_language(params: QueryDict) -> str | None:
    """The language of the label columns ``lang`` asks for (docs/extracts.md), or None."""
    if "lang" not in params:
        return None
    value = params.get("lang")
    codes = [code for code, _name in settings.LANGUAGES]
    if value not in codes:
        raise BadParameter(
            "lang",
            "the language of the added label columns; the codes and every other column "
            "are the same in every language.",
            codes,
        )
    return value


def cases_for_extract(params: QueryDict):
    """The published cases of the query, in the list's order.

    Raises BadParameter for a bad query; returns a lazy queryset.
    """
    return CaseQuery(list_query(params)).cases


_END = object()


def primed(queryset, *, full: bool = True) -> Iterator[CaseRecord]:
    """Records of the queryset in chunks, running the first chunk's queries now.

    A view calls this before it returns its streaming response, so a query that
    fails does so as an ordinary error (a 400 or 500 page), never as a CSV that
    stops half-way but looks complete.
    """
    rows = iter_records(queryset, full=full)
    first = next(rows, _END)

    def generate():
        if first is _END:
            return
        yield first
        yield from rows

    return generate()


def outcome_pairs(records: Iterable[CaseRecord]) -> Iterator[tuple]:
    for record in records:
        for outcome in record.outcomes:
            yield (record, outcome)
