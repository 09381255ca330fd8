"""/cases.csv: exactly the list's cases, every page, stable columns, safe and streamed."""

import csv
import io

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from casestudies.extracts import pg_csv, records
from casestudies.facets import CaseQuery
from casestudies.models import CaseStatus
from casestudies.plumbing.bad_parameter import BadParameter

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
)

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def header_of(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return next(csv.reader(io.StringIO(body, newline="")))


@pytest.fixture
def atlas():
    se = CountryFactory(code="SE", name="Sweden")
    de = CountryFactory(code="DE", name="Germany")
    childcare = PolicyFieldFactory(slug="childcare", label="Childcare")
    health = PolicyFieldFactory(slug="health", label="Health")
    coprod = ParticipationFormFactory(slug="co-production", label="Co-production")
    cases = [
        CaseFactory(title="Alpha", countries=[se], policy_fields=[childcare]),
        CaseFactory(title="Bravo", countries=[de], policy_fields=[health]),
        CaseFactory(
            title="Charlie",
            countries=[se, de],
            policy_fields=[childcare, health],
            participation_forms=[coprod],
        ),
        CaseFactory(title="Delta", countries=[de], policy_fields=[childcare]),
    ]
    CaseFactory(title="Draft", countries=[se], status=CaseStatus.DRAFT)
    return cases


@pytest.mark.parametrize(
    "query",
    [
        "",
        "country=SE",
        "country=se&country=DE",
        "policy_field=childcare",
        "country=DE&policy_field=childcare",
        "participation_form=co-production",
        "q=Charlie",
        "sort=title",
    ],
)
def test_rows_are_the_lists_cases_in_order(client, atlas, query):
    expected = list(CaseQuery(QueryDict(query)).cases.values_list("slug", flat=True))
    rows = rows_of(client.get(f"/cases.csv?{query}"))
    assert [row["slug"] for row in rows] == expected
    assert "Draft" not in {row["title"] for row in rows}


def test_every_page_not_just_the_first(client):
    CaseFactory.create_batch(30)
    rows = rows_of(client.get("/cases.csv?page=2"))
    assert len(rows) == 30


def test_column_order_is_pinned(client):
    OutcomeDimensionFactory(slug="service-quality", order=1)
    OutcomeDimensionFactory(slug="trust", order=2)
    CaseFactory()
    assert header_of(client.get("/cases.csv")) == [
        "id",
        "slug",
        "title",
        "summary",
        "chapter_source",
        "chapter_number",
        "chapter_title",
        "chapter_authors",
        "countries",
        "country_names",
        "locality",
        "world_regions",
        "welfare_traditions",
        "policy_fields",
        "provider_types",
        "participation_forms",
        "levels",
        "phases",
        "participation_dimensions",
        "users_influence",
        "citizen_roles",
        "participants",
        "start_year",
        "end_year",
        "methods",
        "units_studied",
        "outcome_service_quality",
        "outcome_service_quality_finding",
        "outcome_service_quality_pages",
        "outcome_trust",
        "outcome_trust_finding",
        "outcome_trust_pages",
        "sources",
        "source_confidence",
        "source_locators",
        "source_notes",
        "source_pages",
        "coder_note",
        "status",
        "url",
        "last_updated",
    ]


def test_values_many_valued_fields_and_outcomes(client, atlas):
    charlie = atlas[2]
    charlie.start_year, charlie.end_year, charlie.units_studied = 1998, 2004, 12
    charlie.save()
    OutcomeFactory(case=charlie, dimension__slug="trust", direction__slug="improved")
    row = {r["slug"]: r for r in rows_of(client.get("/cases.csv"))}[charlie.slug]
    assert row["countries"] == "DE|SE"  # in country-name order: Germany, Sweden
    assert row["country_names"] == "Germany|Sweden"
    assert row["policy_fields"] == "childcare|health"
    assert row["participation_forms"] == "co-production"
    assert row["provider_types"] == ""  # not stated stays empty
    assert (row["start_year"], row["end_year"], row["units_studied"]) == ("1998", "2004", "12")
    assert row["outcome_trust"] == "improved"
    assert row["sources"] == charlie.chapter.source.slug
    assert row["source_confidence"] == "H"
    assert row["url"] == f"http://testserver/cases/{charlie.slug}/"
    assert row["last_updated"].endswith("Z")


def test_tricky_text_survives(client):
    tricky = {
        "title": 'Commas, "quotes" and\nnew lines',
        "summary": "Ελληνικά, 日本語, العربية — and “typographic” quotes",
        "locality": "=SUM(A1:A2)",
        "participants": "Parents | teachers",
    }
    CaseFactory(**tricky)
    (row,) = rows_of(client.get("/cases.csv"))
    assert row["title"] == tricky["title"]
    assert row["summary"] == tricky["summary"]
    assert row["locality"] == "'=SUM(A1:A2)"  # neutralised for spreadsheets
    assert row["participants"] == "Parents | teachers"


def test_headers_filename_and_bom(client):
    CaseFactory()
    response = client.get("/cases.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="coproduction-cases-')
    assert response["Content-Disposition"].endswith('.csv"')
    body = b"".join(response.streaming_content)
    assert body.startswith(b"id,slug,")
    assert b"\r\n" in body  # RFC 4180 line ends
    with_bom = b"".join(client.get("/cases.csv?bom=1").streaming_content)
    assert with_bom.startswith("\ufeff".encode()) and with_bom[3:] == body


def test_bad_bom_is_a_clear_400(client):
    response = client.get("/cases.csv?bom=yes")
    assert response.status_code == 400
    assert not response.streaming
    assert b"bom" in response.content


def test_bad_list_parameter_is_a_400_before_any_byte(client, monkeypatch):
    def refuse(params):
        raise BadParameter("year_from", "must be a year.", [])

    monkeypatch.setattr("casestudies.extracts.queries.CaseQuery", refuse)
    response = client.get("/cases.csv?year_from=abc")
    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"].startswith("text/plain")
    assert b"year_from" in response.content


def test_a_failing_query_fails_before_the_response_starts(client, monkeypatch):
    CaseFactory()

    def broken(queryset, **kwargs):
        raise RuntimeError("database went away")
        yield  # a generator, like the real one: it fails when first read

    monkeypatch.setattr("casestudies.extracts.queries.iter_records", broken)  # Python writer
    monkeypatch.setattr("casestudies.extracts.pg_csv.Chunks.__iter__", broken)  # PostgreSQL's
    monkeypatch.setattr("casestudies.extracts.stored_lines.StoredCsv.__iter__", broken)
    with pytest.raises(RuntimeError):
        client.get("/cases.csv")  # raised in the view, not half-way through a 200


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        b"".join(client.get(url).streaming_content)
    return len(captured)


def test_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    CaseFactory.create_batch(2)
    few = _queries(client, "/cases.csv")
    CaseFactory.create_batch(20)
    # N+1 guard: 1 (outcome dimensions) + 1 (the X-Row-Count) + 1 (cases) + the one
    # chunk's relations: 11 queries, or on PostgreSQL 1 (the stored lines' signature)
    # + 1 (the stored lines of every case, in the list's order).
    with django_assert_max_num_queries(few):
        b"".join(client.get("/cases.csv").streaming_content)
    assert few == (4 if connection.vendor == "postgresql" else 14)


@pytest.mark.parametrize("stored", [True, False], ids=["stored-lines", "rendered"])
def test_queries_grow_per_chunk_not_per_row(client, monkeypatch, settings, stored):
    settings.EXTRACT_STORED_LINES = stored
    monkeypatch.setattr(records, "CHUNK_SIZE", 5)
    monkeypatch.setattr(records, "PG_CHUNK_SIZE", 5)
    monkeypatch.setattr(pg_csv, "CHUNK_SIZE", 5)
    CaseFactory.create_batch(5)
    one_chunk = _queries(client, "/cases.csv")
    CaseFactory.create_batch(7)  # 12 cases: three chunks
    three_chunks = _queries(client, "/cases.csv")
    assert (three_chunks - one_chunk) % 2 == 0
    per_chunk = (three_chunks - one_chunk) // 2
    # PostgreSQL: the stored lines, one query whatever the rows; rendered, one query
    # returns the chunk's finished lines; elsewhere one per relation: 9 many-to-many
    # fields, outcomes, sources. (Cases: one cursor.)
    if connection.vendor == "postgresql":
        assert per_chunk == (0 if stored else 1)
    else:
        assert per_chunk == 11


def test_single_case_csv(client):
    case = CaseFactory(title="Only me")
    CaseFactory(title="Not me")
    response = client.get(f"/cases/{case.slug}.csv")
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="coproduction-case-{case.slug}-'
    )
    (row,) = rows_of(response)
    assert row["title"] == "Only me"


def test_single_draft_case_csv_is_404(client):
    case = CaseFactory(status=CaseStatus.DRAFT)
    assert client.get(f"/cases/{case.slug}.csv").status_code == 404


def test_case_page_links_to_its_files(client):
    case = CaseFactory()
    html = client.get(case.get_absolute_url()).content.decode()
    assert f'href="/cases/{case.slug}.csv"' in html
    assert f'href="/cases/{case.slug}.json"' in html


def test_filters_select_the_expected_cases(client, atlas):
    def titles(query):
        return [row["title"] for row in rows_of(client.get(f"/cases.csv?{query}"))]

    assert titles("country=SE") == ["Alpha", "Charlie"]
    assert titles("country=DE&policy_field=childcare") == ["Charlie", "Delta"]
    assert titles("country=SE&country=DE&policy_field=health") == ["Bravo", "Charlie"]


@pytest.mark.parametrize("query", ["year_from=abc", "country=ZZ", "policy_field=no-such-term"])
def test_bad_list_parameters_are_clear_400s(client, atlas, query):
    response = client.get(f"/cases.csv?{query}")
    assert response.status_code == 400
    assert not response.streaming
    assert query.split("=")[0].encode() in response.content
