from django.db.models import Count, Q
from django.shortcuts import render

from ..models import Case, Chapter, Country, ParticipationForm, PolicyField

PUBLISHED = Q(cases__status="published")


def _with_published_counts(queryset):
    return (
        queryset.annotate(case_count=Count("cases", filter=PUBLISHED, distinct=True))
        .filter(case_count__gt=0)
        .order_by("-case_count", "pk")
    )


def home(request):
    published = Case.objects.published()
    context = {
        "case_count": published.count(),
        "country_count": Country.objects.filter(cases__in=published).distinct().count(),
        "chapter_count": Chapter.objects.count(),
        "countries": _with_published_counts(Country.objects.all()),
        "policy_fields": _with_published_counts(PolicyField.objects.all()),
        "participation_forms": _with_published_counts(ParticipationForm.objects.all()),
    }
    return render(request, "casestudies/home.html", context)
