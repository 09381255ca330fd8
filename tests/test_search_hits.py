"""A search's hits (casestudies/facets/search_hits.py): found by one query, grouped by
rank, kept by the worker's case index and shared with the other workers' indexes
under the same data stamp."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from pyroaring import BitMap

from casestudies.facets import CaseQuery
from casestudies.facets.page import list_rows
from casestudies.reads import case_index

from . import factories
from .index_helpers import INDEX_TESTS

pytestmark = INDEX_TESTS


def test_hits_read_back_from_the_shared_cache_are_the_same():
    groups = [BitMap([3, 9]), BitMap([0, 1, 70_000]), BitMap()]
    hits = case_index.Hits(BitMap().union(*groups), groups)
    back = case_index.Hits.from_shared(hits.to_shared())
    assert back == hits
    unranked = case_index.Hits(BitMap([2, 5]))
    assert case_index.Hits.from_shared(unranked.to_shared()) == unranked


def _listed(query: str) -> tuple[list[str], list[str]]:
    """(the first page's titles, the statements run) of one list request."""
    with CaptureQueriesContext(connection) as ctx:
        listing = CaseQuery(QueryDict(query))
        listing.count()
        titles = [case.title for case in list_rows(listing)[0:25]]
    return titles, [q["sql"] for q in ctx.captured_queries]


def _finds(statements: list[str]) -> bool:
    return any("array_agg(s.id)" in sql for sql in statements)


@pytest.mark.django_db(transaction=True)
def test_another_worker_reads_a_searchs_hits_from_the_shared_cache(clock, settings):
    settings.FACET_CACHE_SECONDS = 60
    cache.clear()
    se = factories.CountryFactory(code="SE")
    factories.CaseFactory(title="Harbour boards", summary="harbour harbour", countries=[se])
    factories.CaseFactory(title="Quays", summary="a harbour", countries=[se])
    factories.CaseFactory(title="Harbour pilots")
    _listed("")  # builds this worker's index
    titles, statements = _listed("q=harbour")
    assert titles == ["Harbour boards", "Harbour pilots", "Quays"]
    assert _finds(statements)
    # Another worker: an index of its own under the same stamp, the shared cache.
    case_index.forget()
    _listed("")
    again, statements = _listed("q=harbour&country=SE")
    assert again == ["Harbour boards", "Quays"]
    assert not _finds(statements)
    # Counts not cached (FACET_CACHE_SECONDS = 0): each worker finds its own.
    settings.FACET_CACHE_SECONDS = 0
    case_index.forget()
    _listed("")
    assert _finds(_listed("q=harbour")[1])


@pytest.mark.django_db(transaction=True)
def test_shared_hits_are_never_read_under_another_stamp(clock, settings):
    settings.FACET_CACHE_SECONDS = 60
    cache.clear()
    factories.CaseFactory(title="Harbour boards")
    _listed("")
    assert _listed("q=harbour")[0] == ["Harbour boards"]
    factories.CaseFactory(title="A harbour school")  # moves the stamp
    clock[0] += case_index.MIN_REBUILD_SECONDS
    _listed("")  # the index again, under the new stamp
    titles, statements = _listed("q=harbour")
    assert titles == ["A harbour school", "Harbour boards"]
    assert _finds(statements)
