"""The coverage page /coverage/: per chapter, what is coded and what is not stated.

Counted in the database (a fixed handful of queries however many cases), cached
under the data stamp on PostgreSQL; draft titles, statuses and notes only for
signed-in curators.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casestudies.models import Case, CaseStatus
from casestudies.reads.coverage import NOT_CODED_PER_CASE, coverage_summary
from casestudies.reads.presenters import case_field_rows
from casestudies.views import coverage as coverage_view

from . import factories
from .factories import CaseFactory, ChapterFactory, CountryFactory, PolicyFieldFactory

pytestmark = pytest.mark.django_db

URL = reverse("casestudies:coverage")


@pytest.fixture
def no_cache(settings):
    settings.FACET_CACHE_SECONDS = 0


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def test_counts_coded_and_not_stated_per_chapter(no_cache):
    chapter = ChapterFactory(number=16)
    childcare = PolicyFieldFactory(label="Childcare")
    CaseFactory(chapter=chapter, policy_fields=[childcare], countries=[CountryFactory()])
    CaseFactory(chapter=chapter, status=CaseStatus.DRAFT)
    rows, overall = coverage_summary()
    row = rows[0]
    assert (row.published, row.unpublished, row.total) == (1, 1, 2)
    counts = {d.key: d for d in row.dimensions}
    assert (counts["policy_fields"].coded, counts["policy_fields"].not_stated) == (1, 1)
    assert counts["countries"].coded == 1
    assert counts["period"].coded == 0
    assert counts["policy_fields"].percent == 50
    assert counts["levels"].label == "Level"  # named as on the case page
    assert {d.key: d.coded for d in overall} == {d.key: d.coded for d in row.dimensions}
    # The chapter is always known and the welfare tradition follows from the country.
    assert "chapter" not in counts and "welfare_tradition" not in counts


def test_database_counts_agree_with_the_case_page_for_every_dimension(no_cache):
    """The counts come from SQL; the case page's rows say what 'stated' means."""
    chapter = ChapterFactory()
    fully = {
        "locality": "Malmö",
        "participants": "Parents",
        "start_year": 1990,
        "units_studied": 4,
        "users_influence": factories.InfluenceLevelFactory(),
        "countries": [CountryFactory()],
        "policy_fields": [PolicyFieldFactory()],
        "provider_types": [factories.ProviderTypeFactory()],
        "participation_forms": [factories.ParticipationFormFactory()],
        "levels": [factories.LevelFactory()],
        "phases": [factories.PhaseFactory()],
        "participation_dimensions": [factories.ParticipationDimensionFactory()],
        "citizen_roles": [factories.CitizenRoleFactory()],
        "methods": [factories.MethodFactory()],
    }
    coded = CaseFactory(chapter=chapter, **fully)
    factories.OutcomeFactory(case=coded)
    CaseFactory(chapter=chapter, end_year=2001, status=CaseStatus.REVIEW)
    CaseFactory(chapter=chapter, status=CaseStatus.DRAFT)

    rows, _overall = coverage_summary()

    expected: dict[str, int] = {}
    for case in Case.objects.real().with_related():
        for field_row in case_field_rows(case):
            expected[field_row.key] = expected.get(field_row.key, 0) + field_row.is_stated
    assert {d.key: d.coded for d in rows[0].dimensions} == {
        key: value for key, value in expected.items() if key not in NOT_CODED_PER_CASE
    }


def test_synthetic_cases_are_not_counted(no_cache):
    chapter = ChapterFactory()
    CaseFactory(chapter=chapter)
    synthetic = CaseFactory(chapter=chapter)
    Case.objects.filter(pk=synthetic.pk).update(is_synthetic=True)
    rows, _ = coverage_summary()
    assert rows[0].total == 1


def draft_world():
    chapter = ChapterFactory(number=12, authors="Schlappa")
    CaseFactory(chapter=chapter, title="Published regeneration case")
    CaseFactory(
        chapter=chapter,
        title="Unfinished regeneration case",
        status=CaseStatus.DRAFT,
        coder_note="Country not stated in the introduction.",
    )
    CaseFactory(chapter=chapter, title="Case under review", status=CaseStatus.REVIEW)
    ChapterFactory(number=2, authors="Pestoff", is_empirical=False)


def test_anonymous_visitors_see_counts_but_no_unpublished_titles_status_or_notes(client):
    draft_world()
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "12. Schlappa" in html
    assert "a conceptual chapter" in html
    (row,) = [r for r in response.context["rows"] if r.chapter.number == 12]
    assert row.unpublished == 2  # counts are public
    for secret in (
        "Unfinished regeneration case",
        "Country not stated in the introduction.",
        "Case under review",
        "In review",
    ):
        assert secret not in html
    assert "signed-in curators" in html


def test_curators_see_the_drafts_with_their_status_and_coder_note(curator_client):
    draft_world()
    response = curator_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Unfinished regeneration case" in html
    assert "Country not stated in the introduction." in html
    assert "In review" in html
    assert "curators&#x27; to-do list" in html or "curators' to-do list" in html
    # Published titles are not in the to-do list (they are on the public pages).
    assert "Published regeneration case" not in html


def test_staff_without_the_view_permission_see_no_drafts(client):
    draft_world()
    client.force_login(factories.UserFactory(username="staffer", is_staff=True))
    assert "Unfinished regeneration case" not in client.get(URL).content.decode()
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_case"))
    client.force_login(viewer)
    assert "Unfinished regeneration case" in client.get(URL).content.decode()


def test_page_with_no_cases(curator_client):
    response = curator_client.get(URL)
    assert response.status_code == 200
    assert b"Every case is published." in response.content


def test_the_draft_list_is_paged(curator_client, monkeypatch):
    monkeypatch.setattr(coverage_view, "DRAFTS_PER_PAGE", 5)
    chapter = ChapterFactory()
    for n in range(7):
        CaseFactory(chapter=chapter, title=f"Draft {n:02}", status=CaseStatus.DRAFT)
    first = curator_client.get(URL).content.decode()
    second = curator_client.get(URL, {"page": 2}).content.decode()
    assert first.count('<th scope="row" lang="en">Draft ') == 5
    assert second.count('<th scope="row" lang="en">Draft ') == 2
    assert "Draft 06" in second and "Draft 06" not in first


@pytest.mark.parametrize("who", ["anonymous", "curator"])
def test_query_count_does_not_grow_with_cases(client, curator, who, no_cache):
    """Counted in the database: the same queries for 2 cases as for 40."""
    if who == "curator":
        client.force_login(curator)
    chapter = ChapterFactory()
    country = CountryFactory()

    def queries() -> int:
        client.get(URL)  # the session and the user are read once
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        CaseFactory(chapter=chapter, countries=[country], status=CaseStatus.DRAFT)
    few = queries()
    for _ in range(38):
        CaseFactory(chapter=chapter, countries=[country], status=CaseStatus.DRAFT)
    assert queries() == few
    assert few <= (8 if who == "curator" else 3)


def test_book_data_page_shows_every_chapter(curator_client, book_data, no_cache):
    response = curator_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "20. Brandsen, Verschuere &amp; Pestoff" in html
    assert "Hub-based homelessness services (Brown et al.)" in html  # a draft


@pytest.mark.postgres
def test_counts_are_cached_under_the_data_stamp_and_never_stale(client, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the data stamp (and so the cache) exists on PostgreSQL only")
    settings.FACET_CACHE_SECONDS = 600
    cache.clear()
    chapter = ChapterFactory()
    CaseFactory(chapter=chapter)
    with CaptureQueriesContext(connection) as cold:
        client.get(URL)
    with CaptureQueriesContext(connection) as warm:
        assert client.get(URL).context["rows"][0].total == 1
    assert len(warm.captured_queries) == len(cold.captured_queries) - 1  # no counting
    CaseFactory(chapter=chapter, status=CaseStatus.DRAFT)
    assert client.get(URL).context["rows"][0].total == 2  # a write changes the stamp


def test_chapter_list_links_to_coverage(client):
    response = client.get(reverse("casestudies:chapter_list"))
    assert URL.encode() in response.content
