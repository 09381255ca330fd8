"""Full-text search: what it finds, how it ranks, and that its index keeps up.

Runs on both databases: PostgreSQL (tsvector + GIN) and SQLite (FTS5).
"""

import pytest
from django.db import connection
from django.http import QueryDict

from casestudies.facets import CaseQuery
from casestudies.models import Case
from casestudies.reads.search import repair_after_migrate, search_cases, uses_fts

from . import factories

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5")


def found(query: str) -> list[str]:
    return list(CaseQuery(QueryDict(query)).cases.values_list("slug", flat=True))


@pytest.fixture
def cases():
    chapter = factories.ChapterFactory(
        title="Welfare mix in Ghent", authors="Brandsen and Helderman"
    )
    return {
        "title": factories.CaseFactory(
            slug="title", title="Parent cooperatives in Swedish childcare", summary="Kindergartens."
        ),
        "summary": factories.CaseFactory(
            slug="summary", title="Day care", summary="Parents run the cooperative together."
        ),
        "locality": factories.CaseFactory(
            slug="locality", title="Housing", summary="Tenants.", locality="Östersund"
        ),
        "participants": factories.CaseFactory(
            slug="participants", title="Elder care", summary="Care.", participants="volunteers"
        ),
        "chapter": factories.CaseFactory(
            slug="chapter", title="Neighbourhood", summary="A hub.", chapter=chapter
        ),
    }


def test_finds_each_searched_field(cases):
    assert found("q=Swedish") == ["title"]
    assert found("q=volunteers") == ["participants"]
    assert found("q=Östersund") == ["locality"]
    assert found("q=Ghent") == ["chapter"]
    assert found("q=Helderman") == ["chapter"]


def test_words_must_all_match_and_phrases_and_exclusions(cases):
    assert found("q=parent childcare") == ["title"]
    assert found("q=tenants or volunteers&sort=title") == ["participants", "locality"]
    assert found('q="run the cooperative"') == ["summary"]
    assert set(found("q=cooperative -swedish")) == {"summary"}


def test_relevance_puts_title_matches_first(cases):
    # Both mention cooperatives; the title match outranks the summary match.
    if not uses_fts(connection):
        pytest.skip("the icontains fallback does not rank")
    assert found("q=cooperative")[:2] == ["title", "summary"]


def test_stemming_matches_other_forms(cases):
    if not uses_fts(connection):
        pytest.skip("the icontains fallback does not stem")
    assert "title" in found("q=cooperative")  # the title says "cooperatives"
    assert "summary" in found("q=parenting")  # ...and the summary "Parents"


def test_search_combines_with_facets(cases):
    se = factories.CountryFactory(code="SE", name="Sweden")
    cases["summary"].countries.set([se])
    assert found("q=cooperative&country=SE") == ["summary"]


def test_user_input_never_breaks_the_query(cases):
    for text in ['"', "NEAR(a b)", "a AND OR NOT", "*", "title:x", "(((", "'; drop table x"]:
        assert isinstance(found("q=" + text), list)


def test_punctuation_only_finds_nothing(cases):
    assert found("q=!!!") == []


def test_drafts_are_not_found(cases):
    factories.CaseFactory(title="Swedish draft", status="draft")
    assert found("q=Swedish") == ["title"]


def test_index_follows_edits_to_cases_and_chapters(cases):
    case = cases["locality"]
    Case.objects.filter(pk=case.pk).update(title="Allotment gardens")
    assert found("q=allotment") == ["locality"]
    case.chapter.title = "Zebra crossings"
    case.chapter.save()
    assert found("q=zebra") == ["locality"]
    case.delete()
    assert found("q=zebra") == []


@on_postgres
def test_postgres_search_uses_the_gin_index(cases):
    qs, _rank = search_cases(Case.objects.all(), "cooperative", connection)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "casestudies_case_search_gin" in plan


@on_sqlite
def test_sqlite_index_is_repaired_after_a_table_rebuild(cases):
    if not uses_fts(connection):
        pytest.skip("SQLite without FTS5")
    with connection.cursor() as cursor:
        # What a migration that rebuilds the case table does to its triggers.
        cursor.execute("DROP TRIGGER casestudies_search_case_ai")
        cursor.execute("DELETE FROM casestudies_case_fts")
    assert found("q=Swedish") == []
    repair_after_migrate(using="default")
    assert found("q=Swedish") == ["title"]
    factories.CaseFactory(slug="new", title="Brand new allotments")
    assert found("q=allotments") == ["new"]
