"""Streaming CSV and JSON writers over the column specification.

Rows come from ``records.iter_records`` (a fixed number of queries per chunk of
cases, one chunk in memory); output is yielded as UTF-8 bytes in batches of rows.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from typing import Any

from .columns import CODES, SEPARATOR, SINGLE, TEXTS, Column, ExportContext, join_values
from .csv_safe import PREFIX, TRIGGERS, neutralise

# Rows per yielded piece of output: large enough to keep the overhead small.
ROWS_PER_PIECE = 500
BOM = "\ufeff"


_INTEGER, _TEXT, _CODES, _TEXTS = range(4)
# A cell starting with one of these may need neutralising (csv_safe decides).
_SUSPECT_FIRST = frozenset(TRIGGERS) | {PREFIX}


def _spec(column: Column) -> tuple:
    name = getattr(column.get, "attribute", None)
    # attrgetter runs in C; it ignores the context argument through the wrapper below.
    getter = attrgetter(name) if name else None
    if column.type == "integer":
        code = _INTEGER
    elif column.kind == CODES:
        code = _CODES
    elif column.kind == TEXTS:
        code = _TEXTS
    else:
        code = _TEXT
    return getter, column.get, code


def csv_cells(columns: list[Column]) -> Callable[[Any, ExportContext], list[str]]:
    """A function turning one row object into its list of CSV cells.

    The hot loop of every extract (rows x columns calls), hence written flat:
    numbers are written as they are, never neutralised; text is neutralised only
    when its first character could start a formula.
    """
    specs = [_spec(column) for column in columns]

    def cells(row, ctx: ExportContext) -> list[str]:
        out = []
        append = out.append
        for getter, get, code in specs:
            value = getter(row) if getter is not None else get(row, ctx)
            if value is None or value == "" or value == []:
                append("")
            elif code == _INTEGER:
                append(str(value))
            else:
                if code == _CODES:
                    value = SEPARATOR.join(value)
                elif code == _TEXTS:
                    value = join_values(value, TEXTS)
                append(neutralise(value) if value[:1] in _SUSPECT_FIRST else value)
        return out

    return cells


def json_record(columns: list[Column]) -> Callable[[Any, ExportContext], dict]:
    """A function turning one row object into its JSON object (lists stay lists)."""
    pairs = [(column.name, column.get, column.kind) for column in columns]

    def record(row, ctx: ExportContext) -> dict:
        out = {}
        for name, get, kind in pairs:
            value = get(row, ctx)
            if kind == SINGLE and value == "":
                value = None  # an unstated text is null, like an unstated number
            out[name] = value
        return out

    return record


def stream_csv(
    rows: Iterable, columns: list[Column], ctx: ExportContext, *, bom: bool = False
) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF line ends, minimal quoting), UTF-8, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    writer.writerow([column.name for column in columns])
    cells = csv_cells(columns)
    pending = 0
    for row in rows:
        writer.writerow(cells(row, ctx))
        pending += 1
        if pending >= ROWS_PER_PIECE:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def stream_json(
    rows: Iterable, columns: list[Column], ctx: ExportContext, *, key: str, meta: dict
) -> Iterator[bytes]:
    """``{<meta>, "<key>": [records...], "count": n}``.

    The count comes last because it is only known at the end; a stream cut off
    half-way is therefore not valid JSON, and cannot pass for a complete file.
    """
    head = json.dumps(meta, ensure_ascii=False)[:-1]  # drop the closing brace
    parts = [f'{head}, "{key}": [\n' if meta else f'{{"{key}": [\n']
    record = json_record(columns)
    count = 0
    for row in rows:
        prefix = ",\n" if count else ""
        parts.append(prefix + json.dumps(record(row, ctx), ensure_ascii=False))
        count += 1
        if len(parts) >= ROWS_PER_PIECE:
            yield "".join(parts).encode("utf-8")
            parts = []
    parts.append(f'\n], "count": {count}}}\n')
    yield "".join(parts).encode("utf-8")
