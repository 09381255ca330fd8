"""Related cases on the case page: same policy field elsewhere, the same chapter."""

import random

import pytest
from django.db import connection

from casestudies.models import Case, CaseStatus
from casestudies.reads import case_index
from casestudies.reads.related import (
    MAX_SAME_CHAPTER,
    MAX_SAME_FIELD,
    choose_by_sql,
    related_cases,
)

from .factories import (
    CaseFactory,
    CountryFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
    ProviderTypeFactory,
)

pytestmark = pytest.mark.django_db

# N+1 guard for the whole case page, related cases included.
CASE_PAGE_MAX_QUERIES = 30
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the in-memory index needs the data stamp"
)


@pytest.fixture
def world():
    se, dk = CountryFactory(code="SE", name="Sweden"), CountryFactory(code="DK", name="Denmark")
    childcare, health = PolicyFieldFactory(label="Childcare"), PolicyFieldFactory(label="Health")
    coop, municipal = ProviderTypeFactory(label="Co-op"), ProviderTypeFactory(label="Municipal")
    cp = ParticipationFormFactory(label="Co-production")
    case = CaseFactory(
        slug="this",
        countries=[se],
        policy_fields=[childcare],
        provider_types=[coop],
        participation_forms=[cp],
    )
    return {
        "case": case,
        "danish_childcare": CaseFactory(
            slug="danish-childcare",
            countries=[dk],
            policy_fields=[childcare],
            provider_types=[municipal],
            participation_forms=[cp],
        ),
        "swedish_childcare": CaseFactory(
            slug="swedish-childcare", countries=[se], policy_fields=[childcare]
        ),
        "danish_health": CaseFactory(slug="danish-health", countries=[dk], policy_fields=[health]),
        "danish_draft": CaseFactory(
            slug="danish-draft", countries=[dk], policy_fields=[childcare], status=CaseStatus.DRAFT
        ),
        "sibling": CaseFactory(
            slug="sibling",
            chapter=case.chapter,
            countries=[se],
            policy_fields=[childcare],
            provider_types=[coop],
            participation_forms=[cp],
            locality="Malmö",
        ),
    }


def _load(case):
    return Case.objects.with_related().get(pk=case.pk)


def test_same_policy_field_in_other_countries_with_differences(world):
    related = related_cases(_load(world["case"]))
    assert [r.case.slug for r in related.same_field] == ["danish-childcare"]
    differences = related.same_field[0].differences
    assert "Countries" in differences
    assert "Provider types" in differences
    assert "Policy fields" not in differences
    assert "Participation forms" not in differences


def test_other_cases_of_the_chapter_with_differences(world):
    related = related_cases(_load(world["case"]))
    assert [r.case.slug for r in related.same_chapter] == ["sibling"]
    assert related.same_chapter[0].differences == ["Locality"]
    assert related.same_chapter_total == 1


def test_the_same_field_list_is_bounded_and_puts_most_shared_fields_first(world):
    case = _load(world["case"])
    extra_field = PolicyFieldFactory()
    case.policy_fields.add(extra_field)
    best = CaseFactory(
        title="zzz last by title",
        countries=[CountryFactory()],
        policy_fields=[*case.policy_fields.all()],
    )
    for _ in range(MAX_SAME_FIELD + 2):
        CaseFactory(countries=[CountryFactory()], policy_fields=[extra_field])
    related = related_cases(_load(case))
    assert len(related.same_field) == MAX_SAME_FIELD
    assert related.same_field[0].case == best


def test_a_case_without_policy_field_or_siblings_has_none(db):
    case = CaseFactory(countries=[CountryFactory()])
    CaseFactory(countries=[CountryFactory()])
    related = related_cases(_load(case))
    assert not related
    assert related.same_field == [] and related.same_chapter == []


def test_case_page_shows_related_cases_and_compare_links(client, world):
    html = client.get("/cases/this/").content.decode()
    assert "Related cases" in html
    assert "danish-childcare" in html
    assert "Differs in: Countries, Welfare tradition, Provider types." in html
    assert 'href="/compare/?cases=this,danish-childcare"' in html
    assert "danish-draft" not in html
    assert "danish-health" not in html  # another policy field


def test_case_page_query_count_is_bounded(client, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(CASE_PAGE_MAX_QUERIES):
        assert client.get("/cases/this/").status_code == 200
    for _ in range(6):
        CaseFactory(
            countries=[CountryFactory()], policy_fields=[*world["case"].policy_fields.all()]
        )
        CaseFactory(chapter=world["case"].chapter)
    with django_assert_max_num_queries(CASE_PAGE_MAX_QUERIES):
        assert client.get("/cases/this/").status_code == 200


def _page_queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_case_page_query_count_is_pinned_whatever_the_data(client, world):
    """The same number of queries with one related case or a full list of each kind.

    PostgreSQL: the data stamp, the live release and the case with its outcomes and
    sources (one statement), the index and its codebook (one and two queries: built
    afresh inside a test's transaction, kept between requests otherwise; see
    tests/test_case_page_paths.py for the two queries with a kept index), the related
    cases. SQLite chooses in SQL and loads every case ``with_related``.
    """
    expected = 5 if connection.vendor == "postgresql" else 28
    assert _page_queries(client, "/cases/this/") == expected
    for _ in range(MAX_SAME_CHAPTER + 3):
        CaseFactory(
            countries=[CountryFactory()], policy_fields=[*world["case"].policy_fields.all()]
        )
        CaseFactory(chapter=world["case"].chapter)
    assert _page_queries(client, "/cases/this/") == expected


def _varied_world(rng: random.Random) -> list[Case]:
    countries = [CountryFactory() for _ in range(5)]
    fields = [PolicyFieldFactory() for _ in range(4)]
    chapters = [CaseFactory().chapter for _ in range(3)]
    cases = []
    for i in range(60):
        cases.append(
            CaseFactory(
                title=rng.choice(["Alpha", "beta", "Gamma", "delta", "Épsilon"]) + f" {i % 7}",
                chapter=rng.choice(chapters),
                countries=rng.sample(countries, rng.randint(0, 2)),
                policy_fields=rng.sample(fields, rng.randint(0, 3)),
                status=rng.choice([CaseStatus.PUBLISHED] * 4 + [CaseStatus.DRAFT]),
            )
        )
    return cases


@postgres_only
def test_the_in_memory_index_chooses_what_the_sql_chooses(db):
    """Every published case of a varied world: same lists, same order, same totals."""
    cases = _varied_world(random.Random(18))
    index = case_index.build("default")
    published = Case.objects.published().with_related()
    assert index.size == published.count()
    for case in published:
        assert index.choose(case.pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER) == choose_by_sql(case)
    draft = next(case for case in cases if case.status == CaseStatus.DRAFT)
    assert index.choose(draft.pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER) is None


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_index_is_kept_until_a_write_changes_the_data_stamp(world, clock):
    kept = case_index.current("default")
    assert case_index.current("default") is kept  # no write: the same index
    newcomer = CaseFactory(
        countries=[CountryFactory()], policy_fields=[*world["case"].policy_fields.all()]
    )
    clock[0] += case_index.MIN_REBUILD_SECONDS
    fresh = case_index.current("default")
    assert fresh is not kept
    assert kept.choose(newcomer.pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER) is None
    chosen = fresh.choose(world["case"].pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER)
    assert newcomer.pk in chosen.same_field
    Case.objects.filter(pk=newcomer.pk).update(status=CaseStatus.DRAFT)
    clock[0] += case_index.MIN_REBUILD_SECONDS
    chosen = case_index.current("default").choose(
        world["case"].pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER
    )
    assert newcomer.pk not in chosen.same_field


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_writes_in_quick_succession_fall_back_to_sql_not_to_a_stale_index(world, clock):
    assert case_index.current("default") is not None
    CaseFactory(countries=[CountryFactory()], policy_fields=[PolicyFieldFactory()])
    clock[0] += case_index.MIN_REBUILD_SECONDS / 2
    assert case_index.current("default") is None  # stale, too soon to rebuild
    related = related_cases(_load(world["case"]))  # the SQL choice meanwhile
    assert [r.case.slug for r in related.same_field] == ["danish-childcare"]
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert case_index.current("default") is not None
