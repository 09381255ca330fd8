"""The map page: the choropleth with its form, legend and table."""

from django.shortcuts import render

from ..reads.choropleth import SHARE_PARAM, build_choropleth, share_choices
from ..reads.matrix import SMALL_SAMPLE, matrix_filters
from .fragments import cached_fragment


def map_page(request):
    def build() -> dict:
        filters = matrix_filters(request.GET)
        filters.pop(SHARE_PARAM, None)
        return {
            "map": build_choropleth(request.GET),
            "share_choices": share_choices(),
            "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
            "has_filters": bool(filters),
            "small_sample": SMALL_SAMPLE,
        }

    body, context = cached_fragment(request, "map", "casestudies/map_body.html", build)
    return render(request, "casestudies/map.html", {**(context or {}), "body": body})
