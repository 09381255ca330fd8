"""Export -> import into an empty database -> export again gives the identical file."""

import io

import pytest
from django.core.management import call_command

from casestudies.importing import cases_import
from casestudies.models import Case, CaseStatus

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


def export(client) -> bytes:
    response = client.get("/cases.csv")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_round_trip_gives_identical_bytes(client, rich_atlas):
    first = export(client)
    assert first.count(b"\r\n") >= 4  # header and three cases
    Case.objects.all().delete()
    assert export(client).count(b"\n") == 1  # only the header: the atlas is empty

    report = cases_import(first, commit=True)

    assert report.written, report.errors
    assert len(report.creates) == 3
    assert export(client) == first


def test_reimporting_an_export_changes_nothing(client, rich_atlas):
    first = export(client)
    report = cases_import(first, commit=True)
    assert (len(report.unchanged), len(report.creates), len(report.updates)) == (3, 0, 0)
    assert export(client) == first


def test_command_round_trip_keeps_drafts(client, rich_atlas, tmp_path):
    CaseFactory(title="Draft in progress", status=CaseStatus.DRAFT, sources=[])
    path = tmp_path / "backup.csv"
    call_command("export_cases", "--include-unpublished", "--output", str(path))
    first = path.read_bytes()
    Case.objects.all().delete()
    call_command("import_cases", str(path), stdout=io.StringIO())
    assert Case.objects.filter(status=CaseStatus.DRAFT).count() == 1
    call_command("export_cases", "--include-unpublished", "--output", str(path))
    assert path.read_bytes() == first


def test_round_trip_of_the_books_cases(client, book_data):
    first = export(client)
    Case.objects.all().delete()
    report = cases_import(first, commit=True)
    assert report.written, report.errors[:5]
    assert len(report.creates) == Case.objects.count() > 0
    assert export(client) == first
