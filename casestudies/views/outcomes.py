"""The outcomes view: directions of effect per outcome dimension, grouped by a dimension."""

from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from ..models import in_sentence
from ..reads.matrix import SMALL_SAMPLE, matrix_filters
from ..reads.outcomes import GROUP_CHOICES, DimensionBlock, GroupRow, OutcomesView, build_outcomes
from .fragments import cached_fragment

HALF = 100  # the chart's half-width in view-box units: 0 is the axis


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    css: str  # "dir-improved": a fill and, for neutral directions, a pattern
    label: str  # what the bar is, for its <title>
    query: str | None


def bars(row: GroupRow, block: DimensionBlock) -> list[Bar]:
    """The row's rectangles: losses left of the axis, gains then neutral ones right of it."""
    unit = HALF / block.scale
    drawn = []
    left = 0.0
    for segment in row.drawn("negative"):
        left -= segment.count * unit
        drawn.append((left, segment))
    right = 0.0
    for segment in row.drawn("positive") + row.drawn("neutral"):
        drawn.append((right, segment))
        right += segment.count * unit
    return [
        Bar(
            round(x, 2),
            round(segment.count * unit, 2),
            f"dir-{segment.direction.slug}",
            f"{row.label}, {block.dimension}: {in_sentence(str(segment.direction))}, "
            + ngettext("%(count)s case", "%(count)s cases", segment.count)
            % {"count": segment.count},
            segment.query,
        )
        for x, segment in drawn
    ]


# The charts' rows and the tables' rows are written here rather than in template
# loops: nine dimensions of a dozen groups and half a dozen directions took the
# template engine hundreds of milliseconds a request; joining strings takes a few.
# The markup is what the template wrote; numbers are plain (never localised: an SVG
# coordinate is "12.5" in every language).


def _direction_names(directions) -> dict[int, str]:
    """Each direction as it reads in a sentence, escaped: the same in every row."""
    return {d.pk: escape(in_sentence(str(d.localized("label")))) for d in directions}


def chart_markup(rows: list[tuple[GroupRow, list[Bar]]], names: dict, list_url: str) -> str:
    """The ``<li>`` of every row of a diverging bar chart."""
    coded_of = gettext("coded %(coded)s of %(cases)s")
    fewer = gettext(", fewer than %(small_sample)s cases") % {"small_sample": SMALL_SAMPLE}
    track = (
        f'<svg class="diverging-bar" viewBox="-{HALF} 0 {2 * HALF} 16" '
        'preserveAspectRatio="none" role="group" aria-label="'
    )
    parts = []
    for index, (row, row_bars) in enumerate(rows):
        label = escape(row.label)
        if row.cases_query:
            label_html = f'<a href="{list_url}?{escape(row.cases_query)}">{label}</a>'
        else:
            label_html = label
        caution = ""
        if row.is_small:
            caution = (
                f' <span class="caution-marker">n = {row.cases}'
                f'<span class="visually-hidden">{fewer}</span></span>'
            )
        counts = ", ".join(f"{names[s.direction.pk]} {s.count}" for s in row.segments)
        drawn = "".join(
            f'<a href="{list_url}?{escape(bar.query)}"><title>{escape(bar.label)}</title>'
            f'<rect class="{bar.css}" x="{bar.x}" y="2" width="{bar.width}" height="12"/></a>'
            if bar.query
            else f'<rect class="{bar.css}" x="{bar.x}" y="2" width="{bar.width}" height="12">'
            f"<title>{escape(bar.label)}</title></rect>"
            for bar in row_bars
        )
        parts.append(
            f'\n      <li class="diverging-row{" overall" if index == 0 else ""}">\n'
            f'        <span class="diverging-label">{label_html} <span class="diverging-n">'
            f"{coded_of % {'coded': row.coded, 'cases': row.cases}}</span>{caution}</span>\n"
            f'        {track}{label}: {counts}">\n'
            f'          <rect class="bar-track" x="-{HALF}" y="0" width="{2 * HALF}" '
            'height="16"/>\n'
            f"          {drawn}\n"
            '          <line class="axis" x1="0" y1="0" x2="0" y2="16"/>\n'
            "        </svg>\n      </li>\n      "
        )
    return mark_safe("".join(parts))  # every value is escaped above


def table_markup(rows: list[tuple[GroupRow, list[Bar]]], names: dict, list_url: str) -> str:
    """The ``<tr>`` of every row of a chart's table."""
    cases_in = gettext("cases: %(row)s, %(direction)s")
    overall = ' class="overall"'
    parts = []
    for index, (row, _bars) in enumerate(rows):
        label = escape(row.label)
        caution = (
            f' <span class="caution-marker">n &lt; {SMALL_SAMPLE}</span>' if row.is_small else ""
        )
        cases = row.cases
        if row.cases_query:
            cases = f'<a href="{list_url}?{escape(row.cases_query)}">{row.cases}</a>'
        coded = row.coded
        if row.coded_query:
            coded = f'<a href="{list_url}?{escape(row.coded_query)}">{row.coded}</a>'
        cells = "".join(
            f'<td class="num"><a href="{list_url}?{escape(s.query)}">{s.count}'
            f'<span class="visually-hidden"> '
            f"{cases_in % {'row': label, 'direction': names[s.direction.pk]}}</span></a></td>"
            if s.query
            else f'<td class="num">{s.count}</td>'
            for s in row.segments
        )
        parts.append(
            f"\n        <tr{overall if index == 0 else ''}>\n"
            f'          <th scope="row">{label}{caution}</th>\n'
            f'          <td class="num">{cases}</td>\n'
            f'          <td class="num">{coded} '
            f'<span class="meta">({row.coded_percent}%)</span></td>\n'
            f"          {cells}\n        </tr>\n      "
        )
    return mark_safe("".join(parts))  # every value is escaped above


def outcomes(request):
    def build() -> dict:
        view: OutcomesView = build_outcomes(request.GET)
        filters = matrix_filters(request.GET)
        filters.pop("by", None)
        list_url = escape(reverse("casestudies:case_list"))
        names = _direction_names(view.directions)
        charts = []
        for block in view.blocks:
            rows = [(row, bars(row, block)) for row in [block.overall, *block.rows]]
            charts.append(
                (block, chart_markup(rows, names, list_url), table_markup(rows, names, list_url))
            )
        return {
            "view": view,
            "charts": charts,
            "group_choices": GROUP_CHOICES.values(),
            "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
            "has_filters": bool(filters),
            "small_sample": SMALL_SAMPLE,
        }

    body, context = cached_fragment(request, "outcomes", "casestudies/outcomes_body.html", build)
    return render(request, "casestudies/outcomes.html", {**(context or {}), "body": body})
