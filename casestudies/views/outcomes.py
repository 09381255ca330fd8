"""The outcomes view: directions of effect per outcome dimension, grouped by a dimension."""

from dataclasses import dataclass

from django.shortcuts import render
from django.utils.translation import ngettext

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


def outcomes(request):
    def build() -> dict:
        view: OutcomesView = build_outcomes(request.GET)
        filters = matrix_filters(request.GET)
        filters.pop("by", None)
        charts = [
            (block, [(row, bars(row, block)) for row in [block.overall, *block.rows]])
            for block in view.blocks
        ]
        return {
            "view": view,
            "charts": charts,
            "group_choices": GROUP_CHOICES.values(),
            "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
            "has_filters": bool(filters),
            "small_sample": SMALL_SAMPLE,
            "half": HALF,
        }

    body, context = cached_fragment(request, "outcomes", "casestudies/outcomes_body.html", build)
    return render(request, "casestudies/outcomes.html", {**(context or {}), "body": body})
