"""Compare: chosen cases or a chapter's cases side by side, and its bad inputs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.models import CaseStatus
from casestudies.views.compare import MAX_CHAPTER_CASES

from .factories import (
    CaseFactory,
    ChapterFactory,
    CountryFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
)

pytestmark = pytest.mark.django_db

# N+1 guard: one with_related load (a query per prefetched relation), whatever the cases.
COMPARE_MAX_QUERIES = 16


@pytest.fixture
def pair():
    childcare = PolicyFieldFactory(label="Childcare")
    co_production = ParticipationFormFactory(label="Co-production")
    first = CaseFactory(
        slug="swedish-coops",
        title="Swedish parent co-ops",
        countries=[CountryFactory(code="SE", name="Sweden")],
        policy_fields=[childcare],
        participation_forms=[co_production],
        locality="Stockholm",
    )
    second = CaseFactory(
        slug="belgian-coops",
        title="Belgian parent co-ops",
        chapter=first.chapter,
        countries=[CountryFactory(code="BE", name="Belgium")],
        policy_fields=[childcare],
        participation_forms=[co_production],
        locality="",
    )
    return first, second


def _rows(response):
    return {row.label: row for row in response.context["rows"]}


@pytest.mark.parametrize(
    "query", ["cases=swedish-coops,belgian-coops", "cases=swedish-coops&cases=belgian-coops"]
)
def test_two_cases_side_by_side_with_differences_marked(client, pair, query):
    response = client.get(f"/compare/?{query}")
    assert response.status_code == 200
    assert [c.slug for c in response.context["cases"]] == ["swedish-coops", "belgian-coops"]
    rows = _rows(response)
    assert rows["Countries"].differs
    assert rows["Locality"].differs  # "Stockholm" against "not stated"
    assert not rows["Policy fields"].differs
    assert not rows["Participation forms"].differs
    html = response.content.decode()
    assert html.count('<tr class="differs">') == response.context["difference_count"]
    assert "≠ differs" in html  # a visible marker, not colour alone
    assert "Swedish parent co-ops" in html and "Belgian parent co-ops" in html
    assert "not stated" in html


def test_order_follows_the_request_and_repeats_are_dropped(client, pair):
    response = client.get("/compare/?cases=belgian-coops,swedish-coops,belgian-coops")
    assert response.status_code == 200
    assert [c.slug for c in response.context["cases"]] == ["belgian-coops", "swedish-coops"]


def test_four_cases_is_the_most(client, pair):
    extra = [CaseFactory().slug for _ in range(3)]
    ok = client.get("/compare/", {"cases": ",".join([pair[0].slug, *extra])})
    assert ok.status_code == 200
    too_many = client.get("/compare/", {"cases": ",".join([*(p.slug for p in pair), *extra])})
    assert too_many.status_code == 400
    assert "at most 4" in too_many.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cases=swedish-coops", "at least 2"),
        ("cases=", "at least 2"),
        ("cases=swedish-coops,swedish-coops", "at least 2"),
        ("cases=swedish-coops,no-such-case", "no published case is called &#x27;no-such-case"),
        ("cases=swedish-coops," + "x" * 500, "not a case identifier"),
        ("cases=swedish-coops,belgian-coops&chapter=2", "not both"),
        ("chapter=abc", "not a chapter number"),
        ("chapter=999", "there is no chapter 999"),
    ],
)
def test_bad_selections_are_a_clear_400(client, pair, query, message):
    response = client.get(f"/compare/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_draft_is_treated_like_an_unknown_case(client, pair):
    CaseFactory(slug="draft-case", status=CaseStatus.DRAFT)
    response = client.get("/compare/?cases=swedish-coops,draft-case")
    assert response.status_code == 400
    assert "no published case is called" in response.content.decode()


def test_without_a_selection_the_page_explains_how_to_choose(client, db):
    response = client.get("/compare/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose cases" in html and "Other ways to choose cases" in html
    assert "/compare/?cases=" in html


def test_every_published_case_of_a_chapter(client, pair):
    CaseFactory(chapter=pair[0].chapter, title="Hidden draft", status=CaseStatus.DRAFT)
    CaseFactory(title="Another chapter's case")
    response = client.get(f"/compare/?chapter={pair[0].chapter.number}")
    assert response.status_code == 200
    assert {c.slug for c in response.context["cases"]} == {"swedish-coops", "belgian-coops"}
    html = response.content.decode()
    assert "Hidden draft" not in html
    assert "Another chapter" not in html


def test_a_large_chapter_is_bounded_and_says_so(client, db):
    chapter = ChapterFactory()
    for _ in range(MAX_CHAPTER_CASES + 2):
        CaseFactory(chapter=chapter)
    response = client.get(f"/compare/?chapter={chapter.number}")
    assert response.status_code == 200
    assert len(response.context["cases"]) == MAX_CHAPTER_CASES
    assert f"This chapter has {MAX_CHAPTER_CASES + 2} published cases" in (
        response.content.decode()
    )


def test_a_chapter_with_one_case_has_nothing_to_compare(client, db):
    case = CaseFactory()
    response = client.get(f"/compare/?chapter={case.chapter.number}")
    assert response.status_code == 200
    assert "nothing to compare" in response.content.decode()


def test_chapter_page_links_to_compare_its_cases(client, pair):
    html = client.get(pair[0].chapter.get_absolute_url()).content.decode()
    assert f'href="/compare/?chapter={pair[0].chapter.number}"' in html
    assert "Compare this chapter's cases" in html


def test_query_count_is_pinned(client, pair, django_assert_max_num_queries):
    with django_assert_max_num_queries(COMPARE_MAX_QUERIES):
        assert client.get("/compare/?cases=swedish-coops,belgian-coops").status_code == 200
    more = [CaseFactory(countries=[CountryFactory()]).slug for _ in range(2)]
    with django_assert_max_num_queries(COMPARE_MAX_QUERIES):
        response = client.get("/compare/", {"cases": ",".join(["swedish-coops", *more])})
        assert response.status_code == 200


def _picker_slugs(response) -> list[tuple[str, bool]]:
    return [(case.slug, ticked) for case, ticked in response.context["choices"]]


def test_the_picker_lists_published_cases_with_checkboxes(client, pair):
    CaseFactory(slug="hidden-draft", title="Swedish draft", status=CaseStatus.DRAFT)
    response = client.get("/compare/")
    assert sorted(_picker_slugs(response)) == [("belgian-coops", False), ("swedish-coops", False)]
    html = response.content.decode()
    assert 'type="checkbox" name="cases" value="swedish-coops"' in html
    assert '<button type="submit" name="pick" value="1">' in html


def test_the_picker_searches_like_the_case_list(client, pair):
    response = client.get("/compare/", {"find": "Swedish"})
    assert _picker_slugs(response) == [("swedish-coops", False)]
    listing = client.get("/cases/", {"q": "Swedish"})
    assert response.context["found_total"] == listing.context["page"].paginator.count


def test_a_second_search_keeps_the_cases_already_ticked(client, pair):
    response = client.get("/compare/", {"find": "Belgian", "cases": "swedish-coops"})
    assert _picker_slugs(response) == [("swedish-coops", True), ("belgian-coops", False)]
    assert 'type="hidden" name="cases" value="swedish-coops"' in response.content.decode()


def test_picking_two_compares_them(client, pair):
    response = client.get(
        "/compare/", {"find": "", "pick": "1", "cases": ["swedish-coops", "belgian-coops"]}
    )
    assert response.status_code == 200
    assert [c.slug for c in response.context["cases"]] == ["swedish-coops", "belgian-coops"]


def test_picking_one_shows_the_picker_again_with_the_reason(client, pair):
    response = client.get("/compare/", {"find": "", "pick": "1", "cases": "swedish-coops"})
    assert response.status_code == 400
    assert "choose at least 2" in response.content.decode()
    assert _picker_slugs(response)[0] == ("swedish-coops", True)


def test_picker_query_count_does_not_grow_with_cases(client, pair):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get("/compare/", {"find": "co-ops", "cases": "swedish-coops"})
        return len(captured)

    before = queries()
    for n in range(5):
        CaseFactory(title=f"More co-ops {n}")
    assert queries() == before <= 4
