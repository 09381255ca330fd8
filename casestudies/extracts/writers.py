"""Streaming CSV and JSON writers over the column specification.

Rows are read from the database in chunks (``QuerySet.iterator(chunk_size=...)``
with the prefetches of ``with_related()``): a fixed number of queries per chunk,
so the query count grows with rows / CHUNK_SIZE, never per row, and memory holds
one chunk at a time. Output is yielded as UTF-8 bytes in batches of rows.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .columns import SINGLE, Column, ExportContext, join_values
from .csv_safe import neutralise

# Cases per database round trip; with_related() adds 11 prefetch queries per chunk.
CHUNK_SIZE = 2000
# Rows per yielded piece of output: large enough to keep the overhead small.
ROWS_PER_PIECE = 500
BOM = "\ufeff"


def iter_chunked(queryset, chunk_size: int | None = None) -> Iterator:
    """Model instances in chunks, each chunk's relations prefetched (a few queries per chunk)."""
    return queryset.iterator(chunk_size=chunk_size or CHUNK_SIZE)


def _csv_formatter(column: Column) -> Callable[[Any], str]:
    if column.type in ("integer",):
        # Numbers are written as numbers, never neutralised.
        return lambda value: "" if value is None else str(value)
    if column.is_many:
        kind = column.kind
        return lambda value: neutralise(join_values(value, kind)) if value else ""
    return lambda value: "" if value is None else neutralise(str(value))


def csv_cells(columns: list[Column]) -> Callable[[Any, ExportContext], list[str]]:
    """A function turning one row object into its list of CSV cells."""
    pairs = [(column.get, _csv_formatter(column)) for column in columns]

    def cells(row, ctx: ExportContext) -> list[str]:
        return [fmt(get(row, ctx)) for get, fmt in pairs]

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
