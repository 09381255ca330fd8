"""Spreadsheets for the import tests, made from the site's own CSV export."""

import csv
import io

from .factories import CaseFactory, ChapterFactory, CountryFactory, SourceFactory


def to_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def new_row(template: dict, **values) -> dict:
    """A new published case in the columns of ``template`` (an exported row).

    Chapter 7 of "book", in Germany, unless ``values`` say otherwise.
    """
    row = dict.fromkeys(template, "")
    row.update(
        slug="new-case",
        title="A new case",
        chapter_source="book",
        chapter_number="7",
        countries="DE",
        sources="book",
        status="published",
    )
    row.update(values)
    return row


def exported_and_new_row(client, **new_values) -> tuple[dict, dict]:
    """The exported row of an existing case ("existing") and a new row in its columns:
    "from-sheet", chapter 3 of "book", in Sweden, unless ``new_values`` say otherwise."""
    CountryFactory(code="SE", name="Sweden")
    ChapterFactory(source=SourceFactory(slug="book"), number=3)
    CaseFactory(slug="existing", title="Existing")
    body = b"".join(client.get("/cases.csv").streaming_content).decode()
    (row,) = list(csv.DictReader(io.StringIO(body, newline="")))
    defaults = {"slug": "from-sheet", "title": "From the sheet", "chapter_number": "3"}
    return row, new_row(row, **{**defaults, "countries": "SE", **new_values})
