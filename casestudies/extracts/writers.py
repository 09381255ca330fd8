"""Streaming CSV and JSON writers over the column specification.

Rows come from ``records.iter_records`` (a fixed number of queries per chunk of
cases, one chunk in memory); output is yielded as UTF-8 bytes in batches of rows.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import attrgetter
from typing import Any

from ..tabular.columns import CODES, SEPARATOR, SINGLE, TEXTS, Column, ExportContext, join_values
from ..tabular.csv_safe import PREFIX, TRIGGERS, neutralise

# Rows per yielded piece of output: large enough to keep the overhead small.
ROWS_PER_PIECE = 100
BOM = "\ufeff"


_INTEGER, _TEXT, _CODES, _TEXTS = range(4)
# A cell starting with one of these may need neutralising (csv_safe decides).
_SUSPECT_FIRST = frozenset(TRIGGERS) | {PREFIX}


def _kind(column: Column) -> int:
    if column.type == "integer":
        return _INTEGER
    if column.kind == CODES:
        return _CODES
    if column.kind == TEXTS:
        return _TEXTS
    return _TEXT


def _values_of(column: Column) -> Callable[[list, ExportContext], list]:
    """A function giving the column's values for a list of rows (one column of a batch)."""
    name = getattr(column.get, "attribute", None)
    if name:
        getter = attrgetter(name)  # runs in C
        return lambda rows, ctx: list(map(getter, rows))
    bulk = getattr(column.get, "bulk", None)
    if bulk is not None:
        return bulk
    get = column.get
    return lambda rows, ctx: [get(row, ctx) for row in rows]


def _csv_column(column: Column) -> Callable[[list, ExportContext], list]:
    """A function giving the column's CSV cells for a list of rows.

    Numbers are left as they are (the csv module writes an int as ``str()`` does and
    None as an empty cell); text is neutralised only when its first character could
    start a formula; many-valued cells are joined (an empty list is an empty cell).
    """
    values_of, kind = _values_of(column), _kind(column)
    if kind == _INTEGER:
        return values_of
    suspect = _SUSPECT_FIRST

    def cells(rows, ctx):
        values = values_of(rows, ctx)
        if kind == _CODES:
            values = [SEPARATOR.join(value) if value else "" for value in values]
        elif kind == _TEXTS:
            values = [join_values(value, TEXTS) if value else "" for value in values]
        return [
            value if not value or value[0] not in suspect else neutralise(value) for value in values
        ]

    return cells


def csv_rows(columns: list[Column]) -> Callable[[list, ExportContext], Iterable[tuple]]:
    """A function turning a batch of row objects into their CSV rows (tuples of cells).

    The hot loop of every extract (rows x columns), hence computed a column at a time
    over the batch: one list comprehension per column instead of a Python call per cell.
    """
    column_cells = [_csv_column(column) for column in columns]

    def rows_of(rows: list, ctx: ExportContext) -> Iterable[tuple]:
        return zip(*[cells(rows, ctx) for cells in column_cells], strict=True)

    return rows_of


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


def header_line(columns: list[Column]) -> str:
    """The header row as the csv module writes it (with its CRLF)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column.name for column in columns])
    return buffer.getvalue()


def stream_csv(
    rows: Iterable, columns: list[Column], ctx: ExportContext, *, bom: bool = False
) -> Iterator[bytes]:
    """RFC 4180 CSV (CRLF line ends, minimal quoting), UTF-8, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write((BOM if bom else "") + header_line(columns))
    rows_of = csv_rows(columns)
    rows = iter(rows)
    while batch := list(islice(rows, ROWS_PER_PIECE)):
        writer.writerows(rows_of(batch, ctx))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
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
