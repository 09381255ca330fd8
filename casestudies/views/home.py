from django.core.cache import cache
from django.db.models import Count, Q
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse

from ..models import Case, CaseStatus, Chapter, Country, ParticipationForm, PolicyField
from ..reads.choropleth import build_choropleth
from ..reads.matrix import SMALL_SAMPLE
from .fragments import cached_fragment

# Entry points shown on the home page: (context name, Case many-to-many field, term model).
ENTRY_POINTS = [
    ("countries", "countries", Country),
    ("policy_fields", "policy_fields", PolicyField),
    ("participation_forms", "participation_forms", ParticipationForm),
]


def published_counts_by_term(field_name: str, model) -> list:
    """Terms of ``model`` used by published cases, each with ``case_count``, most used first.

    Counts rows of the through table (one per case and term, so no DISTINCT is
    needed) and then loads just the terms that occur: two queries, whatever the
    number of cases.
    """
    through = getattr(Case, field_name).through
    term_column = f"{model._meta.model_name}_id"
    counts = dict(
        through.objects.filter(case__status="published")
        .values_list(term_column)
        .annotate(n=Count("*"))
        .order_by()
    )
    terms = list(model.objects.filter(pk__in=counts))
    for term in terms:
        term.case_count = counts[term.pk]
    terms.sort(key=lambda t: (-t.case_count, str(t)))
    return terms


# The counts aggregate every published case (hundreds of ms at 100,000 cases), yet
# change only when a case does: cache them under the time of the latest change,
# and for a few minutes at most so that a deletion shows up too.
HOME_COUNTS_TTL = 300


def home_counts() -> dict:
    latest = Case.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    key = f"home-counts:{latest.isoformat() if latest else 'empty'}"
    counts = cache.get(key)
    if counts is None:
        counts = {
            # Drafts and cases in review are counted (never listed), so the home page can
            # say what is still being coded; one query for both counts.
            **Case.objects.aggregate(
                case_count=Count("pk", filter=Q(status=CaseStatus.PUBLISHED)),
                being_coded_count=Count(
                    "pk", filter=~Q(status=CaseStatus.PUBLISHED) & Q(is_synthetic=False)
                ),
            ),
            "chapter_count": Chapter.objects.count(),
        }
        for name, field_name, model in ENTRY_POINTS:
            counts[name] = published_counts_by_term(field_name, model)
        counts["country_count"] = len(counts["countries"])
        cache.set(key, counts, HOME_COUNTS_TTL)
    return counts


def home(request):
    context = home_counts()

    def build() -> dict:
        return {
            "map": build_choropleth(QueryDict()),
            "small_sample": SMALL_SAMPLE,
            "list_url": reverse("casestudies:case_list"),
        }

    # The map of every published case, rendered once per data stamp on PostgreSQL;
    # the countries' numbers are in the "By country" list below it.
    context["case_map"], _ = cached_fragment(request, "home-map", "includes/choropleth.html", build)
    return render(request, "casestudies/home.html", context)
