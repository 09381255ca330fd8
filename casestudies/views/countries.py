from dataclasses import dataclass

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from ..matrix import COL_AXES, count_by
from ..models import Case, Country

# The dimensions whose mix a country page sets beside the whole atlas's.
PROFILE_AXES = ("participation_form", "provider_type", "policy_field")


@dataclass(frozen=True)
class Share:
    count: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.count / self.total) if self.total else 0


@dataclass(frozen=True)
class ProfileRow:
    label: str
    slug: str  # "" for "not stated"
    here: Share
    atlas: Share

    @property
    def difference(self) -> int:
        """Percentage points by which the country's share exceeds the atlas's."""
        return self.here.percent - self.atlas.percent

    @property
    def gap(self) -> int:
        return abs(self.difference)


def country_profile(country: Country) -> tuple[int, int, list[tuple[str, list[ProfileRow]]]]:
    """The country's mix of each profile dimension beside the atlas's.

    Shares are of cases (a case with two provider types counts for both, so a
    dimension's shares can add up to more than 100%). Runs 2 + 3 per dimension
    queries, whatever the data.
    """
    atlas_ids = Case.objects.published().values("pk")
    here_ids = Case.objects.published().filter(countries=country).values("pk")
    atlas_total = atlas_ids.count()
    here_total = here_ids.count()
    profile = []
    for key in PROFILE_AXES:
        axis = COL_AXES[key]
        atlas = count_by(atlas_ids, axis.path)
        here = count_by(here_ids, axis.path)
        rows = [
            ProfileRow(
                term.label,
                term.slug,
                Share(here.get(term.pk, 0), here_total),
                Share(atlas.get(term.pk, 0), atlas_total),
            )
            for term in axis.model.objects.ordered()
            if atlas.get(term.pk)
        ]
        if atlas.get(None):
            rows.append(
                ProfileRow(
                    "Not stated",
                    "",
                    Share(here.get(None, 0), here_total),
                    Share(atlas[None], atlas_total),
                )
            )
        profile.append((axis, rows))
    return here_total, atlas_total, profile


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
    here_total, atlas_total, profile = country_profile(country)
    context = {
        "country": country,
        "cases": cases,
        "here_total": here_total,
        "atlas_total": atlas_total,
        "profile": profile if here_total else [],
    }
    return render(request, "casestudies/country_detail.html", context)
