from dataclasses import dataclass
from functools import partial

from django.db.models import Count, Prefetch, Q
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from pyroaring import BitMap

from ..facets import CaseQuery
from ..models import Case, Country
from ..models.country_names import sort_key
from ..reads import case_index
from ..reads.crosstab import Crosstab, crosstab, link_source
from ..reads.matrix import AXES

COUNTRY_PAGE_CASES = 25
# Fewer cases than this and a share is an anecdote: the page says so beside it.
SMALL_SAMPLE = 5
# The dimensions whose mix a country page sets beside the whole atlas's. Each a case's
# own many-to-many terms: "not stated" from the case index is then the cases outside
# the union of the terms' bitmaps (not so for a country group, which a case can reach
# through one country and lack through another; see ``indexed_counts``).
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


def _shares(counts, country_pk, term_pk) -> tuple[Share, Share]:
    """(this country's share, the atlas's share) of the cases with ``term_pk``."""
    here = Share(counts.cells.get((country_pk, term_pk), 0), counts.rows.get(country_pk, 0))
    return here, Share(counts.cols.get(term_pk, 0), counts.total)


def indexed_counts(index: "case_index.CaseIndex", country_pk, key: str) -> Crosstab:
    """This country's row of the country-by-``key`` cross-tabulation of all published
    cases, from the case index's bitmaps (no query): as ``crosstab`` gives it.

    A cell is |country ∩ term|, the row total |country|, a column total |term|, the
    total every published case; "not stated" (None) the cases with no term of ``key``.
    """
    terms = index.by_pk[key]
    here = index.by_pk[case_index.RELATED_COUNTRY].get(country_pk)
    if here is None:
        here = BitMap()  # a country no published case has
    stated = BitMap().union(*terms.values())
    cells = {(country_pk, pk): here.intersection_cardinality(found) for pk, found in terms.items()}
    cols = {pk: len(found) for pk, found in terms.items()}
    total = len(index.published)
    cells[country_pk, None] = len(here) - here.intersection_cardinality(stated)
    cols[None] = total - len(stated)
    return Crosstab(cells, {country_pk: len(here)}, cols, total)


def country_profile(
    country: Country, index: "case_index.CaseIndex | None" = None
) -> tuple[int, int, list[tuple[str, list[ProfileRow]]]]:
    """The country's mix of each profile dimension beside the atlas's.

    Shares are of cases (a case with two provider types counts for both, so a
    dimension's shares can add up to more than 100%). Each dimension's counts are
    this country's row of a country-by-term cross-tabulation of all published cases
    beside the column totals: from the case ``index`` (built under the current data
    stamp: bitmap intersections, no query) when given, else in SQL (the matrix's
    crosstab, cached alike on PostgreSQL). One query per dimension for its terms,
    and in SQL one more for the counts, whatever the data.
    """
    atlas_ids = Case.objects.published().order_by().values("pk")
    countries = partial(link_source, field_name="countries")
    here_total = atlas_total = 0
    profile = []
    for key in PROFILE_AXES:
        axis = AXES[key]
        if index is not None:
            counts = indexed_counts(index, country.pk, key)
        else:
            counts = crosstab(atlas_ids, countries, partial(axis.source, dimension=None))
        here_total, atlas_total = counts.rows.get(country.pk, 0), counts.total
        rows = [
            ProfileRow(str(term), term.slug, *_shares(counts, country.pk, term.pk))
            for term in axis.model.objects.ordered()
            if counts.cols.get(term.pk)
        ]
        if counts.cols.get(None):
            rows.append(ProfileRow(gettext("Not stated"), "", *_shares(counts, country.pk, None)))
        profile.append((axis, rows))
    return here_total, atlas_total, profile


def country_list(request):
    countries = (
        Country.objects.select_related("world_region", "welfare_tradition")
        .annotate(case_count=Count("cases", filter=Q(cases__status="published"), distinct=True))
        .order_by("name")
    )
    # Alphabetical in the page's language ("Allemagne" before "Belgique").
    countries = sorted(countries, key=lambda country: sort_key(country.display_name))
    return render(request, "casestudies/country_list.html", {"countries": countries})


def country_detail(request, code):
    country = get_object_or_404(
        Country.objects.select_related("world_region", "welfare_tradition"), code=code.upper()
    )
    # The list's own query with this country ticked: a search (q) here finds the same
    # cases in the same order as the case list (and its extracts) with these two filters.
    params = QueryDict(mutable=True)
    params["country"] = country.code
    q = request.GET.get("q", "")
    if q.strip():
        params["q"] = q
    query = CaseQuery(params)
    # The profile's counts from the worker's case index where it was built under the
    # data stamp as committed now (the stamp read once, for the list's query too).
    index = None
    if query.current_stamp is not None:
        index = case_index.current(query.db.alias, query.current_stamp)
    here_total, atlas_total, profile = country_profile(country, index)
    # The first cases by title (by relevance when searching); the rest are one link
    # away in the paginated list.
    cases = query.cases.select_related("chapter").prefetch_related(
        Prefetch("countries", queryset=Country.objects.order_by("name")),
        "policy_fields",
        "participation_forms",
    )[:COUNTRY_PAGE_CASES]
    context = {
        "country": country,
        "query": query,
        "list_query": params.urlencode(),
        "matching": query.filtered.count() if query.q else here_total,
        "cases": cases,
        "here_total": here_total,
        "atlas_total": atlas_total,
        "profile": profile if here_total else [],
        "small_sample": 0 < here_total < SMALL_SAMPLE,
        "small_sample_limit": SMALL_SAMPLE,
    }
    return render(request, "casestudies/country_detail.html", context)
