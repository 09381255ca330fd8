"""Spreadsheet import: preview, row errors, all-or-nothing, history, the command."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from casestudies.importing import ImportFileError, cases_import
from casestudies.models import Case, CaseSource, CaseStatus, Outcome

from .factories import (
    CaseFactory,
    ChapterFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    PolicyFieldFactory,
    SourceFactory,
    UserFactory,
)
from .import_helpers import new_row, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    se = CountryFactory(code="SE", name="Sweden")
    CountryFactory(code="DE", name="Germany")
    PolicyFieldFactory(slug="childcare")
    PolicyFieldFactory(slug="health")
    OutcomeDimensionFactory(slug="trust")
    OutcomeDirectionFactory(slug="improved")
    OutcomeDirectionFactory(slug="mixed")
    source = SourceFactory(slug="book")
    chapter = ChapterFactory(source=source, number=7)
    case = CaseFactory(slug="existing", title="Existing", chapter=chapter, countries=[se])
    return case


def export(client) -> list[dict]:
    body = b"".join(client.get("/cases.csv").streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_preview_classifies_rows_and_writes_nothing(client, world):
    rows = export(client)
    changed = dict(rows[0], title="Existing, renamed", slug="existing")
    unchanged_case = CaseFactory(slug="same", chapter=world.chapter)
    rows = export(client)
    by_slug = {r["slug"]: r for r in rows}
    data = to_csv([changed, by_slug[unchanged_case.slug], new_row(rows[0])])
    history_before = Case.history.count()

    report = cases_import(data)

    assert report.ok, report.errors
    assert [p.slug for p in report.creates] == ["new-case"]
    assert [p.slug for p in report.updates] == ["existing"]
    assert [p.slug for p in report.unchanged] == ["same"]
    assert not Case.objects.filter(slug="new-case").exists()
    assert Case.objects.get(slug="existing").title == "Existing"
    assert Case.history.count() == history_before


def test_commit_writes_everything_with_history(client, world, curator):
    user = curator
    rows = export(client)
    changed = dict(rows[0], title="Existing, renamed", policy_fields="childcare|health")
    fresh = new_row(
        rows[0], countries="se|DE", outcome_trust="improved", outcome_trust_finding="It rose."
    )
    report = cases_import(to_csv([changed, fresh]), user=user, commit=True)

    assert report.written and report.ok
    created = Case.objects.get(slug="new-case")
    assert sorted(created.countries.values_list("code", flat=True)) == ["DE", "SE"]
    assert created.status == CaseStatus.PUBLISHED
    assert created.created_by == user
    assert created.outcomes.get().finding == "It rose."
    assert created.case_sources.get().source.slug == "book"
    updated = Case.objects.get(slug="existing")
    assert updated.title == "Existing, renamed"
    assert set(updated.policy_fields.values_list("slug", flat=True)) == {"childcare", "health"}

    for case in (created, updated):
        record = case.history.first()
        assert record.history_user == user
        assert record.history_change_reason == "import"
    assert created.history.first().history_type == "+"
    assert {c.country_id for c in created.history.first().countries.all()} == {"DE", "SE"}
    assert {p.policyfield.slug for p in updated.history.first().policy_fields.all()} == {
        "childcare",
        "health",
    }
    assert Outcome.history.filter(history_change_reason="import").count() == 1
    assert CaseSource.history.filter(history_change_reason="import", history_user=user).exists()


def test_update_changes_and_removes_outcomes_and_sources(client, world, curator):
    user = curator
    trust = OutcomeFactory(case=world, dimension__slug="trust", direction__slug="improved")
    extra = SourceFactory(slug="article")
    CaseSource.objects.create(case=world, source=extra, confidence="M", locator="p. 3")
    (row,) = export(client)
    assert row["sources"] == "book|article"
    row.update(
        outcome_trust="mixed",
        outcome_trust_finding="Less clear | than hoped.",
        sources="article",
        source_confidence="H",
        source_locators="p. 4 \\| appendix",
        source_notes="",
    )
    report = cases_import(to_csv([row]), user=user, commit=True)
    assert report.written, report.errors
    trust.refresh_from_db()
    assert (trust.direction.slug, trust.finding) == ("mixed", "Less clear | than hoped.")
    (link,) = world.case_sources.all()
    assert (link.source.slug, link.confidence, link.locator) == ("article", "H", "p. 4 | appendix")
    deleted = CaseSource.history.filter(history_type="-").get()
    assert (deleted.history_user, deleted.history_change_reason) == (user, "import")


def test_publishing_needs_the_publish_permission(client, world):
    rows = export(client)
    report = cases_import(to_csv([new_row(rows[0])]), user=UserFactory(), commit=True)
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(2, "status")]
    assert "permission" in report.errors[0].message
    assert cases_import(to_csv([new_row(rows[0], status="draft")]), user=UserFactory()).ok


def test_one_bad_row_writes_nothing_and_is_reported(client, world):
    rows = export(client)
    good = new_row(rows[0], slug="good")
    bad = new_row(rows[0], slug="bad", countries="SE|XX")
    report = cases_import(to_csv([good, bad]), commit=True)
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(3, "countries")]
    assert "Unknown country code 'XX'" in report.errors[0].message
    assert not Case.objects.filter(slug__in=["good", "bad"]).exists()


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"countries": "SE|ZZ"}, "countries", "Unknown country code 'ZZ'"),
        ({"policy_fields": "childcare|space-travel"}, "policy_fields", "'space-travel'"),
        ({"start_year": "19x0"}, "start_year", "not a whole number"),
        ({"start_year": "1700"}, "start_year", "between 1800 and 2100"),
        ({"start_year": "2005", "end_year": "2001"}, "end_year", "before the start year"),
        ({"chapter_number": "99"}, "chapter_number", "No chapter 99"),
        ({"status": "live"}, "status", "'live' is not a status"),
        ({"outcome_trust": "soared"}, "outcome_trust", "Unknown outcome direction 'soared'"),
        ({"outcome_trust": "improved"}, "outcome_trust_finding", "needs its finding"),
        ({"sources": "", "status": "published"}, "status", "A source is required"),
        ({"sources": "book", "source_confidence": "H|M"}, "source_confidence", "Has 2 value"),
        ({"slug": "not a slug"}, "slug", "is not a slug"),
        ({"last_updated": "yesterday"}, "last_updated", "not a date"),
        ({"title": ""}, "title", "blank"),
    ],
)
def test_row_errors_name_row_column_and_problem(client, world, changes, column, message):
    rows = export(client)
    report = cases_import(to_csv([rows[0], new_row(rows[0], **changes)]))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert message in report.errors[0].message


def test_duplicate_slug_within_the_file(client, world):
    rows = export(client)
    report = cases_import(to_csv([new_row(rows[0]), new_row(rows[0], title="Again")]))
    assert [(e.row, e.column) for e in report.errors] == [(3, "slug")]
    assert "already used in row 2" in report.errors[0].message


def test_apostrophe_added_for_spreadsheets_is_removed(client, world):
    rows = export(client)
    report = cases_import(
        to_csv([new_row(rows[0], title="'=Not a formula", locality="'-5 degrees")]), commit=True
    )
    assert report.written
    case = Case.objects.get(slug="new-case")
    assert (case.title, case.locality) == ("=Not a formula", "-5 degrees")


def test_derived_columns_may_be_dropped_but_required_ones_not(client, world):
    rows = export(client)
    slim = [{k: v for k, v in row.items() if k not in ("url", "country_names")} for row in rows]
    assert cases_import(to_csv(slim)).ok
    without_title = [{k: v for k, v in row.items() if k != "title"} for row in rows]
    with pytest.raises(ImportFileError, match="Missing columns: title"):
        cases_import(to_csv(without_title))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"PK\x03\x04binary", "not a CSV"),
        ("slug,title\n".encode("utf-16"), "not UTF-8"),
        (b"slug,title\x00\n", "binary"),
    ],
)
def test_unusable_files_are_refused(data, message):
    with pytest.raises(ImportFileError, match=message):
        cases_import(data)


def test_unknown_columns_and_header_only(client, world):
    rows = export(client)
    with pytest.raises(ImportFileError, match="Unknown columns: colour"):
        cases_import(to_csv([dict(rows[0], colour="red")]))
    with pytest.raises(ImportFileError, match="no rows"):
        cases_import(to_csv([], header=list(rows[0])))


def test_new_case_keeps_exported_id_and_time_when_free(client, world):
    rows = export(client)
    fresh = new_row(rows[0], id="4242", last_updated="2020-02-03T04:05:06Z")
    taken = new_row(rows[0], slug="other", id=str(world.pk))
    report = cases_import(to_csv([fresh, taken]), commit=True)
    assert report.written
    case = Case.objects.get(slug="new-case")
    assert case.pk == 4242
    assert case.updated_at.isoformat() == "2020-02-03T04:05:06+00:00"
    assert Case.objects.get(slug="other").pk != world.pk
    assert [(n.row, n.column) for n in report.notes] == [(3, "id")]
    # The id sequence moved past the explicit id: the next case can still be saved.
    assert CaseFactory().pk != 4242


def test_command_dry_run_writes_nothing(client, world, tmp_path):
    rows = export(client)
    path = tmp_path / "cases.csv"
    path.write_bytes(to_csv([new_row(rows[0])]))
    out = io.StringIO()
    call_command("import_cases", str(path), "--dry-run", stdout=out)
    assert "1 to create" in out.getvalue()
    assert not Case.objects.filter(slug="new-case").exists()
    call_command("import_cases", str(path), stdout=out)
    assert Case.objects.filter(slug="new-case").exists()


def test_command_reports_errors_and_refusals(client, world, tmp_path):
    rows = export(client)
    path = tmp_path / "cases.csv"
    path.write_bytes(to_csv([new_row(rows[0], countries="XX")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import_cases", str(path), stderr=err)
    assert "Row 2, column countries" in err.getvalue()
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_cases", str(path))


def test_a_deleted_cases_id_stays_reserved(client, world, curator):
    rows = export(client)
    deleted = CaseFactory(slug="gone", title="Gone case", chapter=world.chapter)
    deleted_id = deleted.pk
    deleted._history_user = curator
    deleted.delete()

    report = cases_import(to_csv([new_row(rows[0], id=str(deleted_id))]), commit=True)

    assert not report.written
    [problem] = report.errors
    assert (problem.row, problem.column) == (2, "id")
    assert f"Id {deleted_id} belonged to the deleted case “Gone case”" in problem.message
    assert not Case.objects.filter(pk=deleted_id).exists()
    assert not Case.objects.filter(slug="new-case").exists()


def test_explicit_ids_never_wind_the_id_sequence_back_onto_a_deleted_case(client, world):
    rows = export(client)
    # A gap in the ids (a rolled-back insert leaves one on PostgreSQL): never used.
    gap = CaseFactory(slug="gap", chapter=world.chapter).pk
    Case.objects.filter(pk=gap).delete()
    Case.history.filter(id=gap).delete()
    highest = CaseFactory(slug="highest", chapter=world.chapter)
    highest_id = highest.pk
    highest.delete()

    report = cases_import(to_csv([new_row(rows[0], id=str(gap))]), commit=True)

    assert report.written, report.errors
    assert Case.objects.get(slug="new-case").pk == gap
    # The next new case does not take the deleted case's id.
    assert CaseFactory().pk > highest_id


def test_a_header_with_absurdly_many_columns_is_refused_at_once(client, world):
    import time

    rows = export(client)
    header = list(rows[0]) + [f"extra_{i}" for i in range(100_000)]
    data = to_csv([rows[0]], header=header)
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=r"100,\d{3} columns; the import takes at most"):
        cases_import(data)
    assert time.perf_counter() - started < 5  # was 75 s: the check was quadratic


def test_duplicate_columns_are_named_up_to_the_column_limit():
    from casestudies.importing.reading import MAX_COLUMNS, check_header

    # Every name twice, at the limit: each duplicate is named once (counted in one pass).
    header = [f"col_{i % (MAX_COLUMNS // 2)}" for i in range(MAX_COLUMNS)]
    with pytest.raises(ImportFileError, match="Columns appear more than once: col_0, col_1"):
        check_header(header, [])


def test_a_deleted_case_may_come_back_under_its_own_id_and_slug(client, world, curator):
    """Restoring an export: the row is the deleted case itself, so its history reads on."""
    rows = export(client)
    (row,) = [r for r in rows if r["slug"] == "existing"]
    last_version = Case.objects.get(pk=world.pk).version
    world._history_user = curator
    world.delete()

    report = cases_import(to_csv([row]), commit=True)

    assert report.written, report.errors
    back = Case.objects.get(pk=int(row["id"]))
    assert back.slug == "existing"
    assert back.version == last_version + 1
    assert [r.history_type for r in Case.history.filter(id=back.pk).order_by("history_date")][
        -2:
    ] == ["-", "+"]
