"""The cross-country matrix: published cases counted by two coded dimensions.

Rows are countries, welfare traditions or world regions; columns a participation
form, provider type, policy field, level, or the direction of one chosen outcome
dimension. Every number is a count of DISTINCT cases: a case set in Sweden and
Denmark counts once in each of those rows but once only in a column total.

The counts come from one statement of GROUP BY queries (cells, row totals,
column totals, grand total; see ``casestudies.crosstab``) over the many-to-many
tables, restricted to the ids of ``published_cases_for_query`` as a subquery, so
the matrix honours every filter of the case list and costs the same whether it
has 4 cells or 400.

A value of ``None`` in the counts is a case that lacks the dimension (a LEFT
JOIN found nothing): it becomes the "not stated" row or column.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from django.http import QueryDict

from .crosstab import crosstab, link_source, outcome_source
from .errors import BadParameter
from .models import (
    Country,
    Level,
    OutcomeDimension,
    OutcomeDirection,
    ParticipationForm,
    PolicyField,
    ProviderType,
    WelfareTradition,
    WorldRegion,
)
from .selectors import published_cases_for_query

# Parameters that choose the matrix's shape; everything else is a case-list filter.
SHAPE_PARAMS = ("rows", "cols", "outcome_dimension")
# Parameters of the list that do not select cases and so never reach a cell link.
NOT_FILTERS = ("page",)
HEAT_STEPS = 5


@dataclass(frozen=True)
class Axis:
    key: str  # the value of rows= or cols=
    label: str  # "Country", shown in headings and the form
    path: str  # ORM path from Case to the primary key the counts group by
    param: str  # the case-list parameter a cell link sets
    model: type
    code_attr: str  # attribute of ``model`` holding the parameter value
    not_stated: str  # what the "not stated" row or column stands for


ROW_AXES: dict[str, Axis] = {
    axis.key: axis
    for axis in (
        Axis("country", "Country", "countries", "country", Country, "code", "no country recorded"),
        Axis(
            "welfare_tradition",
            "Welfare tradition",
            "countries__welfare_tradition",
            "welfare_tradition",
            WelfareTradition,
            "slug",
            "no country recorded, or a country not classified",
        ),
        Axis(
            "world_region",
            "World region",
            "countries__world_region",
            "world_region",
            WorldRegion,
            "slug",
            "no country recorded, or a country without a region",
        ),
    )
}

COL_AXES: dict[str, Axis] = {
    axis.key: axis
    for axis in (
        Axis(
            "participation_form",
            "Participation form",
            "participation_forms",
            "participation_form",
            ParticipationForm,
            "slug",
            "participation form not stated",
        ),
        Axis(
            "provider_type",
            "Provider type",
            "provider_types",
            "provider_type",
            ProviderType,
            "slug",
            "provider type not stated",
        ),
        Axis(
            "policy_field",
            "Policy field",
            "policy_fields",
            "policy_field",
            PolicyField,
            "slug",
            "policy field not stated",
        ),
        Axis("level", "Level", "levels", "level", Level, "slug", "level not stated"),
        Axis(
            "outcome",
            "Outcome direction",
            "outcomes__direction",  # of the chosen dimension only: see crosstab
            "outcome",
            OutcomeDirection,
            "slug",
            "no outcome reported on this dimension",
        ),
    )
}

DEFAULT_ROWS = "country"
DEFAULT_COLS = "participation_form"


@dataclass(frozen=True)
class Cell:
    count: int
    bucket: int  # 0 (no case) to HEAT_STEPS (the largest cell): the heatmap shade
    query: str | None  # case-list query string selecting exactly these cases, if one can
    title: str = ""  # "Sweden, Co-production": names the cell out of the table's context


@dataclass(frozen=True)
class Header:
    key: object  # primary key, or None for "not stated"
    label: str
    code: str  # the parameter value (ISO code or slug); "" for "not stated"
    query: str | None  # link of the total

    @property
    def is_not_stated(self) -> bool:
        return self.key is None


@dataclass(frozen=True)
class Line:
    header: Header
    cells: list[Cell]
    total: Cell


@dataclass(frozen=True)
class Matrix:
    rows: Axis
    cols: Axis
    outcome_dimension: OutcomeDimension | None
    outcome_dimensions: list[OutcomeDimension]  # the choices of the form
    columns: list[Header]
    lines: list[Line]
    column_totals: list[Cell]
    grand_total: Cell
    largest: tuple[str, str, int] | None  # (row label, column label, count) of the top cell

    @property
    def cols_label(self) -> str:
        if self.outcome_dimension is not None:
            return f"{self.cols.label}: {self.outcome_dimension.label}"
        return self.cols.label


def matrix_filters(params: QueryDict) -> QueryDict:
    """The case-list filters among the matrix's parameters (no shape, no page)."""
    filters = params.copy()
    for key in (*SHAPE_PARAMS, *NOT_FILTERS):
        filters.pop(key, None)
    return filters


def _choice(params: QueryDict, name: str, axes: Mapping[str, Axis], default: str) -> Axis:
    value = params.get(name) or default
    if value not in axes:
        raise BadParameter(name, f"'{value:.40}' is not a dimension the matrix offers.", axes)
    return axes[value]


def _outcome_dimension(params: QueryDict, dimensions: list[OutcomeDimension]):
    slug = params.get("outcome_dimension") or ""
    if not dimensions:
        raise BadParameter("cols", "no outcome dimensions are defined yet.", [])
    if not slug:
        return dimensions[0]
    for dimension in dimensions:
        if dimension.slug == slug:
            return dimension
    raise BadParameter(
        "outcome_dimension",
        f"'{slug:.40}' is not an outcome dimension.",
        [d.slug for d in dimensions],
    )


def _source(axis: Axis, dimension: OutcomeDimension | None):
    """How ``crosstab`` reads an axis's (case, value) pairs."""
    if axis.key == "outcome":
        return partial(outcome_source, dimension_id=dimension.pk)
    field_name, _, country_field = axis.path.partition("__")
    return partial(link_source, field_name=field_name, country_field=country_field)


def _bucket(count: int, largest: int) -> int:
    if count <= 0 or largest <= 0:
        return 0
    return max(1, min(HEAT_STEPS, math.ceil(count * HEAT_STEPS / largest)))


def _normalise(param: str, value: str) -> str:
    return value.upper() if param == "country" else value.lower()


def _link(filters: QueryDict, choices: list[tuple[str, str]]) -> str | None:
    """The list query selecting exactly the cases of a cell, or None if none can.

    The list combines values of one parameter with OR. Setting ``param=value`` on
    top of a filter on the same parameter would widen it, so the link replaces
    that filter; that is exact only when ``value`` was one of the filtered values
    (otherwise the cell counts cases having both, which the list cannot express).
    """
    query = filters.copy()
    for param, value in choices:
        current = {_normalise(param, v) for v in filters.getlist(param) if v}
        if current and _normalise(param, value) not in current:
            return None
        query.setlist(param, [value])
    return query.urlencode()


def build_matrix(params: QueryDict) -> Matrix:
    """The matrix a query asks for. Raises BadParameter; runs a fixed number of queries.

    Queries: outcome dimensions, the counts (one statement), row labels, column
    labels (four, whatever the data), plus whatever ``published_cases_for_query``
    needs to validate its filters.
    """
    rows = _choice(params, "rows", ROW_AXES, DEFAULT_ROWS)
    cols = _choice(params, "cols", COL_AXES, DEFAULT_COLS)
    filters = matrix_filters(params)
    case_ids = published_cases_for_query(filters).order_by().values("pk")

    dimensions = list(OutcomeDimension.objects.ordered())
    dimension = None
    if cols.key == "outcome":
        dimension = _outcome_dimension(params, dimensions)

    counts = crosstab(case_ids, _source(rows, dimension), _source(cols, dimension))
    cell_counts, row_totals, col_totals = counts.cells, counts.rows, counts.cols

    def code(axis: Axis, term) -> str:
        value = getattr(term, axis.code_attr)
        return f"{dimension.slug}:{value}" if axis is cols and dimension else value

    row_terms = rows.model.objects.filter(pk__in=[k for k in row_totals if k is not None])
    row_terms = row_terms.order_by("name") if rows.model is Country else row_terms.ordered()
    row_headers = [
        Header(t.pk, str(t), code(rows, t), _link(filters, [(rows.param, code(rows, t))]))
        for t in row_terms
    ]
    col_headers = [
        Header(t.pk, str(t), code(cols, t), _link(filters, [(cols.param, code(cols, t))]))
        for t in cols.model.objects.ordered()
    ]
    # "Not stated" only where some case lacks the dimension: honest, and no empty noise.
    if row_totals.get(None):
        row_headers.append(Header(None, f"Not stated ({rows.not_stated})", "", None))
    if col_totals.get(None):
        col_headers.append(Header(None, f"Not stated ({cols.not_stated})", "", None))

    largest_count = max(cell_counts.values(), default=0)
    largest = None
    lines = []
    for row in row_headers:
        cells = []
        for col in col_headers:
            n = cell_counts.get((row.key, col.key), 0)
            exact = not (row.is_not_stated or col.is_not_stated) and n
            query = (
                _link(filters, [(rows.param, row.code), (cols.param, col.code)]) if exact else None
            )
            cells.append(Cell(n, _bucket(n, largest_count), query, f"{row.label}, {col.label}"))
            if n and (largest is None or n > largest[2]):
                largest = (row.label, col.label, n)
        total = row_totals.get(row.key, 0)
        lines.append(Line(row, cells, Cell(total, 0, row.query)))
    column_totals = [Cell(col_totals.get(col.key, 0), 0, col.query) for col in col_headers]
    return Matrix(
        rows=rows,
        cols=cols,
        outcome_dimension=dimension,
        outcome_dimensions=dimensions,
        columns=col_headers,
        lines=lines,
        column_totals=column_totals,
        grand_total=Cell(counts.total, 0, filters.urlencode()),
        largest=largest,
    )
