"""Hostile uploads at the import: a clear refusal, never a crash, nothing half-written.

Hypothesis throws whole files (random bytes, broken CSV) and hostile cell values in
otherwise valid rows at ``cases_import``; a few of the worst go through the admin
upload page as a curator would send them.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casestudies.importing import ImportFileError, cases_import
from casestudies.models import Case

from .import_helpers import exported_and_new_row, to_csv

pytestmark = pytest.mark.django_db

URL = "/admin/casestudies/case/import/"
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOSTILE_CELLS = [
    "",
    " ",
    "-1",
    "0",
    "1e309",
    "NaN",
    "9" * 40,
    str(2**63),
    "1999.5",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1)",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{ settings.SECRET_KEY }}",
    "日本語",
    "\u202eevil",
    "a\r\nb",
    "x" * 20_000,
    "SE;SE;SE",
    "ZZ",
    ";;;",
    "published",
    "deleted",
    "2000-1990",
]


@pytest.fixture
def template_row(client):
    """A valid new row of the export's columns (a draft), from the site's own CSV."""
    _existing, new = exported_and_new_row(client, status="draft")
    return new


def _import_is_safe(data: bytes, curator, *, database_may_refuse: bool = True) -> None:
    """Either a whole-file refusal with a message, or a report; writes only when clean."""
    before = Case.objects.count()
    try:
        report = cases_import(data, user=curator, commit=True)
    except ImportFileError as exc:
        assert exc.message.strip()
        if not database_may_refuse:
            # A row the checks let through but the database refused: validation has a gap.
            assert "database refused" not in exc.message, exc.message
        assert Case.objects.count() == before
        return
    assert all(problem.message.strip() for problem in report.errors)
    if report.errors:
        assert not report.written
        assert Case.objects.count() == before
    else:
        assert report.written


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_are_refused_cleanly(template_row, curator, data):
    _import_is_safe(data, curator)


@FUZZ
@given(
    header_noise=st.lists(st.text(max_size=20), max_size=5),
    body=st.text(max_size=2000),
)
def test_broken_csv_text_is_refused_cleanly(template_row, curator, header_noise, body):
    header = ",".join(list(template_row) + header_noise)
    _import_is_safe(f"{header}\n{body}".encode(), curator)


@FUZZ
@given(data=st.data())
def test_hostile_values_in_every_column(template_row, curator, data):
    row = dict(template_row)
    for column in data.draw(st.lists(st.sampled_from(list(row)), min_size=1, max_size=4)):
        row[column] = data.draw(st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=300)))
    _import_is_safe(to_csv([row]), curator, database_may_refuse=False)


@pytest.mark.parametrize("column", ["start_year", "end_year", "units_studied", "chapter_number"])
@pytest.mark.parametrize("value", ["-1", "1e309", "9" * 40, str(2**63), "1999.5", "abc"])
def test_bad_numbers_are_row_errors_not_database_errors(template_row, curator, column, value):
    if column not in template_row:
        pytest.skip(f"the export has no {column} column")
    row = {**template_row, column: value}
    report = cases_import(to_csv([row]), user=curator, commit=True)
    assert not report.written
    assert any(problem.column == column for problem in report.errors)


def _upload(client, data: bytes, name: str = "cases.csv"):
    file = SimpleUploadedFile(name, data, "text/csv")
    return client.post(URL, {"action": "preview", "file": file})


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("cases.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("cases.csv", b"\x1f\x8b\x08\x00" + b"\xff" * 100),
        ("cases.csv", "slug,title\n".encode("utf-16")),
        ("cases.csv", b'slug,title\n"unterminated,quote\n'),
        ("cases.csv", b"slug,title\n" + b"a," + b"x" * 200_000 + b"\n"),
        ("cases.csv", b"\r\r\r\r"),
        ("cases.csv", b"slug\x00,title\n"),
        ("../../etc/passwd.csv", b"slug,title\nx,y\n"),
        ("cases.csv.exe", b"MZ\x90\x00"),
    ],
)
def test_admin_upload_of_hostile_files_is_a_clear_400(client, curator, template_row, name, data):
    client.force_login(curator)
    before = Case.objects.count()
    response = _upload(client, data, name)
    assert response.status_code == 400
    assert (
        'class="errorlist' in response.content.decode() or "errornote" in response.content.decode()
    )
    assert Case.objects.count() == before


def test_admin_upload_of_hostile_values_is_previewed_with_row_errors(client, curator, template_row):
    client.force_login(curator)
    row = {**template_row, "countries": "ZZ", "title": "<script>alert(1)</script>"}
    response = _upload(client, to_csv([row]))
    html = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in html
    assert not Case.objects.filter(slug="from-sheet").exists()
