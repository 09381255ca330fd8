# ruff: noqa: S608 -- the derived tables' names are constants of the app.
"""A curator's edit of a term re-renders what shows the term, and nothing else.

The search document reads a vocabulary term's ``label`` and ``synonyms``, a country's
name and region and tradition, a chapter's title and authors
(casestudies/reads/search_index.py); cases.csv's stored lines read a term's ``slug``
(and its ``order`` and ``label``, which order a case's terms), a country's code and
name, a chapter's number, title, authors and source (casestudies/extracts/pg_csv.py).
The admin saves every column of the row: an edit of a translation or a definition
must not re-render the term's cases (at 100,000 cases a popular term has 17,000).

Each test marks the derived data of the cases by hand, edits through the ORM's
``save()`` (every column written, as the admin does) and looks whether the mark
survived: a re-rendered case has lost it.
"""

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.forms.models import model_to_dict
from django.urls import reverse

from casestudies.extracts import stored_lines
from casestudies.models import Chapter, Country, PolicyField
from casestudies.reads.search import uses_fts
from casestudies.reads.search_index import FTS_COLUMNS, FTS_TABLE

from . import factories

pytestmark = pytest.mark.django_db

MARK = "zzmarked"


# --- the search index ----------------------------------------------------------------------


def _mark_search(*cases) -> None:
    with connection.cursor() as cursor:
        for case in cases:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE casestudies_case SET search_vector = to_tsvector('simple', %s) "
                    "WHERE id = %s",
                    [MARK, case.pk],
                )
            else:
                cursor.execute(
                    f"UPDATE {FTS_TABLE} SET coded = %s WHERE rowid = %s", [MARK, case.pk]
                )


def _search_marked(case) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT search_vector::text FROM casestudies_case WHERE id = %s", [case.pk]
            )
        else:
            cursor.execute(f"SELECT coded FROM {FTS_TABLE} WHERE rowid = %s", [case.pk])
        return MARK in cursor.fetchone()[0]


def _searched_text(case) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT search_vector::text FROM casestudies_case WHERE id = %s", [case.pk]
            )
        else:
            every = " || ' ' || ".join(FTS_COLUMNS)
            cursor.execute(f"SELECT {every} FROM {FTS_TABLE} WHERE rowid = %s", [case.pk])
        return cursor.fetchone()[0].lower()


@pytest.fixture
def world():
    if not uses_fts(connection):
        pytest.skip("no full-text index (SQLite without FTS5)")
    region = factories.WorldRegionFactory(slug="nordic", label="Nordic")
    norway = factories.CountryFactory(code="NO", name="Norway", world_region=region)
    field = factories.PolicyFieldFactory(slug="childcare", label="Childcare")
    other = factories.PolicyFieldFactory(slug="housing", label="Housing")
    coded = factories.CaseFactory(slug="coded", countries=[norway], policy_fields=[field])
    apart = factories.CaseFactory(slug="apart", policy_fields=[other])
    return {"field": field, "region": region, "country": norway, "coded": coded, "apart": apart}


def test_a_translation_or_definition_edit_reindexes_no_case(world):
    field, coded = world["field"], world["coded"]
    _mark_search(coded)
    field.label_in_de = "Kinderbetreuung"
    field.label_in_fr = "Garde d'enfants"
    field.definition = "Care of young children."
    field.definition_in_es = "Cuidado infantil."
    field.source = "A curator"
    field.save()
    region = world["region"]
    region.label_in_de = "Nordisch"
    region.save()
    assert _search_marked(coded)


def test_a_relabel_reindexes_exactly_the_term_s_cases(world):
    field, coded, apart = world["field"], world["coded"], world["apart"]
    _mark_search(coded, apart)
    field.label = "Early years"
    field.save()
    assert not _search_marked(coded)
    assert "earl" in _searched_text(coded)  # "earli" once stemmed (PostgreSQL)
    assert _search_marked(apart)


def test_a_synonym_edit_reindexes_the_term_s_cases(world):
    field, coded = world["field"], world["coded"]
    _mark_search(coded)
    field.synonyms = "kindergarten"
    field.save()
    assert "kindergarten" in _searched_text(coded)


def test_a_country_or_chapter_edit_reindexes_only_what_the_document_reads(world):
    coded, country = world["coded"], world["country"]
    chapter = Chapter.objects.get(pk=coded.chapter_id)
    _mark_search(coded)
    country.welfare_source = "Another classification"
    country.save()
    chapter.summary = "Another summary of the chapter."
    chapter.page_start = 12
    chapter.save()
    assert _search_marked(coded)
    Country.objects.filter(pk=country.pk).update(name="Noreg")
    assert "noreg" in _searched_text(coded)
    _mark_search(coded)
    chapter.title = "Kindergartens in the north"
    chapter.save()
    assert "north" in _searched_text(coded)


# --- cases.csv's stored lines (PostgreSQL) -------------------------------------------------


def _mark_lines(*cases) -> None:
    with connection.cursor() as cursor:
        for case in cases:
            cursor.execute(
                f"UPDATE {stored_lines.TABLE} SET head = %s WHERE case_id = %s", [MARK, case.pk]
            )


def _line_marked(case) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT head FROM {stored_lines.TABLE} WHERE case_id = %s", [case.pk])
        return cursor.fetchone()[0] == MARK


@pytest.fixture
def lines():
    if connection.vendor != "postgresql":
        pytest.skip("the stored lines are PostgreSQL's")
    norway = factories.CountryFactory(code="NO", name="Norway")
    field = factories.PolicyFieldFactory(slug="childcare", label="Childcare", order=1)
    other = factories.PolicyFieldFactory(slug="housing", label="Housing", order=2)
    coded = factories.CaseFactory(slug="coded", countries=[norway], policy_fields=[field, other])
    apart = factories.CaseFactory(slug="apart", policy_fields=[other])
    stored_lines.install(connection, rebuild=True)
    return {"field": field, "other": other, "country": norway, "coded": coded, "apart": apart}


def test_a_translation_or_definition_edit_renders_no_line(lines):
    field, coded = lines["field"], lines["coded"]
    _mark_lines(coded)
    field.label_in_de = "Kinderbetreuung"
    field.definition = "Care of young children."
    field.definition_in_fr = "Garde des jeunes enfants."
    field.synonyms = "kindergarten"  # the search's, not the CSV's
    field.save()
    country = lines["country"]
    country.welfare_source = "Another classification"
    country.save()
    assert _line_marked(coded)


def test_a_relabel_renders_no_line_unless_it_reorders_a_case_s_terms(lines):
    """The CSV shows slugs; a label only orders terms of the same ``order``."""
    field, other, coded, apart = lines["field"], lines["other"], lines["coded"], lines["apart"]
    _mark_lines(coded, apart)
    field.label = "Early years"
    field.save()
    assert _line_marked(coded)
    PolicyField.objects.filter(pk=other.pk).update(order=1)  # now tied with field
    assert not _line_marked(coded)
    assert not _line_marked(apart)
    _mark_lines(coded, apart)
    field.label = "Zzz last"  # the tie is broken by the label: coded's terms swap
    field.save()
    assert not _line_marked(coded)
    assert _line_marked(apart)  # not one of field's cases
    assert b"housing|childcare" in stored_line(coded)


def stored_line(case) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT head || tail FROM {stored_lines.TABLE} WHERE case_id = %s", [case.pk]
        )
        return cursor.fetchone()[0].encode()


def test_a_slug_or_country_name_edit_renders_the_cases_lines(lines):
    field, coded, apart = lines["field"], lines["coded"], lines["apart"]
    _mark_lines(coded, apart)
    field.slug = "early-years"
    field.save()
    assert not _line_marked(coded)
    assert _line_marked(apart)
    assert b"early-years" in stored_line(coded)
    _mark_lines(coded)
    country = lines["country"]
    country.name = "Noreg"
    country.save()
    assert not _line_marked(coded)
    assert b"Noreg" in stored_line(coded)


# --- the migration that installs the search's triggers -------------------------------------


def test_migration_0016_installs_the_comparing_triggers_and_goes_back(world):
    """Back to 0008's triggers (every update reindexes) and forward again, the vectors
    kept both ways (recomputing 100,000 takes minutes)."""
    migration = import_module("casestudies.migrations.0016_search_triggers_read_columns")
    editor = SimpleNamespace(connection=connection)  # what the migration's functions use
    field, coded, apart = world["field"], world["coded"], world["apart"]
    _mark_search(coded, apart)
    migration.reinstall_previous_triggers(apps, editor)
    assert _search_marked(coded) and _search_marked(apart)  # nothing recomputed
    field.label_in_de = "Kinderbetreuung"
    field.save()
    assert not _search_marked(coded)  # 0008: any update of the term reindexes
    _mark_search(coded)
    migration.install_triggers(apps, editor)
    assert _search_marked(coded) and _search_marked(apart)
    field.label_in_de = "Kita"
    field.save()
    assert _search_marked(coded)
    field.label = "Early years"
    field.save()
    assert not _search_marked(coded)
    assert _search_marked(apart)


# --- the admin's save: the longer curation timeout -----------------------------------------


def test_an_admin_relabel_outlasts_the_web_s_statement_timeout(client, superuser, world):
    """The relabel's statement re-indexes the term's cases (seconds at 100,000): the
    admin's save runs under DATABASE_CURATION_STATEMENT_TIMEOUT, not the web's limit."""
    if connection.vendor != "postgresql":
        pytest.skip("the statement timeout is PostgreSQL's")
    field = world["field"]
    with connection.cursor() as cursor:  # a slow relabel, in the test's transaction
        cursor.execute(
            "CREATE FUNCTION atlas_test_slow() RETURNS trigger AS $$ "
            "BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER atlas_test_slow AFTER UPDATE ON casestudies_policyfield "
            "FOR EACH STATEMENT EXECUTE FUNCTION atlas_test_slow()"
        )
        cursor.execute("SET statement_timeout = '400ms'")  # the web's, shortened
    client.force_login(superuser)
    data = {k: "" if v is None else v for k, v in model_to_dict(field).items() if k != "id"}
    data["label"] = "Early years"
    response = client.post(reverse("admin:casestudies_policyfield_change", args=[field.pk]), data)
    assert response.status_code == 302, response.content[:2000]
    field.refresh_from_db()
    assert field.label == "Early years"
    assert "earli" in _searched_text(world["coded"])
