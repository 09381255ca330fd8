"""cases.csv rendered by PostgreSQL: the same bytes as the Python writer, made in SQL.

Formatting 100,000 cases x 62 columns in Python costs about 5 s of one core
whatever is done to the loops (docs/perf/extracts.md); PostgreSQL builds the same
lines in C. Per chunk of case ids (taken in the list's order from the list's own
queryset) one query returns the chunk's finished CSV lines, in order: every cell
neutralised for spreadsheets and quoted as Python's ``csv`` module quotes
(``QUOTE_MINIMAL``: a cell holding ``,``, ``"``, CR or LF is quoted, quotes
doubled), each line ending in CRLF. Chunks run on several connections at once
(:class:`Chunks`).

The expressions below mirror :mod:`.columns` column by column. The column list is
still the one from :func:`~.columns.case_columns` (a column without an expression
here is a programming error, raised at once), and ``tests/test_pg_csv.py`` checks
that both writers give identical bytes on awkward data, so the two cannot drift
apart unnoticed. SQLite, JSON and the outcomes extract keep the Python writer.
"""

import csv
import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, islice
from queue import SimpleQueue

from django.conf import settings
from django.db import DatabaseError, connections

from ..models import Case, CaseSource, Chapter, Country, Outcome, m2m_link
from ..tabular.columns import ExportContext, outcome_column_names
from ..tabular.csv_safe import PREFIX, TRIGGERS
from .records import CASE_FIELDS, VOCAB_FIELDS
from .writers import BOM, header_line

logger = logging.getLogger(__name__)

# Cases per query. The cost per case hardly changes from 2,500 to 10,000 (the whole
# 100,000-case CSV: 2.55 / 2.64 / 2.63 s on 2 connections), but each chunk's lines are
# held in memory until written, one chunk per connection.
CHUNK_SIZE = 2000
LINES_PER_PIECE = 100  # about 80 kB of CSV per piece of the response


def _literal(text: str) -> str:
    """A standard-conforming SQL string literal (a backslash is an ordinary character)."""
    return "'" + text.replace("'", "''") + "'"


def _any_of(characters) -> str:
    """A regular-expression bracket matching any of the characters (backslash-escaped:
    in PostgreSQL's expressions, as in Python's, a backslash before punctuation or a
    control character stands for that character)."""
    return "[" + "".join("\\" + c for c in characters) + "]"


# Neutralise as csv_safe does (a trigger first, possibly after apostrophes, gets one more
# apostrophe), then quote as the csv module does (a cell holding its delimiter, its quote
# character or a character of its line terminator is quoted). Built from their
# definitions, so that the SQL cannot come to disagree with them.
_TRIGGER_RE = f"^{_any_of(PREFIX)}*{_any_of(TRIGGERS)}"
_QUOTES_RE = _any_of(csv.excel.delimiter + csv.excel.quotechar + csv.excel.lineterminator)
_TRIGGER = _literal(_TRIGGER_RE)
_NEEDS_QUOTES = _literal(_QUOTES_RE)
_EITHER = _literal(f"{_TRIGGER_RE}|{_QUOTES_RE}")
_CELL = (
    # Most cells need neither: one regular expression for them, not two.
    "CASE WHEN NOT {x} ~ {either} THEN {x} "
    "WHEN {x} ~ {trigger} THEN "
    "CASE WHEN {x} ~ {quotes} THEN '\"''' || replace({x}, '\"', '\"\"') || '\"' "
    "ELSE '''' || {x} END "
    "WHEN {x} ~ {quotes} THEN '\"' || replace({x}, '\"', '\"\"') || '\"' "
    "ELSE {x} END"
)


def _text_cell(column: str) -> str:
    return _CELL.format(x=column, either=_EITHER, trigger=_TRIGGER, quotes=_NEEDS_QUOTES)


def _escaped(value: str) -> str:
    """A free-text value in a '|'-joined cell, '\\' and '|' escaped (columns.escape_text)."""
    return rf"replace(replace({value}, '\', '\\'), '|', '\|')"


def _distinct(array: str) -> str:
    """The array's non-empty values, first occurrences in order, '|'-joined (columns._distinct)."""
    return (
        f"CASE WHEN cardinality({array}) = 1 THEN {array}[1] ELSE "  # noqa: S608
        f"(SELECT string_agg(d.v, '|' ORDER BY d.o) FROM (SELECT u.v, min(u.o) AS o "
        f"FROM unnest({array}) WITH ORDINALITY AS u(v, o) WHERE u.v <> '' GROUP BY u.v) d) END"
    )


def _line(cells: list[str]) -> str:
    """SQL of the CSV line of these cells (a NULL is an empty cell), with its CRLF."""
    return "array_to_string(ARRAY[" + ", ".join(cells) + "], ',', '') || E'\\r\\n'"


def _cells(cells: list[str], *, head: bool) -> str:
    """SQL of the cells before (``head``) or after the url cell, with the comma that
    separates them from it; the cells after it end the line (CRLF)."""
    if not cells:
        return "''" if head else "E'\\r\\n'"
    joined = "array_to_string(ARRAY[" + ", ".join(cells) + "], ',', '')"
    return f"{joined} || ','" if head else f"',' || {joined} || E'\\r\\n'"


def url_cell(url: str) -> str:
    """SQL of the url cell, from the SQL of the url: formatted as every text cell."""
    return _text_cell(f"({url})")


class _Query:
    """The chunk query: raw values per case (inner SELECT), formatted into lines (outer)."""

    def __init__(self, connection, columns, ctx: ExportContext):
        self.quote = connection.ops.quote_name
        self.joins: list[str] = []
        table, col = self._table, self._col
        source = Chapter._meta.get_field("source").related_model
        influence = Case._meta.get_field("users_influence").related_model
        self.joins += [
            f"JOIN {table(Case)} c ON c.id = k.id",
            f"JOIN {table(Chapter)} ch ON ch.id = c.{col(Case, 'chapter')}",
            f"JOIN {table(source)} chs ON chs.id = ch.{col(Chapter, 'source')}",
            f"LEFT JOIN {table(influence)} ui ON ui.id = c.{col(Case, 'users_influence')}",
        ]
        # The case's own fields that the Python writer reads too and writes as they are.
        own = [f for f in CASE_FIELDS if "__" not in f and f not in ("pk", "updated_at")]
        # column name -> SQL of its value (text or integer)
        raw: dict[str, str] = {name: f"c.{col(Case, name)}" for name in own}
        raw |= {
            "id": "c.id",
            "chapter_source": "chs.slug",
            "chapter_number": f"ch.{col(Chapter, 'number')}",
            "chapter_title": f"ch.{col(Chapter, 'title')}",
            "chapter_authors": f"ch.{col(Chapter, 'authors')}",
            "users_influence": "ui.slug",
            # The template is the request's (validated) host and the case URL pattern.
            "url": "%(url_head)s || c.slug || %(url_tail)s",
            "last_updated": (
                f"""to_char(c.{col(Case, "updated_at")} AT TIME ZONE 'UTC', """
                """'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
            ),
        }
        raw |= self._countries()
        for name in VOCAB_FIELDS:
            raw[name] = self._terms(name)
        raw |= self._outcomes(ctx)
        raw |= self._sources(source)

        missing = [column.name for column in columns if column.name not in raw]
        if missing:
            raise LookupError(f"No SQL for the extract columns {missing}")
        values = []
        for i, column in enumerate(columns):
            if column.type == "integer":
                values.append(f"v.c{i}::text")
            else:
                values.append(_text_cell(f"v.c{i}"))

        def source(raw: dict[str, str]) -> str:
            inner = ", ".join(f"{raw[column.name]} AS c{i}" for i, column in enumerate(columns))
            # OFFSET 0 keeps the inner query a subquery, so the formatting, which names
            # each value several times, repeats a column reference and not its computation.
            return (
                " FROM (SELECT k.ord, k.id AS case_id, "  # noqa: S608
                + inner
                + " FROM unnest(%(ids)s::bigint[]) WITH ORDINALITY AS k(id, ord) "
                + " ".join(self.joins)
                # Without it the planner merges with a scan of every case's index entry.
                + " WHERE c.id = ANY(%(ids)s::bigint[])"
                + " OFFSET 0) v"
            )

        self.sql = f"SELECT {_line(values)}{source(raw)} ORDER BY v.ord"
        # The stored form (stored_lines): each line without its url cell, which holds
        # the request's host: the cells before it and the cells after it.
        names = [column.name for column in columns]
        self.url_at = names.index("url") if "url" in names else None
        if self.url_at is not None:
            before, after = values[: self.url_at], values[self.url_at + 1 :]
            self.parts_sql = (
                f"SELECT v.case_id, {_cells(before, head=True)}, {_cells(after, head=False)}"
                + source(raw | {"url": "NULL::text"})
            )
        head, _, tail = ctx.case_url_template.partition("SLUG-PLACEHOLDER")
        self.params = {"url_head": head, "url_tail": tail}

    def _table(self, model) -> str:
        return self.quote(model._meta.db_table)

    def _col(self, model, name: str) -> str:
        return self.quote(model._meta.get_field(name).column)

    def _relation(self, alias: str, from_: str, aggregates: list[str]) -> None:
        """Join one relation grouped by case, read only for the chunk's cases."""
        self.joins.append(
            f"LEFT JOIN (SELECT t.case_id, {', '.join(aggregates)} FROM {from_} "  # noqa: S608
            f"WHERE t.case_id = ANY(%(ids)s::bigint[]) GROUP BY t.case_id) {alias} "
            f"ON {alias}.case_id = k.id"
        )

    def _through(self, name: str) -> str:
        """``<link table> t JOIN <term table> v`` for a many-to-many field of cases."""
        through, case_field, term_field = m2m_link(name)
        assert case_field.column == "case_id"  # _relation groups by it
        vocabulary = term_field.related_model
        key = self.quote(vocabulary._meta.pk.column)
        return (
            f"{self._table(through)} t JOIN {self._table(vocabulary)} v "
            f"ON v.{key} = t.{self.quote(term_field.column)}"
        )

    def _countries(self) -> dict[str, str]:
        table, col = self._table, self._col
        region = Country._meta.get_field("world_region").related_model
        tradition = Country._meta.get_field("welfare_tradition").related_model
        order = "ORDER BY v.name, v.code"  # as records._load_relations and _Lookups
        self._relation(
            "rc",
            f"{self._through('countries')} "
            f"LEFT JOIN {table(region)} wr ON wr.id = v.{col(Country, 'world_region')} "
            f"LEFT JOIN {table(tradition)} wt ON wt.id = v.{col(Country, 'welfare_tradition')}",
            [
                f"string_agg(v.code, '|' {order}) AS codes",
                f"string_agg({_escaped('v.name')}, '|' {order}) AS names",
                f"array_agg(wr.slug {order}) AS regions",
                f"array_agg(wt.slug {order}) AS traditions",
            ],
        )
        return {
            "countries": "rc.codes",
            "country_names": "rc.names",
            "world_regions": _distinct("rc.regions"),
            "welfare_traditions": _distinct("rc.traditions"),
        }

    def _terms(self, name: str) -> str:
        alias = f"r_{name}"
        self._relation(
            alias,
            self._through(name),
            ["""string_agg(v.slug, '|' ORDER BY v."order", v.label, v.slug) AS codes"""],
        )
        return f"{alias}.codes"

    def _outcomes(self, ctx: ExportContext) -> dict[str, str]:
        table, col = self._table, self._col
        direction = Outcome._meta.get_field("direction").related_model
        aggregates, raw = [], {}
        for i, dimension in enumerate(ctx.dimensions):
            # One outcome per case and dimension (a constraint): max() picks that one.
            only = f"FILTER (WHERE t.{col(Outcome, 'dimension')} = {int(dimension.pk)})"
            aggregates += [
                f"max(w.slug) {only} AS d{i}",
                f"max(t.finding) {only} AS f{i}",
                f"max(t.pages) {only} AS p{i}",
            ]
            for name, part in zip(outcome_column_names(dimension), "dfp", strict=True):
                raw[name] = f"ro.{part}{i}"
        if aggregates:
            self._relation(
                "ro",
                f"{table(Outcome)} t "
                f"LEFT JOIN {table(direction)} w ON w.id = t.{col(Outcome, 'direction')}",
                aggregates,
            )
        return raw

    def _sources(self, source) -> dict[str, str]:
        table, col = self._table, self._col
        # As records: by confidence (code point order, as Python sorts), then the source.
        order = 'ORDER BY t.confidence COLLATE "C", s.year, s.slug'
        self._relation(
            "rs",
            f"{table(CaseSource)} t JOIN {table(source)} s ON s.id = t.{col(CaseSource, 'source')}",
            [
                f"string_agg(s.slug, '|' {order}) AS codes",
                f"string_agg(t.confidence, '|' {order}) AS confidence",
                f"string_agg({_escaped('t.locator')}, '|' {order}) AS locators",
                f"string_agg({_escaped('t.note')}, '|' {order}) AS notes",
            ],
        )
        return {
            "sources": "rs.codes",
            "source_confidence": "rs.confidence",
            "source_locators": "rs.locators",
            "source_notes": "rs.notes",
        }


def supports(queryset) -> bool:
    return connections[queryset.db].vendor == "postgresql"


class Chunks:
    """The CSV text of the queryset's cases, a chunk of cases at a time, in order.

    ``count`` holds the number of rows written so far (the bundle's README states it).
    Queries: one cursor over the ids, then one per chunk of ``chunk_size`` cases.

    PostgreSQL renders a chunk on one core, so with ``settings.EXTRACT_PG_CONNECTIONS``
    above 1 the chunks are rendered that many at a time on connections opened for the
    download (by threads that only wait on the database) and yielded in order: on 2
    cores the whole 100,000-case CSV takes about half as long. The request's own
    connection keeps the cursor over the ids. Only outside a transaction (other
    connections would not see what this one has not committed, as in most tests) and
    for more than one chunk; if no connection can be opened, the request's does it all.
    Either way each chunk reads the data as committed when its query runs.
    """

    def __init__(self, queryset, columns, ctx: ExportContext, *, chunk_size: int | None = None):
        self.connection = connections[queryset.db]
        self.query = _Query(self.connection, columns, ctx)
        self.chunk_size = chunk_size or CHUNK_SIZE
        self.ids = queryset.values_list("pk", flat=True).iterator(chunk_size=self.chunk_size)
        parallel = settings.EXTRACT_PG_CONNECTIONS
        self.parallel = 1 if self.connection.in_atomic_block else max(parallel, 1)
        self.count = 0

    def _id_chunks(self) -> Iterator[list[int]]:
        chunk: list[int] = []
        for case_id in self.ids:
            chunk.append(case_id)
            if len(chunk) >= self.chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _sql(self, ids: list[int]) -> str:
        # Integers read from the database a moment ago: safe to write into the SQL,
        # and it spares adapting thousands of parameters for each of the 14 uses.
        return self.query.sql.replace("%(ids)s", "'{" + ",".join(str(int(i)) for i in ids) + "}'")

    def _pieces(self, lines: list[tuple[str]]) -> Iterator[str]:
        """The chunk's lines, joined a few at a time.

        One line per row, not the chunk as one string: values of megabytes make
        glibc raise its mmap threshold and keep the freed memory (measured: 60 MB of
        resident memory for 16 MB of live objects); rows of a kilobyte do not.
        """
        for start in range(0, len(lines), LINES_PER_PIECE):
            piece = "".join([line for (line,) in lines[start : start + LINES_PER_PIECE]])
            self.count += min(LINES_PER_PIECE, len(lines) - start)
            yield piece

    def __iter__(self) -> Iterator[str]:
        chunks = self._id_chunks()
        ahead = list(islice(chunks, 2))
        chunks = chain(ahead, chunks)
        helpers = self._open_helpers() if self.parallel > 1 and len(ahead) == 2 else []
        if not helpers:  # one chunk, one connection wanted, or none to be had
            for ids in chunks:
                with self.connection.cursor() as cursor:
                    cursor.execute(self._sql(ids), self.query.params)
                    yield from self._pieces(cursor.fetchall())
        else:
            yield from self._in_parallel(chunks, helpers)

    def _open_helpers(self) -> list:
        """Plain connections for the chunks, as many as wanted and available.

        Opened here, in the request's thread, so that a server at its connection
        limit degrades the download to one connection instead of failing it.
        """
        params = self.connection.get_connection_params()
        helpers = []
        for _ in range(self.parallel):
            try:
                raw = self.connection.get_new_connection(params)
            except DatabaseError as exc:
                logger.warning("extract: helper connection refused, %d open: %s", len(helpers), exc)
                break
            raw.autocommit = True
            helpers.append(raw)
        return helpers

    def _in_parallel(self, chunks: Iterator[list[int]], helpers: list) -> Iterator[str]:
        idle: SimpleQueue = SimpleQueue()  # a chunk takes a free connection and gives it back
        for raw in helpers:
            idle.put(raw)

        def render(ids: list[int]) -> list[tuple[str]]:
            raw = idle.get()
            try:
                with raw.cursor() as cursor:
                    cursor.execute(self._sql(ids), self.query.params)
                    return cursor.fetchall()
            finally:
                idle.put(raw)

        pool = ThreadPoolExecutor(max_workers=len(helpers), thread_name_prefix="extract")
        pending: deque[Future] = deque()
        try:
            for ids in chunks:
                pending.append(pool.submit(render, ids))
                if len(pending) >= len(helpers):  # one chunk per connection in memory
                    yield from self._pieces(pending.popleft().result())
            while pending:
                yield from self._pieces(pending.popleft().result())
        finally:
            for future in pending:  # the client went away: stop what has not started
                future.cancel()
            pool.shutdown(wait=True)
            for raw in helpers:
                raw.close()


def stream_cases_csv(texts: Iterator[str], columns, *, bom: bool = False) -> Iterator[bytes]:
    """The header (and BOM), then each chunk's lines (``iter(Chunks(...))``), as UTF-8.

    The first chunk is rendered now, before the caller builds its response.
    """
    first = next(texts, "")

    def generate():
        try:
            yield ((BOM if bom else "") + header_line(columns) + first).encode("utf-8")
            for text in texts:
                yield text.encode("utf-8")
        finally:
            texts.close()  # ends the rendering (and its connections) if stopped early

    return generate()
