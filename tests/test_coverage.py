"""The coverage page /coverage/: per chapter, what is coded and what is not stated."""

import pytest
from django.urls import reverse

from casestudies.models import Case, CaseStatus, Chapter
from casestudies.views.coverage import coverage_summary

from .factories import CaseFactory, ChapterFactory, CountryFactory, PolicyFieldFactory

pytestmark = pytest.mark.django_db

URL = reverse("casestudies:coverage")


def _summary():
    cases = list(Case.objects.real().with_related())
    return coverage_summary(Chapter.objects.order_by("number"), cases)


def test_counts_coded_and_not_stated_per_chapter():
    chapter = ChapterFactory(number=16)
    childcare = PolicyFieldFactory(label="Childcare")
    CaseFactory(chapter=chapter, policy_fields=[childcare], countries=[CountryFactory()])
    CaseFactory(chapter=chapter, status=CaseStatus.DRAFT)
    rows, overall = _summary()
    row = rows[0]
    assert (row.published, row.unpublished, row.total) == (1, 1, 2)
    counts = {d.key: d for d in row.dimensions}
    assert (counts["policy_fields"].coded, counts["policy_fields"].not_stated) == (1, 1)
    assert counts["countries"].coded == 1
    assert counts["period"].coded == 0
    assert counts["policy_fields"].percent == 50
    assert {d.key: d.coded for d in overall} == {d.key: d.coded for d in row.dimensions}
    # The chapter is always known and the welfare tradition follows from the country.
    assert "chapter" not in counts and "welfare_tradition" not in counts


def test_synthetic_cases_are_not_counted():
    chapter = ChapterFactory()
    CaseFactory(chapter=chapter)
    synthetic = CaseFactory(chapter=chapter)
    Case.objects.filter(pk=synthetic.pk).update(is_synthetic=True)
    rows, _ = _summary()
    assert rows[0].total == 1


def test_page_lists_drafts_with_their_coder_note(client):
    chapter = ChapterFactory(number=12, authors="Schlappa")
    CaseFactory(chapter=chapter, title="Published regeneration case")
    CaseFactory(
        chapter=chapter,
        title="Unfinished regeneration case",
        status=CaseStatus.DRAFT,
        coder_note="Country not stated in the introduction.",
    )
    ChapterFactory(number=2, authors="Pestoff", is_empirical=False)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "12. Schlappa" in html
    assert "Unfinished regeneration case" in html
    assert "Country not stated in the introduction." in html
    assert "curators&#x27; to-do list" in html or "curators' to-do list" in html
    assert "a conceptual chapter" in html
    # Published titles are not in the to-do list (they are on the public pages).
    assert "Published regeneration case" not in html


def test_page_with_no_cases(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Every case is published." in response.content


def test_query_count_does_not_grow_with_cases(client, django_assert_max_num_queries):
    # N+1 guard: every case is read once with its relations pre-loaded (13 queries
    # today: the cases, 11 prefetches, the chapters), however many cases there are.
    chapter = ChapterFactory()
    country = CountryFactory()
    for _ in range(12):
        CaseFactory(chapter=chapter, countries=[country], status=CaseStatus.DRAFT)
    with django_assert_max_num_queries(15):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.count(b'<th scope="row">Case ') == 12


def test_book_data_page_shows_every_chapter(client, book_data, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "20. Brandsen, Verschuere &amp; Pestoff" in html
    assert "Hub-based homelessness services (Brown et al.)" in html  # a draft


def test_chapter_list_links_to_coverage(client):
    response = client.get(reverse("casestudies:chapter_list"))
    assert URL.encode() in response.content
