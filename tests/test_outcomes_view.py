"""/outcomes/: directions per outcome dimension by group; every number is its list's count."""

import html
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    ProviderTypeFactory,
    WelfareTraditionFactory,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a href="(/cases/\?[^"]+)">(\d+)')


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.FACET_CACHE_SECONDS = 0  # rolled-back writes can repeat a data stamp


@pytest.fixture
def effects():
    nordic = WelfareTraditionFactory(slug="nordic", label="Nordic")
    liberal = WelfareTraditionFactory(slug="liberal", label="Liberal")
    se = CountryFactory(code="SE", name="Sweden", welfare_tradition=nordic)
    dk = CountryFactory(code="DK", name="Denmark", welfare_tradition=nordic)
    us = CountryFactory(code="US", name="United States", welfare_tradition=liberal)
    quality = OutcomeDimensionFactory(slug="quality", label="Service quality")
    trust = OutcomeDimensionFactory(slug="trust", label="Trust")
    improved = OutcomeDirectionFactory(slug="improved", label="Improved")
    worsened = OutcomeDirectionFactory(slug="worsened", label="Worsened")
    mixed = OutcomeDirectionFactory(slug="mixed", label="Mixed")
    coop = ProviderTypeFactory(slug="cooperative")
    a = CaseFactory(countries=[se, dk], provider_types=[coop])  # two Nordic countries
    b = CaseFactory(countries=[se])
    c = CaseFactory(countries=[us], provider_types=[coop])
    d = CaseFactory(countries=[])  # no country: "not stated"
    CaseFactory(countries=[us])  # no outcome at all
    OutcomeFactory(case=a, dimension=quality, direction=improved)
    OutcomeFactory(case=a, dimension=trust, direction=mixed)
    OutcomeFactory(case=b, dimension=quality, direction=worsened)
    OutcomeFactory(case=c, dimension=quality, direction=improved)
    OutcomeFactory(case=d, dimension=trust, direction=improved)
    CaseFactory(countries=[se], status="draft")
    return {"nordic": nordic, "quality": quality}


def _block(view, slug):
    return next(b for b in view.blocks if b.dimension.slug == slug)


def test_directions_and_coded_counts_by_welfare_tradition(client, effects):
    view = client.get("/outcomes/").context["view"]
    quality = _block(view, "quality")
    assert quality.overall.cases == 5 and quality.overall.coded == 3
    rows = {row.label: row for row in quality.rows}
    nordic = rows["Nordic"]
    # Case a counts once in Nordic although it is in Sweden and Denmark.
    assert nordic.cases == 2 and nordic.coded == 2
    assert {s.direction.slug: s.count for s in nordic.segments} == {
        "improved": 1,
        "worsened": 1,
        "mixed": 0,
    }
    assert rows["Liberal"].cases == 2 and rows["Liberal"].coded == 1
    not_stated = rows["Not stated (no country recorded, or a country not classified)"]
    assert not_stated.cases == 1 and not_stated.coded == 0
    assert not_stated.cases_query is None  # the list cannot select "not stated"


def test_every_number_links_to_a_list_of_as_many_cases(client, effects):
    for query in ("", "?by=country", "?by=provider_type", "?by=country&provider_type=cooperative"):
        page = client.get(f"/outcomes/{query}").content.decode()
        links = LINK.findall(page)
        assert len(links) >= 5
        for href, count in links:
            listing = client.get(html.unescape(href))
            assert listing.context["page"].paginator.count == int(count), href


def _left_bar_cases(client, page: str, title: str, css: str) -> int:
    """The cases behind the bar titled ``title``, drawn left of the axis as a link."""
    bar = re.search(
        rf'<a href="(/cases/\?[^"]+)"><title>{re.escape(title)}</title>'
        rf'<rect class="{css}" x="-(\d+(\.\d+)?)"',
        page,
    )
    assert bar, f"{title}: a bar left of the axis, as a link"
    return client.get(html.unescape(bar.group(1))).context["page"].paginator.count


def test_the_chart_bars_link_to_their_cases_with_a_text_alternative(client, effects):
    page = client.get("/outcomes/?by=country").content.decode()
    title = "Sweden, Service quality: worsened, 1 case"
    assert _left_bar_cases(client, page, title, "dir-worsened") == 1


def test_a_problem_reported_is_drawn_left_in_its_own_pattern_and_explained(client, effects):
    """A problem stated without a change is bad news, not "worsened": its own key entry."""
    problem = OutcomeDirectionFactory(slug="problem-reported", label="Problem reported")
    case = CaseFactory(countries=[CountryFactory(code="NO", name="Norway")])
    OutcomeFactory(case=case, dimension=effects["quality"], direction=problem)
    page = client.get("/outcomes/?by=country").content.decode()
    title = "Norway, Service quality: problem reported, 1 case"
    assert _left_bar_cases(client, page, title, "dir-problem-reported") == 1
    assert 'class="dir-problem-reported"' in page.split('id="outcome-key"')[1].split("</div>")[0]
    assert '<pattern id="dots"' in page


def test_filters_narrow_the_view_like_the_list(client, effects):
    view = client.get("/outcomes/?provider_type=cooperative").context["view"]
    assert view.total == 2
    assert _block(view, "quality").overall.coded == 2


def test_bad_group_is_a_clear_400(client, effects):
    response = client.get("/outcomes/?by=outcome")
    assert response.status_code == 400
    assert "<code>by</code>" in response.content.decode()
    assert client.get("/outcomes/?country=ZZ").status_code == 400


def test_small_groups_are_marked(client, effects):
    page = client.get("/outcomes/").content.decode()
    assert 'class="caution-marker">n = 2<span class="visually-hidden">' in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/outcomes/", "/outcomes/?by=country&provider_type=cooperative"])
def test_query_count_is_pinned_and_constant(client, effects, url):
    before = _queries(client, url)
    assert before <= 6  # terms, dimensions, directions, counts (+ filter look-ups, stamp)
    for n in range(6):
        country = CountryFactory(welfare_tradition=WelfareTraditionFactory())
        case = CaseFactory(countries=[country], provider_types=[ProviderTypeFactory()])
        OutcomeFactory(case=case, dimension=effects["quality"])
        OutcomeFactory(case=case, dimension=OutcomeDimensionFactory(slug=f"extra-{n}"))
    assert _queries(client, url) == before


def test_counts_match_a_count_in_python(client, effects):
    view = client.get("/outcomes/?by=country").context["view"]
    from casestudies.models import Case

    expected = Counter()
    for case in Case.objects.published():
        for outcome in case.outcomes.all():
            for country in case.countries.all() or [None]:
                key = country.code if country else ""
                expected[key, outcome.dimension.slug, outcome.direction.slug] += 1
    shown = Counter()
    for block in view.blocks:
        for row in block.rows:
            for s in row.segments:
                if s.count:
                    shown[row.code, block.dimension.slug, s.direction.slug] = s.count
    assert shown == expected
