"""The case list's counts from the in-memory case index: the same as the SQL's, always.

casestudies/reads/case_index.py answers the disjunctive counts and the result count
from per-term bitmaps when it was built under the data stamp as committed now; these
tests hold it to the counting query (``CaseQuery._count_rows``) over random filter
combinations, to fresh counts after a write, and to SQL for what it cannot express.
"""

import random
from html import unescape

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casestudies.facets import OUTCOME_FACET, TERM_FACETS, CaseQuery
from casestudies.facets import query as facet_query
from casestudies.models import Case, CaseStatus, PolicyField
from casestudies.reads import case_index
from casestudies.reads.search_explain import explain

from . import factories
from .index_helpers import INDEX_TESTS, world_of

pytestmark = INDEX_TESTS

PARAMS = [f.param for f in TERM_FACETS] + [OUTCOME_FACET.param]
SEARCHES = ["harbour", "parents river", "garden council harbour", "nowhere", "!!"]


@pytest.fixture
def world():
    return world_of(random.Random(18))


def _both(query: QueryDict):
    """(from the index, from the counting query) for one list query."""
    in_memory = CaseQuery(query)._counts_in_memory()
    by_sql = CaseQuery(query)._count_rows(PARAMS)
    return in_memory, by_sql


@st.composite
def list_queries(draw, keys):
    query = QueryDict(mutable=True)
    for param in draw(st.lists(st.sampled_from(PARAMS), max_size=3, unique=True)):
        query.setlist(
            param, draw(st.lists(st.sampled_from(keys[param]), min_size=1, max_size=3, unique=True))
        )
    start = draw(st.sampled_from([None, None, 1990, 1996, 2005]))
    end = draw(st.sampled_from([None, None, 1995, 2005, 2010]))
    if start is not None and (end is None or start <= end):
        query["year_from"] = str(start)
    if end is not None and (start is None or start <= end):
        query["year_to"] = str(end)
    if q := draw(st.sampled_from([None, None, *SEARCHES])):
        query["q"] = q
    return query


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_index_counts_what_the_counting_query_counts(world, data):
    query = data.draw(list_queries(world))
    in_memory, by_sql = _both(query)
    assert in_memory is not None, query.urlencode()
    assert in_memory == by_sql, query.urlencode()
    assert in_memory["count"] == CaseQuery(query).cases.count()
    # The list's rows (read by id from the index when ranking a search): the SQL's.
    listed = [case.pk for case in CaseQuery(query).cases_for_list()]
    assert listed == list(CaseQuery(query).cases.values_list("pk", flat=True)), query.urlencode()


def test_every_term_and_pair_alone_and_the_unfiltered_list(world):
    for query in [QueryDict()] + [
        QueryDict(f"{param}={key}") for param in PARAMS for key in world[param]
    ]:
        in_memory, by_sql = _both(query)
        assert in_memory == by_sql, query.urlencode()


def test_a_filter_the_index_cannot_express_is_counted_in_sql(world, monkeypatch):
    later = Case.objects.published().filter(start_year__gte=2000)
    query = CaseQuery(QueryDict("q=harbour"), queryset=later)
    assert query._counts_in_memory() is None  # a base other than every published case
    assert query.count() == later.filter(pk__in=CaseQuery(QueryDict("q=harbour")).cases).count()
    monkeypatch.setattr(facet_query, "IN_MEMORY_FILTERS", facet_query.IN_MEMORY_FILTERS - {"q"})
    query = CaseQuery(QueryDict("q=harbour&year_from=1995"))
    assert query._counts_in_memory() is None
    assert query.count() == query.cases.count()


def _country_counts(query: str) -> dict[str, int]:
    panels = CaseQuery(QueryDict(query)).facet_panels()
    country = next(panel for panel in panels if panel.param == "country")
    return {value.key: value.count for value in country.values + country.empty}


@pytest.mark.django_db(transaction=True)
def test_a_write_makes_the_next_list_count_afresh(clock, settings):
    settings.FACET_CACHE_SECONDS = 0  # the cache is not what is tested
    se, dk = factories.CountryFactory(code="SE"), factories.CountryFactory(code="DK")
    field = factories.PolicyFieldFactory()
    factories.CaseFactory(countries=[se], policy_fields=[field])
    query = f"policy_field={field.slug}"
    assert _country_counts(query) == {"SE": 1, "DK": 0}
    kept = case_index.current("default")
    assert kept is not None and CaseQuery(QueryDict(query))._counts_in_memory() is not None
    factories.CaseFactory(countries=[dk], policy_fields=[field])
    # Moments after the last build: counted in SQL, already with the new case.
    assert CaseQuery(QueryDict(query))._counts_in_memory() is None
    assert _country_counts(query) == {"SE": 1, "DK": 1}
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert CaseQuery(QueryDict(query))._counts_in_memory() is not None
    assert case_index.current("default") is not kept
    assert _country_counts(query) == {"SE": 1, "DK": 1}
    Case.objects.filter(countries=dk).update(status=CaseStatus.DRAFT)
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert _country_counts(query) == {"SE": 1, "DK": 0}


@pytest.mark.django_db(transaction=True)
def test_a_kept_index_remembers_a_search_until_the_data_changes(clock, settings):
    settings.FACET_CACHE_SECONDS = 0
    factories.CaseFactory(title="Harbour boards", countries=[factories.CountryFactory()])

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert CaseQuery(QueryDict(query)).count() == 1
        return len(ctx.captured_queries)

    first = queries("q=harbour")  # builds the index, then finds the matches
    again = queries("q=harbour")
    assert again == first - 2  # neither the index nor the matches again
    factories.CaseFactory(title="Harbour pilots", status=CaseStatus.DRAFT)
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert queries("q=harbour") == first


@pytest.mark.django_db(transaction=True)
def test_a_searchs_hits_give_every_filter_and_page_in_relevance_order_without_a_query(
    clock, settings
):
    """The one query that finds a search's matches also groups them by rank: the next
    list of the same words, with other filters or on another page, ranks with no query
    of its own (only the synonyms and the stamp)."""
    from casestudies.facets.page import IndexedRows, list_rows

    settings.FACET_CACHE_SECONDS = 0
    se = factories.CountryFactory(code="SE")
    factories.CaseFactory(title="Harbour boards", summary="harbour harbour", countries=[se])
    factories.CaseFactory(title="Quays", summary="a harbour", countries=[se])
    factories.CaseFactory(title="Harbour pilots", countries=[factories.CountryFactory()])

    def listed(query: str) -> tuple[list[str], list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            listing = CaseQuery(QueryDict(query))
            listing.count()
            rows = list_rows(listing)
            assert isinstance(rows, IndexedRows), query
            titles = [case.title for case in rows[0:25]]
        return titles, [q["sql"] for q in ctx.captured_queries]

    listed("q=harbour")  # builds the index and meets the search
    titles, sql = listed("q=harbour")
    assert titles == ["Harbour boards", "Harbour pilots", "Quays"]
    assert not any("ts_rank" in statement for statement in sql)
    titles, sql = listed("q=harbour&country=SE")
    assert titles == ["Harbour boards", "Quays"]
    assert not any("ts_rank" in statement or "@@" in statement for statement in sql)


# Searches whose words are coded labels (the factories' "Policy field 3", "Country AB")
# of every kind, some several per case.
EXPLAINED = [
    "country",
    "policy field",
    "provider type or level",
    "phase",
    "participation form or participation dimension",
    "citizen role or method",
    "outcome dimension",
    "outcome direction",
    "welfare tradition",
    "world region",
]


def _explained(q: str, cases=None) -> tuple[dict, dict]:
    """(from the case index, from the query) of the list's first page for ``q``."""
    query = CaseQuery(QueryDict(f"q={q}"))
    index = query.case_index()
    assert index is not None, q
    listed = cases is None
    cases = list(query.cases_for_list()[:25]) if listed else cases
    with CaptureQueriesContext(connection) as ctx:
        from_index = explain(cases, query.filterset.search, connection, index)
    assert not listed or not ctx.captured_queries, q  # the coded values without a query
    return from_index, explain(cases, query.filterset.search, connection)


def test_the_index_explains_a_match_as_the_query_does(world):
    for q in EXPLAINED:
        from_index, by_query = _explained(q)
        assert from_index == by_query, q
        assert any(match.coded for match in from_index.values()), q
    # A case the index does not hold (a draft): the query, the same answer.
    draft = Case.objects.exclude(status=CaseStatus.PUBLISHED).select_related("chapter").first()
    from_index, by_query = _explained("country", [draft])
    assert from_index == by_query


@pytest.mark.django_db(transaction=True)
def test_the_index_explains_afresh_after_a_write(clock, settings):
    settings.FACET_CACHE_SECONDS = 0
    field = factories.PolicyFieldFactory(slug="pilots", label="Harbour pilots")
    say = factories.InfluenceLevelFactory(slug="say", label="Strong say")
    factories.CaseFactory(policy_fields=[field], users_influence=say)

    def coded(q: str) -> list[str]:
        from_index, by_query = _explained(q)
        assert from_index == by_query, q
        return [unescape(value) for match in from_index.values() for value in match.coded]

    assert coded("pilots") == ["Harbour pilots (policy field)"]
    assert coded("strong say") == ["Strong say (users' influence)"]
    kept = case_index.current("default")
    PolicyField.objects.filter(pk=field.pk).update(label="Harbour tugs", synonyms="river boats")
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert coded("tugs") == coded("river") == ["Harbour tugs (policy field)"]
    assert case_index.current("default") is not kept
    assert coded("pilots") == []


# --- the list's page from the index -------------------------------------------------


def _page_both(query: QueryDict, start: int, stop: int):
    """(the index's rows, the SQL's rows) of one window of a list query, with cells."""
    from casestudies.facets.page import IndexedRows, cells_from_prefetched, list_rows

    listed = CaseQuery(query)
    rows = list_rows(listed)
    assert isinstance(rows, IndexedRows), query.urlencode()
    in_memory = rows[start:stop]
    by_sql = list(CaseQuery(query).cases_for_list()[start:stop])
    cells_from_prefetched(by_sql)
    return in_memory, by_sql


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_index_pages_the_list_as_the_sql_does(world, data):
    query = data.draw(list_queries(world))
    query["sort"] = data.draw(st.sampled_from(["title", "start_year", "country", "relevance"]))
    start = data.draw(st.sampled_from([0, 0, 3, 25, 50, 70]))
    in_memory, by_sql = _page_both(query, start, start + 25)
    assert [c.pk for c in in_memory] == [c.pk for c in by_sql], query.urlencode()
    assert [_shown(c.cells) for c in in_memory] == [_shown(c.cells) for c in by_sql]


def _shown(cells) -> tuple:
    """A row's cells as the page shows them (the template's ``localized`` filter)."""
    from casestudies.templatetags.languages import localized

    return (
        cells.countries,
        [str(localized(t)) for t in cells.policy_fields],
        [str(localized(t)) for t in cells.participation_forms],
    )


def test_the_index_gives_no_page_for_an_order_it_does_not_hold(world):
    from casestudies.facets.page import IndexedRows, list_rows

    query = CaseQuery(QueryDict("q=harbour&sort=updated"))
    assert not isinstance(list_rows(query), IndexedRows)
    for sort in ["relevance", "title"]:
        query = CaseQuery(QueryDict(f"q=harbour&sort={sort}"))
        assert isinstance(list_rows(query), IndexedRows)


# --- building in the background -----------------------------------------------------


class _Jobs:
    """An executor that keeps the builds it is given until the test runs them, each
    in a thread of its own (as in production: its own connection, its own snapshot)."""

    def __init__(self):
        self.jobs = []

    def submit(self, job):
        self.jobs.append(job)

    def run(self):
        import threading

        jobs, self.jobs = self.jobs, []
        for job in jobs:
            thread = threading.Thread(target=job)
            thread.start()
            thread.join()
        return len(jobs)


@pytest.fixture
def background(clock, settings, monkeypatch):
    settings.CASE_INDEX_BACKGROUND = True
    settings.FACET_CACHE_SECONDS = 0
    jobs = _Jobs()
    monkeypatch.setattr(case_index, "executor", jobs)
    return jobs


@pytest.mark.django_db(transaction=True)
def test_a_moved_stamp_is_rebuilt_in_the_background_while_sql_counts(background, clock):
    se, dk = factories.CountryFactory(code="SE"), factories.CountryFactory(code="DK")
    field = factories.PolicyFieldFactory()
    factories.CaseFactory(countries=[se], policy_fields=[field])
    query = f"policy_field={field.slug}"
    # No index yet: SQL counts, one build is started (and only one).
    assert case_index.current("default") is None
    assert _country_counts(query) == {"SE": 1, "DK": 0}
    assert case_index.current("default") is None
    assert background.run() == 1
    kept = case_index.current("default")
    assert kept is not None and kept.size == 1
    assert CaseQuery(QueryDict(query))._counts_in_memory() is not None
    # A write: SQL again at once (never the old index), with the new case.
    factories.CaseFactory(countries=[dk], policy_fields=[field])
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert CaseQuery(QueryDict(query))._counts_in_memory() is None
    assert _country_counts(query) == {"SE": 1, "DK": 1}
    assert background.run() == 1
    fresh = case_index.current("default")
    assert fresh is not None and fresh is not kept and fresh.size == 2
    assert fresh.stamp == CaseQuery(QueryDict(query)).current_stamp
    assert _country_counts(query) == {"SE": 1, "DK": 1}


@pytest.mark.django_db(transaction=True)
def test_background_builds_wait_between_changes_and_one_that_failed(background, clock, monkeypatch):
    factories.CaseFactory(countries=[factories.CountryFactory()])
    case_index.current("default")
    assert background.run() == 1
    factories.CaseFactory()
    # Moments after the last build: no build yet, SQL.
    assert case_index.current("default") is None
    assert background.run() == 0
    clock[0] += case_index.MIN_REBUILD_SECONDS

    def broken(using, stamp=None):
        raise RuntimeError("the database went away")

    working = case_index.build
    monkeypatch.setattr(case_index, "build", broken)
    assert case_index.current("default") is None
    assert background.run() == 1  # fails: logged, nothing kept
    assert case_index.current("default") is None
    assert background.run() == 0  # not retried at once
    monkeypatch.setattr(case_index, "build", working)
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert case_index.current("default") is None
    assert background.run() == 1
    assert case_index.current("default").size == 2
