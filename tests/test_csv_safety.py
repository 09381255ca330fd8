"""Spreadsheet safety: formula-like text neutralised, numbers untouched, reversible."""

import csv
import io

import pytest

from casestudies.tabular.csv_safe import neutralise, restore

from .factories import CaseFactory

TRIGGERS = ["=1+2", "+31 20 123", "-minus", "@SUM(A1)", "\tTabbed", "\rReturn"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_formula_like_text_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Plain", "", "2004", "a=b", "'quoted'", " =spaced"])
def test_other_text_is_untouched(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("text", [*TRIGGERS, "Plain", "'quoted'", "'=already", "''=twice", "'"])
def test_restore_inverts_neutralise(text):
    assert restore(neutralise(text)) == text


@pytest.mark.django_db
def test_export_neutralises_text_but_not_numbers(client):
    CaseFactory(
        title='=HYPERLINK("http://evil")',
        locality="@Home",
        participants="-parents",
        coder_note="+note",
        summary="\tindented",
        start_year=2001,
        units_studied=3,
    )
    body = b"".join(client.get("/cases.csv").streaming_content).decode()
    (row,) = list(csv.DictReader(io.StringIO(body, newline="")))
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["locality"] == "'@Home"
    assert row["participants"] == "'-parents"
    assert row["coder_note"] == "'+note"
    assert row["summary"] == "'\tindented"
    assert row["start_year"] == "2001"
    assert row["units_studied"] == "3"
    assert row["id"].isdigit()
