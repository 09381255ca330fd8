"""The matrix: published cases counted by any two coded dimensions, as counts or shares.

Either axis is any dimension the case list filters by (its facets: country,
welfare tradition, world region, policy field, provider type, participation
form, level, phase, participation dimension, chapter) or the direction of one
outcome dimension. Every number is a count of DISTINCT cases: a case set in
Sweden and Denmark counts once in each of those rows but once only in a column
total.

``build_matrix`` reads in four named steps: the shape a query asks for
(``read_shape``), the counts (``crosstab``: one statement of GROUP BY queries
over the link tables, restricted to the list's filtered ids, so it honours every
filter of the case list and costs the same for 4 cells or 400), the row and
column headings (``headings``), and the table laid out in the chosen measure
(``lay_out``: what shares are of, ``_Bases``; the headings shown, ``_shown_headings``;
each row, ``_line``; the totals line, ``_column_totals``), with its headline
(``headline``).

A value of ``None`` in the counts is a case that lacks the dimension (a LEFT
JOIN found nothing): the "not stated" row or column. In shares it is hidden by
default, and the shares are then of the cases that state the dimension.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from pyroaring import BitMap

from ..facets import CaseQuery
from ..facets.definitions import (
    TERM_FACETS,
    ChapterFacet,
    CountryGroupFacet,
    ManyToManyFacet,
    TermFacet,
)
from ..models import OutcomeDimension, OutcomeDirection, in_sentence
from ..plumbing.bad_parameter import BadParameter
from .crosstab import Crosstab, chapter_source, crosstab, link_source, outcome_source

# Parameters that choose the matrix's shape; everything else is a case-list filter.
SHAPE_PARAMS = ("rows", "cols", "outcome_dimension", "measure", "not_stated")
# Parameters of the list that do not select cases and so never reach a cell link.
NOT_FILTERS = ("page",)
HEAT_STEPS = 5
# Fewer cases than this behind a row or column, and its shares are anecdotes.
SMALL_SAMPLE = 5

MEASURES = {
    "count": _("Counts"),
    "row_share": _("Row shares (% of each row's cases)"),
    "col_share": _("Column shares (% of each column's cases)"),
}
NOT_STATED_CHOICES = {"show": _("Shown"), "hide": _("Hidden")}


@dataclass(frozen=True)
class Axis:
    key: str  # the value of rows= or cols=, and the case-list parameter a link sets
    label: str  # "Country", shown in headings and the form
    model: type
    code_attr: str  # attribute of ``model`` holding the parameter value
    not_stated: str  # what the "not stated" row or column stands for
    source: Callable  # (connection, dimension) -> crosstab Source
    order: tuple[str, ...]
    term_label: Callable = str

    @property
    def param(self) -> str:
        return self.key


def _facet_source(facet: TermFacet) -> Callable:
    if isinstance(facet, ManyToManyFacet):
        return lambda connection, dimension: link_source(connection, facet.field_name)
    if isinstance(facet, CountryGroupFacet):
        return lambda connection, dimension: link_source(
            connection, "countries", facet.country_field
        )
    if isinstance(facet, ChapterFacet):
        return lambda connection, dimension: chapter_source(connection)
    raise TypeError(f"no crosstab source for {facet!r}")


# What "not stated" means where a country-level dimension is missing.
NOT_STATED_TEXT = {
    "country": _("no country recorded"),
    "welfare_tradition": _("no country recorded, or a country not classified"),
    "world_region": _("no country recorded, or a country without a region"),
}


def _not_stated(label) -> str:
    return gettext("%(dimension)s not stated") % {"dimension": in_sentence(str(label))}


# Read when a page shows it, in the page's language (the axes are built at import).
_not_stated_lazy = lazy(_not_stated, str)


def _facet_axis(facet: TermFacet) -> Axis:
    return Axis(
        key=facet.param,
        label=facet.label,
        model=facet.model,
        code_attr=facet.key_field,
        not_stated=NOT_STATED_TEXT.get(facet.param) or _not_stated_lazy(facet.label),
        source=_facet_source(facet),
        order=tuple(facet.order_fields),
        term_label=facet.term_label,
    )


OUTCOME_AXIS = Axis(
    key="outcome",
    label=_("Outcome direction"),
    model=OutcomeDirection,
    code_attr="slug",
    not_stated=_("no outcome reported on this dimension"),
    source=lambda connection, dimension: outcome_source(connection, dimension.pk),
    order=("order", "label"),
)
# Every coded dimension the list filters by, in the list's order, then outcomes.
AXES: dict[str, Axis] = {
    **{facet.param: _facet_axis(facet) for facet in TERM_FACETS},
    OUTCOME_AXIS.key: OUTCOME_AXIS,
}
# The dimensions that are properties of a case's countries (welfare tradition, world
# region), by parameter: the country's field. A case can reach one twice, or lack it
# through one of its countries only.
COUNTRY_GROUPS = {f.param: f.country_field for f in TERM_FACETS if isinstance(f, CountryGroupFacet)}
DEFAULT_ROWS = "country"
DEFAULT_COLS = "participation_form"


@dataclass(frozen=True)
class Shape:
    """What a query asks the matrix to be."""

    rows: Axis
    cols: Axis
    outcome_dimension: OutcomeDimension | None
    outcome_dimensions: list[OutcomeDimension]
    measure: str  # a key of MEASURES
    show_not_stated: bool

    @property
    def in_shares(self) -> bool:
        return self.measure != "count"


@dataclass(frozen=True)
class Cell:
    count: int
    bucket: int  # 0 (no case) to HEAT_STEPS (the largest): the heatmap shade
    query: str | None  # case-list query string selecting exactly these cases, if one can
    title: str = ""  # "Sweden, Co-production": names the cell out of the table's context
    share: float | None = None  # percent of the row's or column's cases, in shares
    base: int = 0  # the cases the share is of

    @property
    def percent(self) -> str:
        return "" if self.share is None else f"{self.share:.0f}%"


@dataclass(frozen=True)
class Header:
    key: object  # primary key, or None for "not stated"
    label: str
    code: str  # the parameter value (ISO code or slug); "" for "not stated"
    query: str | None  # link of the total
    total: int = 0  # distinct cases of this row or column
    # The cases this row's (column's) numbers rest on: its total, or in shares the
    # base of its shares; written beside its name where it is a share's base.
    n: int = 0
    shows_n: bool = False

    @property
    def is_not_stated(self) -> bool:
        return self.key is None

    @property
    def is_small(self) -> bool:
        return not self.is_not_stated and self.n < SMALL_SAMPLE


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
    measure: str
    show_not_stated: bool
    columns: list[Header]
    lines: list[Line]
    column_totals: list[Cell]
    grand_total: Cell
    # (row label, column label, number shown): the largest stated cell, never a
    # "not stated" one, and in shares only among rows/columns of SMALL_SAMPLE or more.
    largest: tuple[str, str, str] | None
    largest_count: int  # the largest count of a stated cell (the heatmap's top)
    hidden_not_stated: int  # cases left out of the shares for not stating a dimension

    @property
    def cols_label(self) -> str:
        if self.outcome_dimension is not None:
            return f"{self.cols.label}: {self.outcome_dimension}"
        return self.cols.label

    @property
    def in_shares(self) -> bool:
        return self.measure != "count"

    @property
    def measure_label(self) -> str:
        return MEASURES[self.measure]


def matrix_filters(params: QueryDict) -> QueryDict:
    """The case-list filters among the matrix's parameters (no shape, no page)."""
    filters = params.copy()
    for key in (*SHAPE_PARAMS, *NOT_FILTERS):
        filters.pop(key, None)
    return filters


# --- step 1: the shape ------------------------------------------------------------------


def _choice(params: QueryDict, name: str, choices, default: str) -> str:
    value = params.get(name) or default
    if value not in choices:
        raise BadParameter(
            name,
            gettext("'%(value)s' is not a choice the matrix offers.") % {"value": value[:40]},
            choices,
        )
    return value


def _outcome_dimension(params: QueryDict, dimensions: list[OutcomeDimension]):
    slug = params.get("outcome_dimension") or ""
    if not dimensions:
        raise BadParameter("cols", gettext("no outcome dimensions are defined yet."), [])
    if not slug:
        return dimensions[0]
    for dimension in dimensions:
        if dimension.slug == slug:
            return dimension
    raise BadParameter(
        "outcome_dimension",
        gettext("'%(value)s' is not an outcome dimension.") % {"value": slug[:40]},
        [d.slug for d in dimensions],
    )


def read_shape(params: QueryDict) -> Shape:
    """The axes, outcome dimension, measure and not-stated choice. One query.

    Raises BadParameter for an unknown choice, for the same dimension on both
    axes, and for outcomes on both (one outcome dimension is chosen at a time).
    """
    rows = AXES[_choice(params, "rows", AXES, DEFAULT_ROWS)]
    cols = AXES[_choice(params, "cols", AXES, DEFAULT_COLS)]
    if rows is cols:
        raise BadParameter(
            "cols",
            gettext("rows and columns are both '%(axis)s': choose two.") % {"axis": rows.key},
            AXES,
        )
    measure = _choice(params, "measure", MEASURES, "count")
    # Hidden by default in shares, so "not stated" never makes up the largest share.
    default = "hide" if measure != "count" else "show"
    not_stated = _choice(params, "not_stated", NOT_STATED_CHOICES, default)
    dimensions = list(OutcomeDimension.objects.ordered())
    dimension = None
    if OUTCOME_AXIS in (rows, cols):
        dimension = _outcome_dimension(params, dimensions)
    return Shape(rows, cols, dimension, dimensions, measure, not_stated == "show")


# --- step 2: the counts (casestudies.reads.crosstab) ------------------------------------------


# The axes whose values the case index's bitmaps give as the SQL does, by key: a case's
# own terms and its chapter (a case without any value is "not stated"). Not the country
# groups: a case can reach a tradition through one country and lack it through another
# (both a value and "not stated" in SQL), which the bitmaps do not say.
INDEXED_AXES = frozenset(
    f.param for f in TERM_FACETS if isinstance(f, (ManyToManyFacet, ChapterFacet))
) | {OUTCOME_AXIS.key}


def _indexed_values(index, axis: Axis, dimension, selected) -> dict:
    """{value: the ``selected`` cases with it} for the values some have, None (not
    stated) for those with none, as the crosstab's LEFT JOIN groups them."""
    if axis.key == OUTCOME_AXIS.key:
        found = {
            direction: selected & cases
            for (dim, direction), cases in index.by_pair.items()
            if dim == dimension.pk
        }
    else:
        found = {pk: selected & cases for pk, cases in index.by_pk[axis.key].items()}
    found = {value: cases for value, cases in found.items() if cases}
    lacking = selected - BitMap().union(*found.values())
    if lacking:
        found[None] = lacking
    return found


def _count_in_memory(shape: Shape, query: CaseQuery) -> Crosstab | None:
    """The crosstab from the case index (no query), where it holds the filters and both
    axes (``INDEXED_AXES``) under the current stamp; else None (SQL counts)."""
    if not {shape.rows.key, shape.cols.key} <= INDEXED_AXES:
        return None
    found = query.selected_in_memory()
    if found is None:
        return None
    index, selected = found
    dimension = shape.outcome_dimension
    rows = _indexed_values(index, shape.rows, dimension, selected)
    cols = _indexed_values(index, shape.cols, dimension, selected)
    cells = {}
    for r, in_row in rows.items():
        for c, in_col in cols.items():
            if n := in_row.intersection_cardinality(in_col):
                cells[r, c] = n
    return Crosstab(
        cells,
        {r: len(found) for r, found in rows.items()},
        {c: len(found) for c, found in cols.items()},
        len(selected),
    )


def count(shape: Shape, filters: QueryDict) -> Crosstab:
    """Distinct cases per cell, row, column and in all, for the list's filters: from
    the case index where it holds them (``_count_in_memory``), else one statement."""
    query = CaseQuery(filters)
    counted = _count_in_memory(shape, query)
    if counted is not None:
        return counted
    case_ids = query.cases.order_by().values("pk")
    dimension = shape.outcome_dimension
    return crosstab(
        case_ids,
        partial(shape.rows.source, dimension=dimension),
        partial(shape.cols.source, dimension=dimension),
    )


# --- step 3: the headings ---------------------------------------------------------------


def _normalise(param: str, value: str) -> str:
    return value.upper() if param == "country" else value.lower()


def _link(filters: QueryDict, choices: list[tuple[str, str]]) -> str | None:
    """The list query selecting exactly the cases of a cell, or None if none can.

    The list combines values of one parameter with OR. Setting ``param=value`` on
    top of a filter on the same parameter would widen it, so the link replaces
    that filter; that is exact only when ``value`` was one of the filtered values
    (otherwise the cell counts cases having both, which the list cannot express).
    """
    params = [param for param, _value in choices]
    if len(set(params)) == len(params) and not any(param in filters for param in params):
        # The common case, and the same string: the choices go after the filters. A
        # chart asks for hundreds of links, and copying the QueryDict cost ~0.1 ms each.
        return "&".join(filter(None, [filters.urlencode(), urlencode(choices)]))
    query = filters.copy()
    for param, value in choices:
        current = {_normalise(param, v) for v in filters.getlist(param) if v}
        if current and _normalise(param, value) not in current:
            return None
        query.setlist(param, [value])
    return query.urlencode()


def headings(
    axis: Axis, totals: dict, shape: Shape, filters: QueryDict, every_term: bool
) -> list[Header]:
    """The row or column headings, in the dimension's order. One query.

    Rows list the terms that have cases; columns every term (zeros included),
    so that one matrix's columns are comparable with another's. "Not stated"
    comes last, where some case lacks the dimension and it is not hidden.
    """
    terms = axis.model.objects.order_by(*axis.order)
    if not every_term:
        terms = terms.filter(pk__in=[k for k in totals if k is not None])
    dimension = shape.outcome_dimension

    def code(term) -> str:
        value = str(getattr(term, axis.code_attr))
        return f"{dimension.slug}:{value}" if axis is OUTCOME_AXIS else value

    headers = []
    for term in terms:
        value = code(term)
        query = _link(filters, [(axis.param, value)])
        headers.append(Header(term.pk, axis.term_label(term), value, query, totals.get(term.pk, 0)))
    if totals.get(None) and shape.show_not_stated:
        label = gettext("Not stated (%(what)s)") % {"what": axis.not_stated}
        headers.append(Header(None, label, "", None, totals[None]))
    return headers


# --- step 4: the table ------------------------------------------------------------------


def _bucket(value: float, top: float) -> int:
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(HEAT_STEPS, math.ceil(value * HEAT_STEPS / top)))


def _share(n: int, base: int) -> float | None:
    return 100 * n / base if base else None


@dataclass(frozen=True)
class _Bases:
    """What the shares of a row, a column or a cell are of.

    A row's (column's) cases; with "not stated" hidden, those that state the
    other dimension (its total less its not-stated cell).
    """

    cells: dict
    hide: bool

    def row(self, row: Header) -> int:
        """The cases row ``row``'s shares are of."""
        return row.total - (self.cells.get((row.key, None), 0) if self.hide else 0)

    def col(self, col: Header) -> int:
        """The cases column ``col``'s shares are of."""
        return col.total - (self.cells.get((None, col.key), 0) if self.hide else 0)

    def cell(self, measure: str, row: Header, col: Header) -> int:
        """The cases a cell's share is of in ``measure``: its row's, its column's, or 0."""
        if measure == "row_share":
            return self.row(row)
        if measure == "col_share":
            return self.col(col)
        return 0


def _shown_headings(
    headers: list[Header], base: Callable[[Header], int], shares_of_each: bool
) -> list[Header]:
    """The headings with their n: their total, or in shares of each one, their ``base``.

    In shares of each, a heading with nothing to share of is left out.
    """
    return [
        replace(header, n=base(header) if shares_of_each else header.total, shows_n=shares_of_each)
        for header in headers
        if not (shares_of_each and base(header) == 0)
    ]


def _line(
    row: Header,
    columns: list[Header],
    counts: Crosstab,
    shape: Shape,
    filters: QueryDict,
    bases: _Bases,
    largest_count: int,
) -> Line:
    """One row of the table: a cell per column (count, share, shade, link) and its total."""
    cells = []
    for col in columns:
        n = counts.cells.get((row.key, col.key), 0)
        exact = n and not (row.is_not_stated or col.is_not_stated)
        query = _link(filters, [(shape.rows.param, row.code), (shape.cols.param, col.code)])
        base = bases.cell(shape.measure, row, col)
        share = _share(n, base) if shape.in_shares else None
        bucket = _bucket(share, 100) if share is not None else _bucket(n, largest_count)
        title = f"{row.label}, {col.label}"
        cells.append(Cell(n, bucket, query if exact else None, title, share, base))
    total = Cell(row.total, 0, row.query, row.label, base=bases.row(row))
    return Line(row, cells, total)


def _column_totals(
    columns: list[Header], counts: Crosstab, shape: Shape, bases: _Bases
) -> list[Cell]:
    """The totals line: each column's cases, with the base (and in row shares the share).

    In row shares the totals line is the whole selection's profile, comparable
    with each row's: a column's cases over the cases that state the column
    dimension. Otherwise its base is what the column's shares are of.
    """
    if shape.measure != "row_share":
        return [Cell(col.total, 0, col.query, col.label, None, bases.col(col)) for col in columns]
    stating = counts.total - (counts.cols.get(None, 0) if bases.hide else 0)
    return [
        Cell(col.total, 0, col.query, col.label, _share(col.total, stating), stating)
        for col in columns
    ]


def lay_out(counts: Crosstab, shape: Shape, filters: QueryDict, rows, columns) -> Matrix:
    """The lines, totals and headline of the matrix in the shape's measure.

    Shares are of the row's (or column's) cases; with "not stated" hidden, of
    those that state the other dimension (the row's total less its not-stated
    cell), so hiding never leaves shares that do not add up to their base.
    """
    hide = not shape.show_not_stated
    bases = _Bases(counts.cells, hide)
    rows = _shown_headings(rows, bases.row, shares_of_each=shape.measure == "row_share")
    columns = _shown_headings(columns, bases.col, shares_of_each=shape.measure == "col_share")
    stated = [n for (r, c), n in counts.cells.items() if r is not None and c is not None]
    largest_count = max(stated, default=0)
    lines = [_line(row, columns, counts, shape, filters, bases, largest_count) for row in rows]
    return Matrix(
        rows=shape.rows,
        cols=shape.cols,
        outcome_dimension=shape.outcome_dimension,
        outcome_dimensions=shape.outcome_dimensions,
        measure=shape.measure,
        show_not_stated=shape.show_not_stated,
        columns=columns,
        lines=lines,
        column_totals=_column_totals(columns, counts, shape, bases),
        grand_total=Cell(counts.total, 0, filters.urlencode()),
        largest=headline(lines, columns, shape),
        largest_count=largest_count,
        hidden_not_stated=_hidden(counts) if hide else 0,
    )


def _hidden(counts: Crosstab) -> int:
    """Cases lacking either dimension: left out of the table when not-stated is hidden."""
    lacking = counts.rows.get(None, 0) + counts.cols.get(None, 0)
    return lacking - counts.cells.get((None, None), 0)


def headline(lines: list[Line], columns: list[Header], shape: Shape):
    """(row, column, number) of the largest stated cell; in shares, of a large enough base.

    A "not stated" cell is never the headline: it says what the sources lack, not
    how co-production differs.
    """
    best, best_value = None, 0.0
    for line in lines:
        if line.header.is_not_stated:
            continue
        for col, cell in zip(columns, line.cells, strict=True):
            if col.is_not_stated or not cell.count:
                continue
            if shape.in_shares:
                if cell.base < SMALL_SAMPLE or cell.share is None:
                    continue
                value = cell.share
                shown = gettext("%(percent)s of %(base)s cases") % {
                    "percent": cell.percent,
                    "base": cell.base,
                }
            else:
                value = cell.count
                shown = ngettext("%(count)s case", "%(count)s cases", cell.count) % {
                    "count": cell.count
                }
            if value > best_value:
                best, best_value = (line.header.label, col.label, shown), value
    return best


# --- all together -----------------------------------------------------------------------


def build_matrix(params: QueryDict) -> Matrix:
    """The matrix a query asks for. Raises BadParameter; runs a fixed number of queries.

    Queries: outcome dimensions, the counts (one statement), row labels, column
    labels (four, whatever the data), plus whatever ``CaseQuery``
    needs to validate its filters, and on PostgreSQL the data stamp.
    """
    shape = read_shape(params)
    filters = matrix_filters(params)
    counts = count(shape, filters)
    rows = headings(shape.rows, counts.rows, shape, filters, every_term=False)
    columns = headings(shape.cols, counts.cols, shape, filters, every_term=True)
    return lay_out(counts, shape, filters, rows, columns)
