# ruff: noqa: S608 -- the stored lines' table name is a constant of the app.
"""cases.csv from the stored lines (PostgreSQL): the live rendering's bytes, never stale."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from casestudies.extracts import records, stored_lines
from casestudies.extracts.cases_csv import CasesCsv
from casestudies.extracts.writers import stream_csv
from casestudies.facets import CaseQuery
from casestudies.models import (
    Case,
    CaseSource,
    CaseStatus,
    Chapter,
    Country,
    InfluenceLevel,
    Outcome,
    OutcomeDirection,
    PolicyField,
    Source,
    WorldRegion,
)
from casestudies.tabular.columns import ExportContext, case_columns, outcome_dimensions

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    PolicyFieldFactory,
)
from .test_pg_csv import awkward_atlas  # noqa: F401 -- the fixture

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the stored lines are PostgreSQL's"
)

QUERIES = ["", "sort=updated", "sort=country", "sort=start_year", "q=quoted", "country=JP"]


def _extract(query: str = "", *, stored: bool = True) -> bytes:
    """cases.csv of the query, read from the stored lines (asserted) or rendered live."""
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="https://atlas.example/")
    columns = case_columns(ctx.dimensions)
    cases = CaseQuery(QueryDict(query)).cases
    extract = CasesCsv(cases, columns, ctx)
    assert isinstance(extract._chunks, stored_lines.StoredCsv) is stored
    return b"".join(extract)


def _live(query: str = "") -> bytes:
    """The Python writer's bytes: what the stored lines must give."""
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="https://atlas.example/")
    columns = case_columns(ctx.dimensions)
    cases = CaseQuery(QueryDict(query)).cases
    return b"".join(stream_csv(records.iter_records(cases), columns, ctx))


def _same(query: str = "") -> bytes:
    by_stored = _extract(query)
    assert by_stored == _live(query)
    return by_stored


@pytest.fixture
def stored(awkward_atlas):  # noqa: F811
    stored_lines.install(connection, rebuild=True)
    return awkward_atlas


def _stored_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {stored_lines.TABLE}")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("query", QUERIES)
def test_stored_lines_give_the_live_bytes(stored, query):
    assert _same(query).count(b"\r\n") >= 1


def test_the_awkward_row_is_stored_as_rendered(stored):
    text = _same("sort=title").decode()
    assert '"""quoted"", and\r\nsplit"' in text
    assert "Denmark|Norway|Zipangu\\|Japan\\\\" in text
    assert '"\'\ra lone carriage return first"' in text
    assert "'''+two apostrophes" in text
    assert "https://atlas.example/cases/" in text  # the request's host, added when read


def test_every_write_a_line_shows_renders_it_again(stored):
    """Each edit below changes what some case's line shows: the stored CSV follows at
    once, byte for byte (the triggers run in the writing statement's transaction)."""
    odd = stored
    case = Case.objects.exclude(pk=odd.pk).filter(status=CaseStatus.PUBLISHED).first()

    def check():
        assert _same("sort=title").count(b"\r\n") >= 2

    check()
    Case.objects.filter(pk=case.pk).update(title="=Renamed, with a comma")  # the case
    check()
    case.refresh_from_db()
    case.summary = "Saved through the model"
    case.save()
    check()
    term = PolicyFieldFactory(slug="new-term", label="Aardvark", order=0)
    case.policy_fields.add(term)  # a link row
    check()
    case.countries.clear()
    check()
    # A vocabulary label decides the order of a case's terms: relabelled, reordered.
    PolicyField.objects.filter(slug="a-zulu").update(label="Aaa first")
    check()
    PolicyField.objects.filter(slug="b-tied").update(slug="b-tied-renamed")
    check()
    Chapter.objects.filter(pk=odd.chapter_id).update(title="A chapter, renamed", number=9)
    check()
    Source.objects.filter(pk=odd.chapter.source_id).update(slug="renamed-source")
    check()
    Country.objects.filter(code="NO").update(name="Noreg")
    check()
    WorldRegion.objects.filter(slug="europe").update(slug="europa")
    check()
    Outcome.objects.filter(case=odd).update(finding="+ a finding that looks like a formula")
    check()
    OutcomeDirection.objects.filter(outcomes__case=odd).update(slug="renamed-direction")
    check()
    CaseSource.objects.filter(case=odd).update(locator="@ p. 4")
    check()
    Source.objects.filter(case_sources__case=odd, year=2020).update(slug="zz-last")
    check()
    level = InfluenceLevel.objects.first() or InfluenceLevel.objects.create(
        slug="some", label="Some", order=1
    )
    Case.objects.filter(pk=odd.pk).update(users_influence=level)
    check()
    InfluenceLevel.objects.filter(pk=level.pk).update(slug="renamed-level")
    check()
    draft = CaseFactory(title="A draft", status=CaseStatus.DRAFT)
    check()
    Case.objects.filter(pk=draft.pk).update(status=CaseStatus.PUBLISHED)  # published
    check()
    CaseFactory(title="Added now", countries=[CountryFactory(code="FI", name="Finland")])
    check()
    Case.objects.filter(pk=case.pk).delete()
    check()
    assert _stored_count() == Case.objects.count()


def test_an_update_that_changes_nothing_shown_renders_nothing(stored):
    """The search index updates search_vector on the case rows: no line is rendered."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {stored_lines.TABLE} SET head = 'marker,' WHERE case_id = %s", [stored.pk]
        )
        cursor.execute("UPDATE casestudies_case SET search_vector = search_vector")
        cursor.execute(f"SELECT head FROM {stored_lines.TABLE} WHERE case_id = %s", [stored.pk])
        assert cursor.fetchone()[0] == "marker,"


def test_other_columns_fall_back_to_the_live_rendering_until_installed(stored):
    """An outcome dimension is a column: the stored lines no longer fit the header."""
    before = _same()
    OutcomeDimensionFactory(slug="new-dimension", order=100)
    after = _extract(stored=False)
    assert after == _live() != before
    call_command("refresh_extract_lines", verbosity=0)  # rendered again: another signature
    assert _same() == after
    assert stored_lines.install(connection) is False  # nothing to do


def test_a_case_without_a_stored_line_is_rendered_in_the_same_query(stored):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {stored_lines.TABLE} WHERE case_id = %s", [stored.pk])
    _same()


def test_a_deferred_bulk_load_renders_its_lines_at_the_end(stored):
    with stored_lines.deferred_derived_data(connection, "c.title LIKE 'Bulk%%'"):
        CaseFactory.create_batch(3, title=factory_title())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {stored_lines.TABLE} l JOIN casestudies_case c "
                "ON c.id = l.case_id WHERE c.title LIKE 'Bulk%%'"
            )
            assert cursor.fetchone()[0] == 0  # deferred
    _same()


def factory_title():
    import factory

    return factory.Sequence(lambda n: f"Bulk {n}")


def test_migrate_renders_the_lines_of_existing_cases(stored):
    """Migration 0015 applied to a database that has cases: once migrate is done
    (post_migrate), every case has its line and the extract reads them."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("casestudies.migrations.0015_extract_lines")
    with connection.schema_editor() as editor:
        migration.drop(apps, editor)  # as before the migration
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'casestudies' AND name >= %s",
            ["0015_extract_lines"],  # and the later ones, applied again after it
        )
    call_command("migrate", "casestudies", verbosity=0)
    assert _stored_count() == Case.objects.count() >= 3
    _same()


def test_a_download_stopped_half_way_ends_its_copy(stored):
    CaseFactory.create_batch(150)  # more than one piece
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="https://atlas.example/")
    stored_lines.install(connection)
    extract = CasesCsv(CaseQuery(QueryDict()).cases, case_columns(ctx.dimensions), ctx)
    assert isinstance(extract._chunks, stored_lines.StoredCsv)
    pieces = iter(extract)
    next(pieces)
    extract.close()
    assert Case.objects.count() >= 150  # the connection is usable again
    _same()


@pytest.mark.django_db
def test_loading_the_book_leaves_lines_for_its_outcome_columns():
    """The book's fixtures bring the outcome dimensions (columns): load_book renders
    the lines for them, so its CSV is sent from them without waiting for a migrate."""
    call_command("load_book", verbosity=0)
    assert stored_lines.install(connection) is False  # nothing to do
    _same()
