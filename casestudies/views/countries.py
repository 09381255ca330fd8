from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from ..models import Case, Country


def country_list(request):
    countries = (
        Country.objects.select_related("world_region", "welfare_tradition")
        .annotate(case_count=Count("cases", filter=Q(cases__status="published"), distinct=True))
        .order_by("name")
    )
    return render(request, "casestudies/country_list.html", {"countries": countries})


def country_detail(request, code):
    country = get_object_or_404(
        Country.objects.select_related("world_region", "welfare_tradition"), code=code.upper()
    )
    cases = Case.objects.published().with_related().filter(countries=country).order_by("title")
    return render(request, "casestudies/country_detail.html", {"country": country, "cases": cases})
