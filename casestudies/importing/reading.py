"""Reading an uploaded spreadsheet: bytes -> header + rows, or one clear refusal.

Everything that makes the *file* unusable (not CSV, not UTF-8, empty, too big,
missing or unknown columns) raises :class:`ImportFileError` with a message a
curator can act on; problems in single rows are left to the validation.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass

from ..tabular.columns import Column

MAX_BYTES = 25 * 1024 * 1024  # comfortably more than 10,000 fully coded cases
# The cases CSV has about a hundred columns (three per outcome dimension); a header
# ten times wider is not a cases CSV, and refusing it early keeps the check cheap.
MAX_COLUMNS = 1000
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or ZIP archive",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook",
    b"%PDF": "a PDF",
}
SAVE_AS_HINT = "Save the sheet as 'CSV UTF-8 (comma delimited)' and upload that file."


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
        raise ImportFileError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            f"The file is {len(data) // (1024 * 1024)} MB; the import takes at most "
            f"{MAX_BYTES // (1024 * 1024)} MB. Split it into several files."
        )
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise ImportFileError(f"This is {what}, not a CSV file. {SAVE_AS_HINT}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). {SAVE_AS_HINT}"
        ) from exc
    if "\x00" in text:
        raise ImportFileError(
            f"The file contains binary data, so it is not a CSV file. {SAVE_AS_HINT}"
        )
    return text


def read_sheet(data: bytes, columns: list[Column]) -> tuple[list[str], list[SheetRow]]:
    """The header and the non-blank rows, checked against the expected columns."""
    text = decode(data)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise ImportFileError(f"The file is not valid CSV: {exc}.") from exc
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportFileError("The file has no header row.")
    if len(records[0]) > MAX_COLUMNS:
        # Before anything looks at the names: a header can hold a million of them.
        raise ImportFileError(
            f"The header has {len(records[0]):,} columns; the import takes at most "
            f"{MAX_COLUMNS:,} (the cases CSV has {len(columns)}). Check that the file is "
            "the cases CSV, saved with commas between the columns."
        )
    header = [name.strip() for name in records[0]]
    check_header(header, columns)
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave at the end
        if len(record) > len(header):
            extra = record[len(header) :]
            if any(cell.strip() for cell in extra):
                raise ImportFileError(
                    f"Row {index} has {len(record)} cells but the header has {len(header)} "
                    "columns; check for a stray comma or an unquoted value."
                )
        record = record + [""] * (len(header) - len(record))
        rows.append(SheetRow(index, dict(zip(header, record, strict=False))))
    if not rows:
        raise ImportFileError("The file has a header but no rows to import.")
    return header, rows


def check_header(header: list[str], columns: list[Column]) -> None:
    """Refuse duplicate, unknown or missing columns; linear in the number of columns."""
    known = {column.name for column in columns}
    required = [c.name for c in columns if not c.derived and not c.optional]
    counts = Counter(header)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise ImportFileError(f"Columns appear more than once: {', '.join(duplicates)}.")
    unknown = [name for name in header if name not in known]
    missing = [name for name in required if name not in counts]
    problems = []
    if missing:
        problems.append(f"Missing columns: {', '.join(missing)}.")
    if unknown:
        problems.append(
            f"Unknown columns: {', '.join(unknown)} (an outcome column must name an outcome "
            "dimension of the codebook)."
        )
    if problems:
        problems.append(
            "The import takes the columns of the cases CSV (/cases.csv); download it for a "
            "template, or see the column dictionary in docs/extracts.md."
        )
        raise ImportFileError(" ".join(problems))
