"""/chapters/ and a chapter's page name a chapter's first cases and link to all of them:
their size and their queries do not grow with a chapter's cases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casestudies.views import chapters

from .factories import CaseFactory, ChapterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowded(monkeypatch):
    monkeypatch.setattr(chapters, "CASES_PER_CHAPTER_ON_LIST", 3)
    monkeypatch.setattr(chapters, "CASES_ON_CHAPTER_PAGE", 4)
    chapter = ChapterFactory(number=5, authors="Many")
    for n in range(6):
        CaseFactory(chapter=chapter, title=f"Case {n:02d}")
    CaseFactory(chapter=chapter, title="Case 00 draft", status="draft")
    return chapter


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_chapter_list_names_the_first_cases_and_links_to_all(client, crowded):
    _, page = _queries(client, reverse("casestudies:chapter_list"))
    assert [f"Case {n:02d}" in page for n in range(6)] == [True] * 3 + [False] * 3
    assert "draft" not in page
    assert 'href="/cases/?chapter=5">All 6 cases of chapter 5</a>' in page


def test_chapter_page_shows_the_first_cases_and_the_full_count(client, crowded):
    _, page = _queries(client, crowded.get_absolute_url())
    assert [f"Case {n:02d}" in page for n in range(6)] == [True] * 4 + [False] * 2
    assert "The first 4 of 6 published cases" in page
    assert 'href="/cases/?chapter=5">all 6 in the case list</a>' in page


def test_chapter_pages_queries_do_not_grow_with_cases(client, crowded):
    list_before, _ = _queries(client, reverse("casestudies:chapter_list"))
    page_before, _ = _queries(client, crowded.get_absolute_url())
    other = ChapterFactory(number=6)
    for n in range(5):
        CaseFactory(chapter=crowded, title=f"Later {n}")
        CaseFactory(chapter=other)
    assert _queries(client, reverse("casestudies:chapter_list"))[0] == list_before
    assert _queries(client, crowded.get_absolute_url())[0] == page_before
