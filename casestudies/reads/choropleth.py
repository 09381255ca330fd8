"""The map: published cases by country, by number or by share with one coded value.

Geometry is Natural Earth's (public domain), projected and simplified once by
``scripts/build_map.py`` into ``casestudies/mapdata/countries.json``, which the app reads
once per process and draws as server-side SVG: a world view and a Europe view,
where most cases are. No tiles, nothing fetched at run time.

The numbers come from the matrix's counting functions over the cases the case
list's filters select (``count_by`` for counts, ``crosstab`` of country by the
chosen value's dimension for shares): one statement, cached on PostgreSQL under
the data stamp. Every country with cases links to the list filtered to it plus
the filters, which then shows its count.
"""

import json
import math
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from django.http import QueryDict
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from pyroaring import BitMap

from ..facets import CaseQuery
from ..models import Country, OutcomeDimension, OutcomeDirection, country_name, in_sentence
from ..models.country_names import sort_key
from ..plumbing.bad_parameter import BadParameter
from .crosstab import Crosstab, count_by, crosstab
from .matrix import (
    AXES,
    COUNTRY_GROUPS,
    OUTCOME_AXIS,
    SMALL_SAMPLE,
    _link,
    _outcome_dimension,
    matrix_filters,
)

GEOMETRY = Path(__file__).resolve().parent.parent / "mapdata" / "countries.json"
SHARE_PARAM = "share_of"  # "participation_form:co-production", "outcome:trust:improved"
STEPS = 5
UNSTATED = -1  # the bucket of a country whose cases all leave the shared dimension unstated
COUNTRY = AXES["country"]


@cache
def geometry() -> dict:
    """The projected country outlines (read once per process: ~110 kB)."""
    return json.loads(GEOMETRY.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    count: int  # cases (in share mode: cases with the value)
    base: int  # in share mode: the cases the share is of; else the count
    share: float | None
    bucket: int  # 0: no case; 1..STEPS: the shade
    query: str | None  # the case list of the country with the filters
    value_query: str | None  # in share mode: the list of the country's cases with the value
    cases: int = 0  # all the country's selected cases

    @property
    def is_small(self) -> bool:
        return self.share is not None and self.base < SMALL_SAMPLE

    @property
    def percent(self) -> str:
        return "" if self.share is None else f"{self.share:.0f}%"

    @property
    def title(self) -> str:
        values = {"name": self.name, "count": self.count, "base": self.base}
        values |= {"percent": self.percent, "cases": self.cases}
        if not self.cases:
            return gettext("%(name)s: no published case") % values
        in_all = ngettext("%(cases)s case in all", "%(cases)s cases in all", self.cases) % values
        if not self.base:
            return gettext("%(name)s: none states it; %(in_all)s") % (values | {"in_all": in_all})
        if self.share is None:
            return ngettext("%(name)s: %(count)s case", "%(name)s: %(count)s cases", self.count) % (
                values
            )
        if self.is_small:
            text = gettext("%(name)s: %(percent)s, %(count)s of %(base)s cases (small sample)")
        else:
            text = gettext("%(name)s: %(percent)s, %(count)s of %(base)s cases")
        return f"{text % values}; {in_all}"


@dataclass(frozen=True)
class MapView:
    key: str  # "world" or "europe"
    label: str
    view_box: str
    outlines: SafeString  # the SVG of every country's outline: see ``outlines_markup``


@dataclass(frozen=True)
class Choropleth:
    regions: list[Region]  # countries with published cases, by name
    views: list[MapView]
    legend: list[tuple[int, str]]  # (shade, "1–2 cases")
    share_of: str  # the parameter's value, "" for counts
    share_label: str  # "Participation form: Co-production"
    total: int
    total_query: str
    not_drawn: list[Region]  # countries with cases but no outline (too small, no ISO code)


def _bucket(value: float, top: float) -> int:
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(STEPS, math.ceil(value * STEPS / top)))


def _count_legend(top: int) -> list[tuple[int, str]]:
    legend = []
    for step in range(1, STEPS + 1):
        low, high = (step - 1) * top // STEPS + 1, step * top // STEPS
        if low <= high:
            text = f"{low}" if low == high else f"{low}–{high}"
            cases = ngettext("%(range)s case", "%(range)s cases", high) % {"range": text}
            legend.append((step, cases))
    return legend


def _share_legend() -> list[tuple[int, str]]:
    width = 100 // STEPS
    # Above the lower bound: 0% falls in the first step, 20.5% in the second.
    legend = [(1, f"0–{width}%")]
    for step in range(2, STEPS + 1):
        bounds = {"low": (step - 1) * width, "high": step * width}
        legend.append((step, gettext("over %(low)s–%(high)s%%") % bounds))
    return legend


def share_choice(value: str):
    """(axis, term, outcome dimension, label) of ``share_of``; BadParameter if unknown."""
    param, _, key = value.partition(":")
    axis = AXES.get(param)
    if axis is None or axis is COUNTRY or not key:
        raise BadParameter(
            SHARE_PARAM,
            gettext(
                "'%(value)s' is not a coded value: write dimension:value, "
                "e.g. participation_form:co-production."
            )
            % {"value": value[:60]},
            [k for k in AXES if k != "country"],
        )
    dimension = None
    if axis is OUTCOME_AXIS:
        slug, _, key = key.partition(":")
        dimension = _outcome_dimension(
            QueryDict(f"outcome_dimension={slug}"), list(OutcomeDimension.objects.ordered())
        )
    term = axis.model.objects.filter(**{axis.code_attr: key}).first() if key else None
    if term is None:
        raise BadParameter(
            SHARE_PARAM,
            gettext("there is no %(dimension)s '%(value)s'.")
            % {"dimension": in_sentence(str(axis.label)), "value": key[:40]},
        )
    label = f"{axis.label}: {axis.term_label(term)}"
    if dimension is not None:
        label = f"{dimension}: {in_sentence(str(term))}"
    return axis, term, dimension, label


def _counts_in_memory(query: CaseQuery, axis, term, dimension) -> Crosstab | None:
    """The map's counts from the worker's case index (reads/case_index.py), exactly
    as ``count_by`` or ``crosstab`` give them (but ``cols`` and the "not stated"
    row, which the map does not read); None where the index cannot give them.

    Each number is the size of an intersection of bitmaps: a country's cases are
    the list's cases filtered to it, and so its count equals the list's.
    """
    if axis is not None and axis.key in COUNTRY_GROUPS:
        # A case in a classified and an unclassified country is "not stated" too in
        # SQL's pairs: not what the bitmaps say; SQL counts those shares.
        return None
    found = query.selected_in_memory()
    if found is None:
        return None
    index, selected = found
    countries = index.split(COUNTRY.key, selected)
    counts = Crosstab(
        {}, {code: len(cases) for code, cases in countries.items()}, {}, len(selected)
    )
    if term is None:
        return counts
    if dimension is not None:
        values = {d: cases for (dim, d), cases in index.by_pair.items() if dim == dimension.pk}
    else:
        values = index.by_pk[axis.key]
    stated = BitMap().union(*values.values())
    chosen = values.get(term.pk, BitMap())
    for code, cases in countries.items():
        counts.cells[code, term.pk] = cases.intersection_cardinality(chosen)
        counts.cells[code, None] = len(cases) - cases.intersection_cardinality(stated)
    return counts


def build_choropleth(params: QueryDict) -> Choropleth:
    """The map a query asks for; raises BadParameter. A fixed number of queries."""
    share_of = (params.get(SHARE_PARAM) or "").strip()
    filters = matrix_filters(params)
    filters.pop(SHARE_PARAM, None)
    query = CaseQuery(filters)
    case_ids = query.cases.order_by().values("pk")
    countries = partial(COUNTRY.source, dimension=None)
    if share_of:
        axis, term, dimension, share_label = share_choice(share_of)
        counts = _counts_in_memory(query, axis, term, dimension)
        if counts is None:
            counts = crosstab(case_ids, countries, partial(axis.source, dimension=dimension))
        value_code = str(getattr(term, axis.code_attr))
        if dimension is not None:
            value_code = f"{dimension.slug}:{value_code}"
    else:
        axis = term = None
        share_label = ""
        counts = _counts_in_memory(query, None, None, None)
        if counts is None:
            counts = count_by(case_ids, countries, every_published=not query.is_filtered)
    names = {
        code: country_name(code, name)
        for code, name in Country.objects.filter(pk__in=[k for k in counts.rows if k]).values_list(
            "code", "name"
        )
    }
    top = max((n for k, n in counts.rows.items() if k), default=0)
    share = _ShareOf(term.pk, axis.param, value_code) if term is not None else None
    regions = sorted(
        (
            _region(code, names[code], total, counts.cells, filters, top, share)
            for code, total in counts.rows.items()
            if code is not None and total
        ),
        key=lambda r: sort_key(r.name),
    )
    views = _views(regions)
    drawn = set(geometry()["world"]["paths"])
    return Choropleth(
        regions=regions,
        views=views,
        legend=_share_legend() if term is not None else _count_legend(top),
        share_of=share_of,
        share_label=share_label,
        total=counts.total,
        total_query=filters.urlencode(),
        not_drawn=[r for r in regions if r.code not in drawn],
    )


@dataclass(frozen=True)
class _ShareOf:
    """The value a map in share mode shows the share of."""

    term: object  # the term's primary key, as the counts' cells have it
    param: str  # the case-list parameter that filters by it
    code: str  # its value there ("co-production", "trust:improved")


def _region(
    code: str,
    name: str,
    total: int,
    cells: dict,
    filters: QueryDict,
    top: int,
    share_of: _ShareOf | None,
) -> Region:
    """A country with cases: its number, shade and links, by count or by share.

    ``total`` is the country's selected cases, ``cells`` the counts by (country,
    value) and ``top`` the most cases any country has. Shares are of the country's
    cases that state the dimension, as in the matrix.
    """
    query = _link(filters, [("country", code)])
    if share_of is None:
        return Region(code, name, total, total, None, _bucket(total, top), query, None, total)
    base = total - cells.get((code, None), 0)
    n = cells.get((code, share_of.term), 0)
    share = 100 * n / base if base else None
    value_query = (
        _link(filters, [("country", code), (share_of.param, share_of.code)]) if n else None
    )
    # 0% is a finding, drawn in the lightest shade; no base at all is UNSTATED.
    bucket = max(1, _bucket(share, 100)) if share is not None else UNSTATED
    return Region(code, name, n, base, share, bucket, query, value_query, total)


def _views(regions: list[Region]) -> list[MapView]:
    """The world and the Europe view, each with its outlines shaded and linked."""
    data = geometry()
    by_code = {r.code: r for r in regions}
    return [
        MapView(key, label, data[key]["viewBox"], outlines_markup(key, by_code))
        for key, label in (("world", _("World")), ("europe", _("Europe")))
    ]


@cache
def _blank_outlines(view: str, language: str | None) -> tuple[tuple[str, str, str], ...]:
    """(code, escaped path, the outline drawn without a case) of every country of a view.

    Built once per process and language: the ~300 outlines are the same on every
    request but for the dozen countries with cases, so a request only joins strings.
    """
    data = geometry()
    markup = gettext("%(name)s: no published case")
    outlines = []
    for code, path in data[view]["paths"].items():
        d = escape(path)
        name = escape(country_name(code, data["names"].get(code, "")))
        blank = (
            f'<path class="country no-case" d="{d}"><title>{markup % {"name": name}}</title></path>'
        )
        outlines.append((code, d, blank))
    return tuple(outlines)


def _region_outline(region: Region, d: str, list_url: str) -> str:
    title = escape(region.title)
    if region.query:
        shade = "unstated" if region.bucket < 0 else f"heat-{region.bucket}"
        small = " small" if region.is_small else ""
        return (
            f'<a href="{escape(list_url)}?{escape(region.query)}"><title>{title}</title>'
            f'<path class="country {shade}{small}" d="{d}"/></a>'
        )
    return f'<path class="country heat-{region.bucket}" d="{d}"><title>{title}</title></path>'


def outlines_markup(view: str, regions: dict[str, Region]) -> SafeString:
    """The SVG outlines of one view: each country with cases shaded and linked to its list.

    Written here rather than in a template loop: looping over ~300 outlines in the
    template cost 100–300 ms a request; this costs well under a millisecond.
    """
    list_url = reverse("casestudies:case_list")
    return mark_safe(  # every value is escaped above
        "".join(
            blank if (region := regions.get(code)) is None else _region_outline(region, d, list_url)
            for code, d, blank in _blank_outlines(view, get_language())
        )
    )


def share_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The values a map can show the share of, grouped by dimension, for the form.

    Each dimension's terms (a dozen small look-ups, whatever the number of cases:
    counting them, as the list's facets do, would cost a whole counting query);
    outcomes as dimension × direction pairs.
    """
    groups = []
    for axis in AXES.values():
        if axis is COUNTRY or axis is OUTCOME_AXIS:
            continue
        terms = axis.model.objects.order_by(*axis.order)
        options = [(f"{axis.key}:{getattr(t, axis.code_attr)}", axis.term_label(t)) for t in terms]
        if options:
            groups.append((axis.label, options))
    directions = list(OutcomeDirection.objects.ordered())
    for dimension in OutcomeDimension.objects.ordered():
        options = [(f"outcome:{dimension.slug}:{d.slug}", in_sentence(str(d))) for d in directions]
        named = in_sentence(str(dimension))
        groups.append((gettext("Outcome on %(dimension)s") % {"dimension": named}, options))
    return groups
