"""PostgreSQL renders cases.csv in SQL: it must give the Python writer's bytes exactly."""

import time

import pytest
from django.db import OperationalError, connection
from django.http import QueryDict

from casestudies.extracts import pg_csv, records
from casestudies.extracts.cases_csv import CasesCsv
from casestudies.extracts.writers import stream_csv
from casestudies.facets import CaseQuery
from casestudies.models import CaseSource
from casestudies.tabular.columns import Column, ExportContext, case_columns, outcome_dimensions

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    PolicyFieldFactory,
    SourceFactory,
    WorldRegionFactory,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL writer is PostgreSQL's"
)


@pytest.fixture(autouse=True)
def _rendered_live(settings):
    """These tests are of the live rendering: not of the stored lines (test_stored_lines)."""
    settings.EXTRACT_STORED_LINES = False


def _both(query: str = "") -> tuple[bytes, bytes]:
    """cases.csv of the query from the SQL writer and from the Python writer."""
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="https://atlas.example/")
    columns = case_columns(ctx.dimensions)
    cases = CaseQuery(QueryDict(query)).cases
    by_sql = b"".join(CasesCsv(cases, columns, ctx))
    by_python = b"".join(stream_csv(records.iter_records(cases), columns, ctx))
    return by_sql, by_python


@pytest.fixture
def awkward_atlas(rich_atlas):
    """rich_atlas, plus what only the SQL needs to get right: ties, gaps and odd text."""
    europe = WorldRegionFactory(slug="europe")
    nordic = CountryFactory(code="NO", name="Norway", world_region=europe)
    unclassified = CountryFactory(code="JP", name="Zipangu|Japan\\", welfare_tradition=None)
    same_region = CountryFactory(code="DK", name="Denmark", world_region=europe)
    # Terms with the same order: the label decides, then (same label) the slug.
    tied = [
        PolicyFieldFactory(slug="b-tied", label="Tied", order=5),
        PolicyFieldFactory(slug="a-tied", label="Tied", order=5),
        PolicyFieldFactory(slug="a-zulu", label="Zulu", order=5),
        PolicyFieldFactory(slug="z-alpha", label="Alpha", order=5),
        PolicyFieldFactory(slug="c-first", label="Zed", order=1),
    ]
    odd = CaseFactory(
        title="\\.",  # alone on a line, PostgreSQL's COPY would quote it; the csv module does not
        summary="\ra lone carriage return first",
        locality="''+two apostrophes then a plus",
        participants="\ttab first",
        coder_note='"quoted", and\r\nsplit',
        source_pages="-5",
        countries=[unclassified, same_region, nordic],
        policy_fields=tied,
        start_year=None,
        units_studied=None,
        chapter__title="",
        sources=[],
    )
    first, second = SourceFactory(slug="zz-first", year=1999), SourceFactory(slug="aa", year=2020)
    CaseSource.objects.create(case=odd, source=second, confidence="H", locator="=sum(A1)")
    CaseSource.objects.create(case=odd, source=first, confidence="H", locator="p. 3, n. 2")
    CaseSource.objects.create(case=odd, source=SourceFactory(), confidence="M", note="|")
    late = OutcomeDimensionFactory(slug="late-dimension", order=99)
    direction = OutcomeDirectionFactory()
    OutcomeFactory(case=odd, dimension=late, direction=direction, finding="", pages="")
    CaseFactory(title="Bare", countries=[], sources=[])
    return odd


@pytest.mark.parametrize(
    "query",
    ["", "sort=updated", "sort=country", "sort=start_year", "q=quoted", "country=JP", "country=XX"],
)
def test_sql_writer_gives_the_python_writers_bytes(awkward_atlas, query):
    if "XX" in query:
        CountryFactory(code="XX")
    by_sql, by_python = _both(query)
    assert by_sql == by_python
    assert by_sql.count(b"\r\n") >= 2 or "XX" in query


def test_the_awkward_row_reads_as_intended(awkward_atlas):
    by_sql, _ = _both("sort=title")
    text = by_sql.decode()
    assert '"\'""quoted"", and\r\nsplit"' not in text  # a quote is not a formula trigger
    assert '"""quoted"", and\r\nsplit"' in text
    assert "DK|NO|JP" in text  # by name: Denmark, Norway, Zipangu|Japan\
    assert "Denmark|Norway|Zipangu\\|Japan\\\\" in text
    assert '"\'\ra lone carriage return first"' in text
    assert "c-first|z-alpha|a-tied|b-tied|a-zulu" in text
    assert "'''+two apostrophes" in text  # one more apostrophe, not two


def test_every_case_column_has_an_sql_expression(awkward_atlas):
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://x/")
    pg_csv._Query(connection, case_columns(ctx.dimensions), ctx)  # raises if one is missing
    stranger = Column("invented", "string", "Not a column of cases.csv.", lambda c, x: "")
    with pytest.raises(LookupError, match="invented"):
        pg_csv._Query(connection, [*case_columns(ctx.dimensions), stranger], ctx)


def test_chunks_keep_the_lists_order(awkward_atlas, monkeypatch):
    monkeypatch.setattr(pg_csv, "CHUNK_SIZE", 2)
    CaseFactory.create_batch(5)
    by_sql, by_python = _both("sort=title")
    assert by_sql == by_python


def _backends(expected: int | None = None) -> int:
    """Connections to the test database (waiting a little for closed ones to go)."""
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
        if count == expected or expected is None:
            return count
        time.sleep(0.05)  # a backend leaves pg_stat_activity a moment after its client
    return count


@pytest.mark.django_db(transaction=True)
def test_parallel_rendering_matches_serial_and_closes_its_connections(settings, monkeypatch):
    """Outside a transaction the chunks are rendered on several connections at once."""
    monkeypatch.setattr(pg_csv, "CHUNK_SIZE", 3)
    CaseFactory.create_batch(11, countries=[CountryFactory()])
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://x/")
    columns = case_columns(ctx.dimensions)
    cases = CaseQuery(QueryDict("sort=title")).cases
    before = _backends()

    settings.EXTRACT_PG_CONNECTIONS = 3
    parallel = CasesCsv(cases, columns, ctx)
    assert parallel._chunks.parallel == 3
    by_three = b"".join(parallel)
    assert parallel.count == 11
    assert _backends(before) == before  # the helpers' connections are closed

    settings.EXTRACT_PG_CONNECTIONS = 1
    assert b"".join(CasesCsv(cases, columns, ctx)) == by_three
    assert by_three == b"".join(stream_csv(records.iter_records(cases), columns, ctx))

    # A client that goes away half-way: what is running finishes, the rest is cancelled,
    # and the connections are closed all the same.
    settings.EXTRACT_PG_CONNECTIONS = 3
    pieces = iter(CasesCsv(cases, columns, ctx))
    next(pieces)
    pieces.close()
    assert _backends(before) == before


def test_inside_a_transaction_one_connection_does_it_all(rich_atlas, settings):
    settings.EXTRACT_PG_CONNECTIONS = 4
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://x/")
    extract = CasesCsv(CaseQuery(QueryDict()).cases, case_columns(ctx.dimensions), ctx)
    assert extract._chunks.parallel == 1  # others would not see this test's data
    assert b"".join(extract).count(b"\r\n") == 4


@pytest.mark.django_db(transaction=True)
def test_without_spare_connections_one_connection_does_it_all(settings, monkeypatch, caplog):
    """A server at its connection limit slows the download down; it does not fail it."""
    monkeypatch.setattr(pg_csv, "CHUNK_SIZE", 2)
    CaseFactory.create_batch(5, countries=[CountryFactory()])
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://x/")
    columns = case_columns(ctx.dimensions)
    cases = CaseQuery(QueryDict("sort=title")).cases
    expected = b"".join(stream_csv(records.iter_records(cases), columns, ctx))
    connection.ensure_connection()

    def refuse(params):
        raise OperationalError("FATAL: sorry, too many clients already")

    monkeypatch.setattr(connection, "get_new_connection", refuse)
    settings.EXTRACT_PG_CONNECTIONS = 2
    assert b"".join(CasesCsv(cases, columns, ctx)) == expected
    assert "helper connection refused" in caplog.text


def _open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_behind_a_transaction_pooler_the_ids_are_read_without_a_server_side_cursor(
    settings, monkeypatch
):
    """PgBouncer in transaction mode may hand the next FETCH of a cursor to another
    server connection, where the cursor does not exist: DATABASE_TRANSACTION_POOLING
    sets DISABLE_SERVER_SIDE_CURSORS, and the download is the same without one."""
    monkeypatch.setattr(pg_csv, "CHUNK_SIZE", 2)
    settings.EXTRACT_PG_CONNECTIONS = 1
    CaseFactory.create_batch(5, countries=[CountryFactory()])
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://x/")
    columns = case_columns(ctx.dimensions)
    cases = CaseQuery(QueryDict("sort=title")).cases
    expected = b"".join(stream_csv(records.iter_records(cases), columns, ctx))

    pieces = iter(CasesCsv(cases, columns, ctx))
    first = next(pieces)
    assert _open_cursors() == 1  # held between requests' transactions: what a pooler breaks
    assert first + b"".join(pieces) == expected

    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    pieces = iter(CasesCsv(cases, columns, ctx))
    first = next(pieces)
    assert _open_cursors() == 0
    assert first + b"".join(pieces) == expected
