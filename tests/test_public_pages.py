import pytest
from django.urls import reverse

from casestudies.models import CaseStatus

from .factories import (
    CaseFactory,
    ChapterFactory,
    CountryFactory,
    OutcomeFactory,
    PolicyFieldFactory,
)

pytestmark = pytest.mark.django_db


def test_home_counts_only_published_cases(client):
    se = CountryFactory(code="SE", name="Sweden")
    CaseFactory(countries=[se])
    CaseFactory(countries=[se], status=CaseStatus.DRAFT)
    response = client.get(reverse("casestudies:home"))
    assert response.status_code == 200
    assert response.context["case_count"] == 1
    assert b"Sweden" in response.content


def test_case_list_shows_published_not_drafts(client):
    CaseFactory(title="Parent co-operative childcare")
    CaseFactory(title="Unfinished draft case", status=CaseStatus.DRAFT)
    CaseFactory(title="Case under review", status=CaseStatus.REVIEW)
    response = client.get(reverse("casestudies:case_list"))
    assert response.status_code == 200
    assert b"Parent co-operative childcare" in response.content
    assert b"Unfinished draft case" not in response.content
    assert b"Case under review" not in response.content


def test_case_detail_shows_fields_outcomes_source_and_citations(client):
    field = PolicyFieldFactory(label="Childcare")
    case = CaseFactory(title="Swedish parent co-ops", policy_fields=[field], locality="")
    OutcomeFactory(case=case, finding="Quality was better in the co-operatives.")
    response = client.get(case.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Childcare" in html
    assert "not stated" in html  # the empty locality
    assert "Quality was better in the co-operatives." in html
    assert case.chapter.source.title in html
    assert "@incollection{" in html
    assert "(Eds.)" in html


def test_draft_case_detail_is_404(client):
    case = CaseFactory(status=CaseStatus.DRAFT)
    assert client.get(case.get_absolute_url()).status_code == 404


def test_unknown_case_slug_is_404_with_search_form(client):
    response = client.get("/cases/no-such-case/")
    assert response.status_code == 404
    assert b'role="search"' in response.content


def test_chapter_pages(client):
    case = CaseFactory(title="Ghent initiative")
    CaseFactory(chapter=case.chapter, title="Hidden draft", status=CaseStatus.DRAFT)
    listing = client.get(reverse("casestudies:chapter_list"))
    assert listing.status_code == 200
    assert b"Ghent initiative" in listing.content
    assert b"Hidden draft" not in listing.content
    detail = client.get(case.chapter.get_absolute_url())
    assert detail.status_code == 200
    assert b"Ghent initiative" in detail.content
    assert b"Hidden draft" not in detail.content
    assert client.get("/chapters/999/").status_code == 404


def test_country_pages(client):
    be = CountryFactory(code="BE", name="Belgium")
    CaseFactory(title="Flemish childcare", countries=[be])
    assert client.get("/countries/").status_code == 200
    detail = client.get("/countries/be/")
    assert detail.status_code == 200
    assert b"Flemish childcare" in detail.content
    assert client.get("/countries/zz/").status_code == 404


def test_codebook_lists_terms_with_definitions_and_sources(client):
    PolicyFieldFactory(label="Traffic safety", definition="Road safety.", source="Freise")
    response = client.get(reverse("casestudies:codebook"))
    assert response.status_code == 200
    assert b"Traffic safety" in response.content
    assert b"Road safety." in response.content
    assert b"Freise" in response.content


def test_page_past_the_end_is_404_and_a_non_number_is_400(client):
    CaseFactory()
    assert client.get("/cases/?page=2").status_code == 404
    response = client.get("/cases/?page=abc")
    assert response.status_code == 400
    assert b"page" in response.content


def test_chapter_number_too_large_for_the_database_is_404(client):
    assert client.get("/chapters/99999/").status_code == 404
    assert client.get("/chapters/" + "9" * 30 + "/").status_code == 404


def test_health(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_chapter_list_heads_parts_but_not_the_introduction(client):
    intro = ChapterFactory(number=1, part="", is_empirical=False, authors="Editors")
    ChapterFactory(source=intro.source, number=2, part="Part I", authors="Pestoff")
    ChapterFactory(source=intro.source, number=7, part="", authors="Cahn & Gray")
    html = client.get(reverse("casestudies:chapter_list")).content.decode()
    assert html.count("<h2>Part not stated by the introduction</h2>") == 1
    assert '<h2 lang="en">Part I</h2>' in html
    assert html.index("Editors") < html.index('<h2 lang="en">Part I</h2>')
