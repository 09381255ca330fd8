"""Reading an uploaded spreadsheet: bytes -> header + rows, or one clear refusal.

Everything that makes the *file* unusable (not CSV, not UTF-8, empty, too big,
missing or unknown columns) raises :class:`ImportFileError` with a message a
curator can act on; problems in single rows are left to the validation.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..tabular.columns import Column

MAX_BYTES = 25 * 1024 * 1024  # comfortably more than 10,000 fully coded cases
# The cases CSV has about a hundred columns (three per outcome dimension); a header
# ten times wider is not a cases CSV, and refusing it early keeps the check cheap.
MAX_COLUMNS = 1000
_BINARY_SIGNATURES = {
    b"PK\x03\x04": _("This is an Excel workbook or ZIP archive, not a CSV file."),
    b"\xd0\xcf\x11\xe0": _("This is an old Excel (.xls) workbook, not a CSV file."),
    b"%PDF": _("This is a PDF, not a CSV file."),
}
SAVE_AS_HINT = _("Save the sheet as 'CSV UTF-8 (comma delimited)' and upload that file.")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; nothing was read into the database."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number a spreadsheet shows (the header is row 1)
    cells: dict[str, str]


def decode(data: bytes) -> str:
    if not data or not data.strip():
        raise ImportFileError(gettext("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            gettext(
                "The file is %(size)d MB; the import takes at most %(most)d MB. "
                "Split it into several files."
            )
            % {"size": len(data) // (1024 * 1024), "most": MAX_BYTES // (1024 * 1024)}
        )
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError(f"{what} {SAVE_AS_HINT}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            gettext("The file is not UTF-8 text (byte %(byte)d cannot be read).")
            % {"byte": exc.start + 1}
            + f" {SAVE_AS_HINT}"
        ) from exc
    if "\x00" in text:
        raise ImportFileError(
            gettext("The file contains binary data, so it is not a CSV file.") + f" {SAVE_AS_HINT}"
        )
    return text


def read_sheet(
    data: bytes, columns: list[Column], *, ignored: list[Column] = ()
) -> tuple[list[str], list[SheetRow]]:
    """The header and the non-blank rows, checked against the expected columns
    (``ignored``: columns a file may also have, which the import does not read)."""
    text = decode(data)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise ImportFileError(
            gettext("The file is not valid CSV: %(error)s.") % {"error": exc}
        ) from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportFileError(gettext("The file has no header row."))
    if len(records[0]) > MAX_COLUMNS:
        # Before anything looks at the names: a header can hold a million of them.
        raise ImportFileError(
            gettext(
                "The header has %(count)s columns; the import takes at most %(most)s (the "
                "cases CSV has %(expected)s). Check that the file is the cases CSV, saved with "
                "commas between the columns."
            )
            % {
                "count": f"{len(records[0]):,}",
                "most": f"{MAX_COLUMNS:,}",
                "expected": len(columns),
            }
        )
    header = [name.strip() for name in records[0]]
    check_header(header, [*columns, *ignored])
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave at the end
        if len(record) > len(header):
            extra = record[len(header) :]
            if any(cell.strip() for cell in extra):
                raise ImportFileError(
                    gettext(
                        "Row %(row)d has %(cells)d cells but the header has %(columns)d "
                        "columns; check for a stray comma or an unquoted value."
                    )
                    % {"row": index, "cells": len(record), "columns": len(header)}
                )
        record = record + [""] * (len(header) - len(record))
        rows.append(SheetRow(index, dict(zip(header, record, strict=False))))
    if not rows:
        raise ImportFileError(gettext("The file has a header but no rows to import."))
    return header, rows


def check_header(header: list[str], columns: list[Column]) -> None:
    """Refuse duplicate, unknown or missing columns; linear in the number of columns."""
    known = {column.name for column in columns}
    required = [c.name for c in columns if not c.derived and not c.optional]
    counts = Counter(header)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise ImportFileError(
            gettext("Columns appear more than once: %(columns)s.")
            % {"columns": ", ".join(duplicates)}
        )
    unknown = [name for name in header if name not in known]
    missing = [name for name in required if name not in counts]
    problems = []
    if missing:
        problems.append(gettext("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            gettext(
                "Unknown columns: %(columns)s (an outcome column must name an outcome "
                "dimension of the codebook)."
            )
            % {"columns": ", ".join(unknown)}
        )
    if problems:
        problems.append(
            gettext(
                "The import takes the columns of the cases CSV (/cases.csv); download it for a "
                "template, or see the column dictionary in docs/extracts.md."
            )
        )
        raise ImportFileError(" ".join(problems))
