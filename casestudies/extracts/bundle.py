"""The self-documenting ZIP: both CSVs, datapackage.json and a README, streamed.

``zipfile`` writes to an unseekable sink (it then uses data descriptors), and
the bytes are handed on as soon as each piece of CSV is compressed, so the ZIP
never sits in memory. The README comes last because it states the row counts.
"""

import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings

from ..models import Source
from ..plumbing import licences
from ..reads.citations import AtlasRecord, atlas_apa, source_apa
from ..tabular.columns import OUTCOME_COLUMNS, SEPARATOR, Column, ExportContext
from .cases_csv import CasesCsv
from .datapackage import datapackage
from .writers import stream_csv


class _Sink:
    """A write-only file that collects bytes until they are taken."""

    def __init__(self):
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class Counted:
    """Rows passed through unchanged, counted as they go (for a README or a header)."""

    def __init__(self, rows: Iterable):
        self._rows = rows
        self.count = 0

    def __iter__(self):
        for row in self._rows:
            self.count += 1
            yield row


def readme(*, query: str, created: datetime, list_url: str, cases: int, outcomes: int) -> str:
    """The bundle's README. Runs one query (the books the atlas's chapters come from)."""
    books = Source.objects.filter(chapters__isnull=False).distinct().order_by("year", "title")
    date = created.strftime("%Y-%m-%d")
    extract_record = AtlasRecord(
        title="Co-production cases" + (f" matching '{query}'" if query else ""),
        description=f"Data set, extract of {date}",
        url=list_url,
        accessed=created.date(),
        year=created.year,
    )
    lines = [
        f"{settings.SITE_NAME}: extract of {date}",
        "=" * 60,
        "",
        f"Query:     {query or '(none: every published case)'}",
        f"Same view: {list_url}",
        f"Created:   {created.strftime('%Y-%m-%dT%H:%M:%SZ')} (UTC)",
        f"Rows:      {cases} cases in cases.csv, {outcomes} outcomes in outcomes.csv",
        "",
        "Files",
        "-----",
        "cases.csv          one row per case (wide: one column per outcome dimension)",
        "outcomes.csv       one row per case and outcome (long / tidy)",
        "datapackage.json   Frictionless Data Package: every column's name, type,",
        "                   description and allowed values from the codebook",
        "README.txt         this file",
        "",
        "Reading the files",
        "-----------------",
        "UTF-8, comma-separated, RFC 4180 quoting. An empty cell means 'not stated':",
        "the source does not say, and the atlas does not guess.",
        f"Many-valued cells join their values with '{SEPARATOR}' (codes cannot contain it;",
        "in free-text lists a literal '|' is written '\\|' and a backslash '\\\\').",
        "Text cells beginning with = + - @ (a formula in a spreadsheet) start with an",
        "added apostrophe; remove it when you analyse the text.",
        "",
        *licences.readme_lines(),
        "How to cite",
        "-----------",
        "This extract (APA 7; the atlas changes, so give the date you retrieved it):",
        f"  {atlas_apa(extract_record).text}",
        "",
        "The book(s) the cases come from:",
        *[f"  {source_apa(book).text}" for book in books],
        "",
        "Each case's page (column 'url') gives the citation of its chapter.",
        "",
    ]
    return "\n".join(lines)


def stream_bundle(
    *,
    cases_csv: CasesCsv,
    outcome_rows_of: callable,
    case_columns: list[Column],
    ctx: ExportContext,
    query: str,
    list_url: str,
    created: datetime,
) -> Iterator[bytes]:
    """Yield the ZIP's bytes. ``outcome_rows_of()`` is called once cases.csv is written.

    ``cases_csv`` is the cases.csv extract (its first chunk already read, so a failing
    query fails before the first byte of the ZIP).
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("cases.csv", "w", force_zip64=True) as member:
            for piece in cases_csv:
                member.write(piece)
                yield sink.take()
        counted_outcomes = Counted(outcome_rows_of())
        with archive.open("outcomes.csv", "w", force_zip64=True) as member:
            for piece in stream_csv(counted_outcomes, OUTCOME_COLUMNS, ctx):
                member.write(piece)
                yield sink.take()
        package = datapackage(case_columns, query=query, created=created, homepage=ctx.base_url)
        archive.writestr("datapackage.json", json.dumps(package, indent=2, ensure_ascii=False))
        archive.writestr(
            "README.txt",
            readme(
                query=query,
                created=created,
                list_url=list_url,
                cases=cases_csv.count,
                outcomes=counted_outcomes.count,
            ),
        )
    yield sink.take()
