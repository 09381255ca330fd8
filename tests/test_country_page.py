"""The country page: its cases and its mix beside the whole atlas's, as drawn bars."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.models import CaseStatus
from casestudies.views.countries import COUNTRY_PAGE_CASES

from .factories import (
    CaseFactory,
    CountryFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
    ProviderTypeFactory,
)

pytestmark = pytest.mark.django_db

# N+1 guard: the case table's prefetches plus two queries per profile dimension
# (counts, terms), whatever the number of cases or terms.
COUNTRY_MAX_QUERIES = 22


@pytest.fixture(autouse=True)
def uncached(settings):
    # Count every time (PostgreSQL caches the profile counts under the data stamp,
    # which rolled-back tests can bring back to a value cached with other data).
    settings.FACET_CACHE_SECONDS = 0


@pytest.fixture
def sweden():
    se = CountryFactory(code="SE", name="Sweden")
    be = CountryFactory(code="BE", name="Belgium")
    cp = ParticipationFormFactory(slug="co-production", label="Co-production")
    cg = ParticipationFormFactory(slug="co-governance", label="Co-governance")
    coop = ProviderTypeFactory(slug="cooperative", label="Co-operative")
    childcare = PolicyFieldFactory(slug="childcare", label="Childcare")
    CaseFactory(
        title="Swedish parent co-ops",
        countries=[se],
        participation_forms=[cp],
        provider_types=[coop],
        policy_fields=[childcare],
    )
    CaseFactory(title="Swedish elder care", countries=[se], participation_forms=[cp, cg])
    CaseFactory(title="Belgian housing", countries=[be], participation_forms=[cg])
    CaseFactory(title="Belgian health", countries=[be], participation_forms=[cg])
    CaseFactory(title="Swedish draft", countries=[se], participation_forms=[cg], status="draft")
    return se


def _profile(response, key):
    return {
        row.label: row
        for axis, rows in response.context["profile"]
        if axis.key == key
        for row in rows
    }


def test_mix_beside_the_atlas_counts_distinct_published_cases(client, sweden):
    response = client.get("/countries/se/")
    assert response.status_code == 200
    assert response.context["here_total"] == 2
    assert response.context["atlas_total"] == 4
    forms = _profile(response, "participation_form")
    assert (forms["Co-production"].here.count, forms["Co-production"].atlas.count) == (2, 2)
    assert (forms["Co-governance"].here.count, forms["Co-governance"].atlas.count) == (1, 3)
    assert forms["Co-production"].here.percent == 100
    assert forms["Co-production"].atlas.percent == 50
    assert forms["Co-production"].difference == 50
    providers = _profile(response, "provider_type")
    # Three of the four atlas cases state no provider type: shown, never hidden.
    assert providers["Not stated"].atlas.count == 3
    assert providers["Not stated"].here.count == 1


def test_bars_are_server_side_svg_with_text_alternatives_and_numbers(client, sweden):
    html = client.get("/countries/se/").content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert "<title" in html and "Sweden: 100% (2 of 2 cases)" in html
    assert 'width="100"' in html and 'width="50"' in html  # proportional, no style=""
    assert "2 of 2 (100%)" in html  # the number is written, not only drawn
    assert "+50 points" in html
    assert "style=" not in html
    ids = re.findall(r'<title id="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # aria-labelledby targets are unique


def test_country_cases_and_link_to_the_filtered_list(client, sweden):
    html = client.get("/countries/SE/").content.decode()
    assert "Swedish parent co-ops" in html
    assert "Belgian housing" not in html
    assert "Swedish draft" not in html
    assert 'href="/cases/?country=SE"' in html


def test_a_country_without_cases_has_no_profile(client, sweden):
    CountryFactory(code="NO", name="Norway")
    response = client.get("/countries/no/")
    assert response.status_code == 200
    assert response.context["profile"] == []
    assert "No published cases in this country yet" in response.content.decode()


def test_query_count_is_pinned_and_constant(client, sweden, django_assert_max_num_queries):
    with django_assert_max_num_queries(COUNTRY_MAX_QUERIES):
        client.get("/countries/se/")
    with CaptureQueriesContext(connection) as before:
        client.get("/countries/se/")
    for _ in range(5):
        CaseFactory(
            countries=[sweden],
            participation_forms=[ParticipationFormFactory()],
            provider_types=[ProviderTypeFactory()],
            policy_fields=[PolicyFieldFactory()],
            status=CaseStatus.PUBLISHED,
        )
    with CaptureQueriesContext(connection) as after:
        client.get("/countries/se/")
    assert len(after) == len(before)


def test_a_country_with_many_cases_shows_the_first_and_links_to_all(client, sweden):
    for _ in range(COUNTRY_PAGE_CASES):
        CaseFactory(countries=[sweden])
    response = client.get("/countries/se/")
    total = COUNTRY_PAGE_CASES + 2
    assert len(response.context["cases"]) == COUNTRY_PAGE_CASES
    assert response.context["here_total"] == total
    assert f"All {total} cases in the case list" in response.content.decode()


def test_every_share_has_its_n_and_a_small_sample_is_flagged(client, sweden):
    page = client.get("/countries/se/").content.decode()
    assert "(n = 2, " in page and "(n = 4)" in page  # Sweden's 2 cases, the atlas's 4
    assert "Small sample" in page
    # Every difference carries the caution, linked to its explanation.
    differences = page.count('<a class="caution-marker" href="#small-sample">n = 2')
    rows = sum(len(rows) for _, rows in client.get("/countries/se/").context["profile"])
    assert differences == rows > 0


def test_five_cases_are_no_small_sample(client, sweden):
    for _ in range(3):
        CaseFactory(countries=[sweden])
    response = client.get("/countries/se/")
    assert response.context["small_sample"] is False
    assert b"Small sample" not in response.content
    assert b"(n = 5)" in response.content
