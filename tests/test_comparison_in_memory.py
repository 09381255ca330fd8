"""The map's and the outcomes view's counts from the in-memory case index equal SQL's.

casestudies/reads/case_index.py holds per-term bitmaps of the published cases; the
map (cases per country, shares of a coded value) and the outcomes view (cases per
group, outcome dimension and direction) count from them where the index holds the
data as committed now, else in SQL. These tests hold the two to each other over a
world with drafts, cases without a country, and countries without a welfare
tradition or world region (which SQL counts as "not stated").
"""

import random
from functools import partial

import pytest
from django.http import QueryDict

from casestudies.facets import OUTCOME_FACET, TERM_FACETS, CaseQuery
from casestudies.models import OutcomeDimension, OutcomeDirection
from casestudies.reads import choropleth, outcomes
from casestudies.reads.crosstab import count_by, crosstab
from casestudies.reads.matrix import AXES, OUTCOME_AXIS

from .index_helpers import INDEX_TESTS, world_of

pytestmark = INDEX_TESTS


@pytest.fixture
def world():
    keys = world_of(random.Random(15))
    rng = random.Random(16)
    queries = [QueryDict()]
    for facet in [*TERM_FACETS, OUTCOME_FACET]:
        queries.append(QueryDict(f"{facet.param}={rng.choice(keys[facet.param])}"))
    queries.append(QueryDict("year_from=1995&year_to=2005"))
    queries.append(QueryDict("q=harbour"))
    return queries


def _shares():
    """Every value a map can show the share of: (axis, term, outcome dimension)."""
    for axis in AXES.values():
        if axis is choropleth.COUNTRY:
            continue
        if axis is OUTCOME_AXIS:
            for dimension in OutcomeDimension.objects.all():
                for direction in OutcomeDirection.objects.all():
                    yield axis, direction, dimension
            continue
        for term in axis.model.objects.all():
            yield axis, term, None


def test_the_map_counts_from_the_index_what_sql_counts(world):
    countries = partial(choropleth.COUNTRY.source, dimension=None)
    for params in world:
        query = CaseQuery(params)
        case_ids = query.cases.order_by().values("pk")
        in_memory = choropleth._counts_in_memory(query, None, None, None)
        by_sql = count_by(case_ids, countries)
        assert in_memory is not None, params.urlencode()
        assert in_memory.rows == {k: n for k, n in by_sql.rows.items() if k is not None}
        assert in_memory.total == by_sql.total
        for axis, term, dimension in _shares():
            in_memory = choropleth._counts_in_memory(query, axis, term, dimension)
            if axis.key in ("welfare_tradition", "world_region"):
                assert in_memory is None  # counted in SQL: see _counts_in_memory
                continue
            by_sql = crosstab(case_ids, countries, partial(axis.source, dimension=dimension))
            for code in in_memory.rows:
                for key in ((code, term.pk), (code, None)):
                    assert in_memory.cells.get(key, 0) == by_sql.cells.get(key, 0), key


def test_the_outcomes_view_counts_from_the_index_what_sql_counts(world):
    for params in world:
        query = CaseQuery(params)
        case_ids = query.cases.order_by().values("pk")
        for axis in outcomes.GROUP_CHOICES.values():
            in_memory = outcomes._outcome_counts_in_memory(query, axis)
            by_sql = outcomes.outcome_counts(case_ids, partial(axis.source, dimension=None))
            assert in_memory == by_sql, (params.urlencode(), axis.key)


def test_the_pages_count_in_sql_where_there_is_no_index(client, world, monkeypatch):
    monkeypatch.setattr(CaseQuery, "selected_in_memory", lambda self: None)
    assert client.get("/map/").status_code == 200
    assert client.get("/outcomes/?by=world_region").status_code == 200
