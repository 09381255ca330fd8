# ruff: noqa: S608 -- SQL built from model metadata; values travel as parameters.
"""The outcomes view: for each outcome dimension, the directions of effect by group.

Groups are the values of one coded dimension (welfare tradition, country,
provider type, …: any axis of the matrix but outcomes). For each outcome
dimension and group: how many cases report each direction, and how many cases
have the dimension coded at all, beside how many cases the group has, so that an
absence of evidence shows as such and never as "no effect".

All counts come from one statement (``outcome_counts``) over the cases the case
list's filters select, cached on PostgreSQL under the data stamp like the
matrix's. An outcome is unique per case and dimension, so counting outcome rows
counts cases, and a group's coded cases are the sum of its directions.
"""

from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlencode

from django.db import connections
from django.http import QueryDict
from django.utils.translation import gettext
from pyroaring import BitMap

from ..facets import CaseQuery
from ..models import Country, Outcome, OutcomeDimension, OutcomeDirection
from ..plumbing.bad_parameter import BadParameter
from .choropleth import COUNTRY_GROUPS
from .crosstab import Source, cached_rows, ids_sql_or_none
from .matrix import AXES, OUTCOME_AXIS, SMALL_SAMPLE, Axis, _link, matrix_filters

GROUP_CHOICES = {key: axis for key, axis in AXES.items() if axis is not OUTCOME_AXIS}
DEFAULT_GROUP = "welfare_tradition"
# Which side of the chart a direction goes, by the codebook's slugs. Directions
# not named here (mixed, no effect) are drawn to the right after the gains;
# "not assessed" is coded but says nothing of the effect, so it is no bar. A
# problem reported as a state of affairs is bad news without a change: left of the
# line with the losses, in a pattern of its own so it is never read as "worsened".
NEGATIVE = ("worsened", "problem-reported")
POSITIVE = ("improved",)
NOT_DRAWN = ("not-assessed",)


# --- the counts -------------------------------------------------------------------------


@dataclass
class OutcomeCounts:
    cells: dict[tuple, int]  # (group value, dimension id, direction id) -> cases
    groups: dict[object, int]  # group value -> cases selected
    overall: dict[tuple, int]  # (dimension id, direction id) -> cases, all groups
    total: int


def _postgresql_sql(ids_sql: str, groups: Source, outcome: str) -> str:
    pairs = groups.pairs
    if groups.may_repeat:
        pairs = f"SELECT DISTINCT case_id, val FROM ({pairs}) p"
    return f"""
        WITH s(id) AS NOT MATERIALIZED ({ids_sql}),
        g AS NOT MATERIALIZED ({pairs})
        SELECT 0, g.val, o.dimension_id, o.direction_id, COUNT(*)
            FROM s JOIN {outcome} o ON o.case_id = s.id LEFT JOIN g ON g.case_id = s.id
            GROUP BY g.val, o.dimension_id, o.direction_id
        UNION ALL SELECT 1, g.val, NULL, NULL, COUNT(*)
            FROM s LEFT JOIN g ON g.case_id = s.id GROUP BY g.val
        UNION ALL SELECT 2, NULL, o.dimension_id, o.direction_id, COUNT(*)
            FROM s JOIN {outcome} o ON o.case_id = s.id GROUP BY o.dimension_id, o.direction_id
        UNION ALL SELECT 3, NULL, NULL, NULL, COUNT(*) FROM s
    """


def _sqlite_sql(ids_sql: str, groups: Source, outcome: str) -> str:
    # As in crosstab: every join is an index look-up from a case id (nested loops).
    joins, value = groups.join("s.id", "gx")
    distinct = "DISTINCT " if groups.may_repeat else ""
    return f"""
        WITH s(id) AS ({ids_sql}),
        r AS (SELECT {distinct}s.id AS case_id, {value} AS val FROM s {joins})
        SELECT 0, r.val, o.dimension_id, o.direction_id, COUNT(*)
            FROM r JOIN {outcome} o ON o.case_id = r.case_id
            GROUP BY r.val, o.dimension_id, o.direction_id
        UNION ALL SELECT 1, val, NULL, NULL, COUNT(*) FROM r GROUP BY val
        UNION ALL SELECT 2, NULL, o.dimension_id, o.direction_id, COUNT(*)
            FROM s JOIN {outcome} o ON o.case_id = s.id GROUP BY o.dimension_id, o.direction_id
        UNION ALL SELECT 3, NULL, NULL, NULL, COUNT(*) FROM s
    """


def _run(connection, sql: str, params: tuple) -> OutcomeCounts:
    result = OutcomeCounts({}, {}, {}, 0)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, group, dimension, direction, n in cursor.fetchall():
            if kind == 0:
                result.cells[group, dimension, direction] = n
            elif kind == 1:
                result.groups[group] = n
            elif kind == 2:
                result.overall[dimension, direction] = n
            else:
                result.total = n
    return result


def outcome_counts(case_ids, group_source) -> OutcomeCounts:
    """Count ``case_ids`` by group, outcome dimension and direction. One query (cached)."""
    connection = connections[case_ids.db]
    groups = group_source(connection)
    table = connection.ops.quote_name(Outcome._meta.db_table)
    selected = ids_sql_or_none(case_ids)
    if selected is None:
        return OutcomeCounts({}, {}, {}, 0)
    ids_sql, ids_params = selected
    build = _sqlite_sql if connection.vendor == "sqlite" else _postgresql_sql
    sql = build(ids_sql, groups, table)
    return cached_rows(connection, sql, (*ids_params, *groups.params), _run)


def _unstated_in_memory(index, axis: Axis, selected: BitMap) -> BitMap:
    """The selected cases SQL's pairs put under "not stated" for the grouping ``axis``.

    A case without any value; for a property of the countries (welfare tradition,
    world region), also a case with a country that lacks it (one query).
    """
    if axis.key not in COUNTRY_GROUPS:
        return selected - BitMap().union(*index.by_pk[axis.key].values())
    countries = index.by_pk["country"]
    lacking = Country.objects.filter(**{f"{COUNTRY_GROUPS[axis.key]}__isnull": True})
    unstated = index.published - BitMap().union(*countries.values())
    for code in lacking.values_list("pk", flat=True):
        unstated |= countries.get(code, BitMap())
    return selected & unstated


def _outcome_counts_in_memory(query: CaseQuery, axis: Axis) -> OutcomeCounts | None:
    """``outcome_counts`` from the worker's case index (reads/case_index.py), exactly
    as the statement gives them; None where the index cannot give them (SQLite, a
    write moments ago, a filter it cannot express). No counting query.

    A group's cases are the list's cases filtered to the group, and a cell's the
    list's filtered to the group and the outcome: each count equals its list's.
    """
    found = query.selected_in_memory()
    if found is None:
        return None
    index, selected = found
    groups = index.split(axis.key, selected)
    unstated = _unstated_in_memory(index, axis, selected)
    if unstated:
        groups[None] = unstated
    result = OutcomeCounts({}, {g: len(cases) for g, cases in groups.items()}, {}, len(selected))
    for (dimension, direction), outcome in index.by_pair.items():
        if n := selected.intersection_cardinality(outcome):
            result.overall[dimension, direction] = n
            for group, cases in groups.items():
                if n := cases.intersection_cardinality(outcome):
                    result.cells[group, dimension, direction] = n
    return result


# --- the view's model -------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    direction: OutcomeDirection
    count: int
    query: str | None  # the list of exactly these cases
    side: str  # "negative", "positive" or "neutral"; "" when not drawn


@dataclass(frozen=True)
class GroupRow:
    label: str
    code: str  # "" for "not stated" and for all selected cases
    cases: int  # the group's selected cases
    coded: int  # of which have this outcome dimension coded
    coded_query: str | None
    cases_query: str | None
    segments: list[Segment]

    @property
    def is_small(self) -> bool:
        return self.cases < SMALL_SAMPLE

    @property
    def uncoded(self) -> int:
        return self.cases - self.coded

    @property
    def coded_percent(self) -> int:
        return round(100 * self.coded / self.cases) if self.cases else 0

    def drawn(self, side: str) -> list[Segment]:
        return [s for s in self.segments if s.side == side and s.count]

    @property
    def negative(self) -> int:
        return sum(s.count for s in self.drawn("negative"))

    @property
    def right(self) -> int:
        return sum(s.count for s in self.drawn("positive") + self.drawn("neutral"))


@dataclass(frozen=True)
class DimensionBlock:
    dimension: OutcomeDimension
    overall: GroupRow  # all selected cases
    rows: list[GroupRow]
    scale: int  # the largest bar on either side: the chart's half-width in cases


@dataclass(frozen=True)
class OutcomesView:
    group: Axis
    blocks: list[DimensionBlock]
    directions: list[OutcomeDirection]
    total: int
    total_query: str
    coded_cases: int = 0
    groups: list = field(default_factory=list)


def _side(direction: OutcomeDirection) -> str:
    if direction.slug in NOT_DRAWN:
        return ""
    if direction.slug in NEGATIVE:
        return "negative"
    if direction.slug in POSITIVE:
        return "positive"
    return "neutral"


def _coded_link(filters: QueryDict, group: tuple[str, str] | None, pairs: list[str]):
    """The list of cases with any direction of one dimension (values OR together)."""
    if filters.getlist("outcome"):
        return None  # the list cannot AND an outcome filter with this OR
    base = _link(filters, [group]) if group else filters.urlencode()
    if base is None:
        return None
    # Neither the filters nor the group set ``outcome``: the pairs go last.
    return "&".join(filter(None, [base, urlencode([("outcome", pair) for pair in pairs])]))


def _row(label, code, group_param, cases, counts_of, dimension, directions, filters):
    group = (group_param, code) if code else None
    segments = []
    for direction in directions:
        pair = f"{dimension.slug}:{direction.slug}"
        n = counts_of(direction.pk)
        choices = [group, ("outcome", pair)] if group else [("outcome", pair)]
        exact = n and (code or group_param is None)
        segments.append(
            Segment(direction, n, _link(filters, choices) if exact else None, _side(direction))
        )
    coded = sum(s.count for s in segments)
    pairs = [f"{dimension.slug}:{d.slug}" for d in directions]
    linkable = code or group_param is None
    coded_query = _coded_link(filters, group, pairs) if coded and linkable else None
    cases_query = (_link(filters, [group]) if group else filters.urlencode()) if linkable else None
    return GroupRow(label, code, cases, coded, coded_query, cases_query, segments)


def build_outcomes(params: QueryDict) -> OutcomesView:
    """The view a query asks for: ``by`` chooses the groups; the rest filters as the list.

    Queries: the group's terms, outcome dimensions and directions, the counts (one
    statement), plus the filters' look-ups and on PostgreSQL the data stamp.
    """
    key = params.get("by") or DEFAULT_GROUP
    if key not in GROUP_CHOICES:
        raise BadParameter(
            "by",
            gettext("'%(value)s' is not a dimension to group by.") % {"value": key[:40]},
            GROUP_CHOICES,
        )
    axis = GROUP_CHOICES[key]
    filters = matrix_filters(params)
    filters.pop("by", None)
    query = CaseQuery(filters)
    counts = _outcome_counts_in_memory(query, axis)
    if counts is None:
        case_ids = query.cases.order_by().values("pk")
        counts = outcome_counts(case_ids, partial(axis.source, dimension=None))
    terms = axis.model.objects.order_by(*axis.order).filter(
        pk__in=[k for k in counts.groups if k is not None]
    )
    groups = [(t.pk, axis.term_label(t), str(getattr(t, axis.code_attr))) for t in terms]
    if counts.groups.get(None):
        groups.append((None, gettext("Not stated (%(what)s)") % {"what": axis.not_stated}, ""))
    dimensions = list(OutcomeDimension.objects.ordered())
    directions = list(OutcomeDirection.objects.ordered())
    blocks = []
    for dimension in dimensions:
        overall = _row(
            gettext("All selected cases"),
            "",
            None,
            counts.total,
            lambda d, dim=dimension: counts.overall.get((dim.pk, d), 0),
            dimension,
            directions,
            filters,
        )
        rows = [
            _row(
                label,
                code,
                axis.param,
                counts.groups.get(pk, 0),
                lambda d, pk=pk, dim=dimension: counts.cells.get((pk, dim.pk, d), 0),
                dimension,
                directions,
                filters,
            )
            for pk, label, code in groups
        ]
        scale = max([1, *(max(r.negative, r.right) for r in [overall, *rows])])
        blocks.append(DimensionBlock(dimension, overall, rows, scale))
    return OutcomesView(
        group=axis,
        blocks=blocks,
        directions=directions,
        total=counts.total,
        total_query=filters.urlencode(),
    )
