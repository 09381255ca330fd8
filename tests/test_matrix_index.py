"""The matrix's counts from the in-memory case index: the SQL crosstab's, always.

casestudies/reads/matrix.py counts from the case index's bitmaps when it was built
under the current data stamp and holds the filters and both axes (a case's own terms,
its chapter, an outcome dimension's directions); these tests hold it to the SQL
crosstab over every such pair of axes and a few filters, "not stated" included.
"""

import random
from functools import partial

import pytest
from django.http import QueryDict

from casestudies.facets import CaseQuery
from casestudies.models import OutcomeDimension
from casestudies.reads import case_index
from casestudies.reads.crosstab import crosstab
from casestudies.reads.matrix import AXES, INDEXED_AXES, _count_in_memory, read_shape

from .index_helpers import INDEX_TESTS, world_of

pytestmark = [*INDEX_TESTS, pytest.mark.usefixtures("uncached_counts")]


@pytest.fixture
def world():
    return world_of(random.Random(18))


def _by_sql(shape, filters):
    case_ids = CaseQuery(filters).cases.order_by().values("pk")
    dimension = shape.outcome_dimension
    return crosstab(
        case_ids,
        partial(shape.rows.source, dimension=dimension),
        partial(shape.cols.source, dimension=dimension),
    )


def test_the_index_counts_every_indexed_pair_of_axes_as_sql(world):
    keys = sorted(INDEXED_AXES)
    assert {"country", "policy_field", "chapter", "outcome"} <= INDEXED_AXES
    assert "welfare_tradition" not in INDEXED_AXES
    filter_sets = [
        QueryDict(),
        QueryDict(f"country={world['country'][0]}"),
        QueryDict(f"policy_field={world['policy_field'][1]}&year_from=1995"),
        QueryDict("q=harbour"),
    ]
    dimensions = [d.slug for d in OutcomeDimension.objects.all()]
    compared = 0
    for rows in keys:
        for cols in keys:
            if rows == cols:
                continue
            for slug in dimensions if "outcome" in (rows, cols) else [""]:
                shape = read_shape(QueryDict(f"rows={rows}&cols={cols}&outcome_dimension={slug}"))
                for filters in filter_sets:
                    in_memory = _count_in_memory(shape, CaseQuery(filters))
                    assert in_memory is not None, (rows, cols, filters.urlencode())
                    by_sql = _by_sql(shape, filters)
                    assert in_memory == by_sql, (rows, cols, slug, filters.urlencode())
                    compared += 1
    assert compared > 100


def test_a_country_group_axis_is_counted_in_sql(world):
    shape = read_shape(QueryDict("rows=welfare_tradition&cols=policy_field"))
    assert AXES["welfare_tradition"].key not in INDEXED_AXES
    assert _count_in_memory(shape, CaseQuery(QueryDict())) is None


def test_the_matrix_page_counts_alike_on_both_paths(world, client, monkeypatch):
    url = "/matrix/?rows=country&cols=participation_form&not_stated=show"
    in_memory = client.get(url).context["matrix"]
    monkeypatch.setattr(case_index, "current", lambda *a: None)
    by_sql = client.get(url).context["matrix"]
    assert in_memory == by_sql
