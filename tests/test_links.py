"""Pages lead to each other: coded values, codebook terms and chapters link to the list.

Every link is followed: the list it opens holds exactly the cases the page counted.
"""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casestudies.models import CaseStatus

from .factories import (
    CaseFactory,
    ChapterFactory,
    CitizenRoleFactory,
    CountryFactory,
    InfluenceLevelFactory,
    MethodFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    ParticipationFormFactory,
    PhaseFactory,
    PolicyFieldFactory,
    ProviderTypeFactory,
    WelfareTraditionFactory,
)

pytestmark = pytest.mark.django_db

COUNTED_LINK = re.compile(r'<a [^>]*href="(/cases/\?[^"]+)"[^>]*>(\d+)')


def list_count(client, href: str) -> int:
    response = client.get(html.unescape(href))
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.fixture
def coded():
    nordic = WelfareTraditionFactory(slug="nordic", label="Nordic")
    se = CountryFactory(code="SE", name="Sweden", welfare_tradition=nordic)
    cp = ParticipationFormFactory(slug="co-production")
    childcare = PolicyFieldFactory(slug="childcare")
    third = ProviderTypeFactory(slug="third-sector")
    planning = PhaseFactory(slug="planning")
    role = CitizenRoleFactory(slug="co-designer")
    method = MethodFactory(slug="interviews")
    quality = OutcomeDimensionFactory(slug="quality")
    improved = OutcomeDirectionFactory(slug="improved")
    OutcomeDirectionFactory(slug="worsened")
    case = CaseFactory(
        countries=[se],
        participation_forms=[cp],
        policy_fields=[childcare],
        provider_types=[third],
        phases=[planning],
        citizen_roles=[role],
        methods=[method],
        users_influence=InfluenceLevelFactory(slug="decisive"),
    )
    OutcomeFactory(case=case, dimension=quality, direction=improved)
    CaseFactory(countries=[se], participation_forms=[cp], chapter=case.chapter)
    CaseFactory(participation_forms=[cp], status=CaseStatus.DRAFT, chapter=case.chapter)
    return case


def test_chapter_list_numbers_each_chapter_once_and_links_its_cases(client, coded):
    ChapterFactory(number=9, authors="Nobody")  # no case: no link to an empty list
    page = client.get(reverse("casestudies:chapter_list")).content.decode()
    chapter = coded.chapter
    assert f">{chapter.authors}</a>" in page
    assert f">{chapter.number}. {chapter.authors}</a>" not in page
    links = COUNTED_LINK.findall(page)
    assert links == [(f"/cases/?chapter={chapter.number}", "2")]
    assert list_count(client, links[0][0]) == 2


def test_every_coded_value_on_a_case_page_is_a_link(client, coded):
    page = client.get(coded.get_absolute_url())
    rows = {row.key: row for row in page.context["rows"]}
    for key, row in rows.items():
        if key in ("locality", "participants", "period", "units_studied"):
            continue  # free text and numbers, not coded values
        assert all(row.links) and len(row.links) == len(row.values), key
    content = page.content.decode()
    for key in (
        "policy_fields",
        "provider_types",
        "participation_forms",
        "phases",
        "citizen_roles",
        "methods",
        "welfare_tradition",
        "outcomes",
    ):
        (href,) = rows[key].links
        assert f'href="{html.escape(href)}"' in content
        listing = client.get(href)
        assert coded in listing.context["cases"], key
    # The one coded value the list cannot filter by (a single level, not a facet)
    # leads to its definition.
    (href,) = rows["users_influence"].links
    assert href.startswith(reverse("casestudies:codebook") + "#")


def test_codebook_counts_link_to_lists_of_as_many_cases(client, coded):
    response = client.get(reverse("casestudies:codebook"))
    content = response.content.decode()
    links = COUNTED_LINK.findall(content)
    params = {href.split("?")[1].split("=")[0] for href, _ in links}
    assert params >= {
        "participation_form",
        "policy_field",
        "provider_type",
        "phase",
        "citizen_role",
        "method",
        "welfare_tradition",
        "outcome",
    }
    for href, count in links:
        assert list_count(client, href) == int(count), href
    assert 'id="citizen_role-co-designer"' in content
    roles = next(v for v in response.context["vocabularies"] if v["key"] == "citizen_role")
    assert [(t.slug, n, link) for t, n, link in roles["terms"]] == [
        ("co-designer", 1, "/cases/?citizen_role=co-designer")
    ]


def test_codebook_query_count_does_not_grow_with_cases(client, coded):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("casestudies:codebook"))
        return len(captured)

    before = queries()
    assert before <= 20  # terms per vocabulary (13), the list's counts, four more counts
    cp = ParticipationFormFactory(slug="co-production")
    for _ in range(5):
        CaseFactory(participation_forms=[cp], citizen_roles=[CitizenRoleFactory(slug="x")])
    assert queries() == before
