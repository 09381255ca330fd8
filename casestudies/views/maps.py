"""The map page: the choropleth with its form, legend and table."""

from django.shortcuts import render

from ..choropleth import SHARE_PARAM, build_choropleth, share_choices
from ..matrix import SMALL_SAMPLE, matrix_filters


def map_page(request):
    choropleth = build_choropleth(request.GET)
    filters = matrix_filters(request.GET)
    filters.pop(SHARE_PARAM, None)
    context = {
        "map": choropleth,
        "share_choices": share_choices(),
        "hidden_filters": [(k, v) for k, values in filters.lists() for v in values],
        "has_filters": bool(filters),
        "small_sample": SMALL_SAMPLE,
    }
    return render(request, "casestudies/map.html", context)
