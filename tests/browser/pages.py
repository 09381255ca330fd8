"""The public pages the browser checks visit, and a small data set that fills them.

Shared by the accessibility, keyboard and responsive tests and by
``scripts/screenshots.py``. Pages that other work adds later (the matrix, compare,
coverage, …) are found by path: one the URLconf does not serve yet is skipped,
so the checks cover each page from the day it arrives.
"""

from dataclasses import dataclass

from django.urls import reverse

from casestudies.models import Case, Chapter, Country, Release


@dataclass(frozen=True)
class PublicPage:
    name: str  # also the screenshot's file name
    path: str
    status: int = 200


def public_pages() -> list[PublicPage]:
    """Every public page, filled from whatever published data the database holds.

    Runs a few queries: it picks two published cases, a chapter, a country and the
    latest release (if there is one).
    """
    cases = list(Case.objects.published().order_by("chapter__number", "title")[:2])
    chapter = Chapter.objects.filter(cases__in=cases).order_by("number").first()
    country = Country.objects.filter(cases__in=cases).order_by("name").first()
    pages = [
        PublicPage("home", reverse("casestudies:home")),
        PublicPage("case-list", reverse("casestudies:case_list")),
        # The empty state: a search that matches nothing.
        PublicPage("case-list-empty", reverse("casestudies:case_list") + "?q=zzzz-no-such-case"),
    ]
    if cases:
        pages.append(PublicPage("case-detail", cases[0].get_absolute_url()))
    pages.append(PublicPage("chapter-list", reverse("casestudies:chapter_list")))
    if chapter:
        pages.append(PublicPage("chapter-detail", chapter.get_absolute_url()))
    pages.append(PublicPage("country-list", reverse("casestudies:country_list")))
    if country:
        pages.append(PublicPage("country-detail", country.get_absolute_url()))
    pages.append(PublicPage("codebook", reverse("casestudies:codebook")))
    for name, url in [
        ("matrix", reverse("casestudies:matrix")),
        (
            "matrix-shares",
            reverse("casestudies:matrix")
            + "?rows=policy_field&cols=provider_type&measure=row_share",
        ),
        ("map", reverse("casestudies:map")),
        ("map-share", reverse("casestudies:map") + "?share_of=participation_form:co-production"),
        ("outcomes", reverse("casestudies:outcomes")),
        ("outcomes-by-country", reverse("casestudies:outcomes") + "?by=country"),
        ("coverage", reverse("casestudies:coverage")),
    ]:
        pages.append(PublicPage(name, url))
    pages.append(PublicPage("compare-picker", reverse("casestudies:compare") + "?find="))
    compare = reverse("casestudies:compare")
    if len(cases) == 2:
        pages.append(PublicPage("compare", f"{compare}?cases={cases[0].slug},{cases[1].slug}"))
    pages.append(PublicPage("releases", reverse("casestudies:release_list")))
    release = Release.objects.latest_first().first()
    if release:
        pages.append(PublicPage("release-detail", release.get_absolute_url()))
    pages.append(PublicPage("not-found", "/cases/no-such-case/", status=404))
    return pages


def make_demo_data() -> None:
    """A handful of published cases in two countries: enough to fill every page.

    Twenty-seven cases, so the case list has a second page; one long German title
    to show whether narrow screens wrap it.
    """
    from tests import factories

    se = factories.CountryFactory(code="SE", name="Sweden")
    de = factories.CountryFactory(code="DE", name="Germany")
    childcare = factories.PolicyFieldFactory(slug="childcare", label="Childcare")
    health = factories.PolicyFieldFactory(slug="health", label="Health care")
    coproduction = factories.ParticipationFormFactory(slug="co-production", label="Co-production")
    cogovernance = factories.ParticipationFormFactory(slug="co-governance", label="Co-governance")
    coop = factories.ProviderTypeFactory(slug="cooperative", label="Co-operative")
    quality = factories.OutcomeDimensionFactory(slug="service-quality", label="Service quality")
    improved = factories.OutcomeDirectionFactory(slug="improved", label="Improved")
    chapter = factories.ChapterFactory(
        number=3, authors="Victor Pestoff", title="Citizens and co-production of welfare services"
    )
    other = factories.ChapterFactory(
        source=chapter.source, number=4, authors="Taco Brandsen", title="Co-management"
    )
    first = factories.CaseFactory(
        chapter=chapter,
        title="Parent co-operative childcare in Sweden",
        slug="parent-cooperative-childcare-sweden",
        countries=[se],
        policy_fields=[childcare],
        participation_forms=[coproduction],
        provider_types=[coop],
    )
    factories.OutcomeFactory(
        case=first,
        dimension=quality,
        direction=improved,
        finding="Parents rated the quality higher in co-operatives.",
    )
    factories.CaseFactory(
        chapter=chapter,
        title="Elterninitiativen: Kindertagesstättenelterninitiativenverband in Berlin",
        slug="elterninitiativen-berlin",
        countries=[de],
        policy_fields=[childcare],
        participation_forms=[coproduction, cogovernance],
    )
    for n in range(25):
        factories.CaseFactory(
            chapter=other,
            title=f"Community health centre {n + 1:02d}",
            slug=f"community-health-centre-{n + 1:02d}",
            countries=[se, de] if n % 2 else [se],
            policy_fields=[health],
            participation_forms=[cogovernance],
        )
