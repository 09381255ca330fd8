# ruff: noqa: S608 -- SQL built from model metadata and pg_csv's expressions only.
"""cases.csv lines stored per case on PostgreSQL, kept current by the database itself.

Rendering a line costs PostgreSQL ~45 µs of CPU per case (docs/perf/extracts.md), most
of it in the ordered per-case aggregates of the coded terms. The lines change only
when a case or something it shows changes, so each published or draft case's line is
kept in ``casestudies_case_extract_line`` (``head``: the cells before the url cell,
with its comma; ``tail``: the cells after it, with the CRLF), rendered by exactly the
SQL of :mod:`.pg_csv` (:attr:`~.pg_csv._Query.parts_sql`). The url cell holds the
request's host, so it is added when the extract is read. The whole extract is then
the list's own query reading one stored line per case, sent by ``COPY`` as raw bytes.

Kept current like the search document (casestudies/reads/search_index.py): statement
triggers on every table a line reads (the case; its link tables, outcomes and sources;
the vocabularies, countries and their regions and traditions, chapters, sources,
influence levels, outcome directions) re-render the lines of the cases the statement
touched, in the same transaction. Bulk loads defer both (``deferred_derived_data``:
the search index's ``deferred_index``, whose setting these triggers obey too) and
re-render once at the end.

What the stored lines cannot follow is their *columns*: the outcome dimensions are
columns, and the SQL comes from the app's code. The state table keeps a signature of
the header and of the rendering SQL the lines were made with; an extract whose
signature differs (a dimension added, renamed or reordered, new code not yet
migrated) is rendered live as before (:mod:`.pg_csv`), until ``install`` runs
again: after every ``migrate`` (post_migrate) or ``manage.py refresh_extract_lines``.
A case without a stored line (never expected) is rendered live in the same query.
"""

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections

from ..models import CaseSource, Chapter, Country, Outcome, m2m_link
from ..reads.search_index import deferred_index
from ..tabular.columns import ExportContext, case_columns, outcome_dimensions
from . import pg_csv
from .records import VOCAB_FIELDS
from .writers import BOM, header_line

logger = logging.getLogger(__name__)

TABLE = "casestudies_case_extract_line"
STATE_TABLE = "casestudies_extract_line_state"
REFRESH = "casestudies_extract_lines_refresh"
LIVE = "casestudies_extract_lines_live"
TOUCH = "casestudies_extract_lines_touch"
TRIGGER_PREFIX = "casestudies_extract_line_"
# The search index's bulk-load switch (search_index.PG_DEFER_SETTING): one for both.
DEFER_SETTING = "atlas.search_deferred"
# Cases re-rendered per statement: the rendering reads each relation for a set of ids.
REFRESH_CHUNK = 5000
LINES_PER_PIECE = 100  # ~80 kB per piece of the response, as pg_csv

CREATE_TABLES = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(case_id bigint PRIMARY KEY, head text NOT NULL, tail text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
    "(id integer PRIMARY KEY CHECK (id = 1), signature text NOT NULL)",
]
DROP_TABLES = [f"DROP TABLE IF EXISTS {TABLE}", f"DROP TABLE IF EXISTS {STATE_TABLE}"]


def _query(connection, ctx: ExportContext) -> pg_csv._Query:
    return pg_csv._Query(connection, case_columns(ctx.dimensions), ctx)


def signature(query: pg_csv._Query, columns) -> str:
    """What the stored lines were made with: the header and the rendering SQL."""
    text = header_line(columns) + "\n" + query.parts_sql
    return hashlib.sha256(text.encode()).hexdigest()


def _table(model) -> str:
    return model._meta.db_table


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


def _differ(model, *names: str) -> str:
    """SQL: the new version ``n`` of a row of ``model`` differs from the old ``o`` in a
    field ``names`` (what the lines show of it: pg_csv reads no other column)."""
    columns = [_column(model, name) for name in names]
    return "(" + " OR ".join(f'n."{c}" IS DISTINCT FROM o."{c}"' for c in columns) + ")"


def _watches() -> dict[str, dict[str, str]]:
    """{table: {event: SQL of the case ids a statement touched}}.

    The SQL reads the statement's transition tables ``old_rows`` / ``new_rows``.
    """
    from ..models import Case

    case = _table(Case)
    watches: dict[str, dict[str, str]] = {}

    def link(table: str, case_column: str) -> None:
        watches[table] = {
            "INSERT": f"SELECT {case_column} FROM new_rows",
            "DELETE": f"SELECT {case_column} FROM old_rows",
            "UPDATE": (
                f"SELECT {case_column} FROM old_rows UNION SELECT {case_column} FROM new_rows"
            ),
        }

    def term(model, ids: str, changed: str) -> None:
        """A row that cases show: its update touches the cases ``ids`` finds ({keys}),
        if it ``changed`` (SQL on its new and old versions ``n``, ``o``) what they show."""
        table, pk = _table(model), model._meta.pk.column
        found = ids.format(
            keys=f"SELECT n.{pk} FROM new_rows n JOIN old_rows o ON o.{pk} = n.{pk} WHERE {changed}"
        )
        watches.setdefault(table, {})
        previous = watches[table].get("UPDATE")
        watches[table]["UPDATE"] = f"{previous} UNION {found}" if previous else found

    # The case's own columns: only an update that changes one of them (not, say, the
    # search trigger's update of search_vector) touches its line.
    own = [f.column for f in Case._meta.concrete_fields if f.column != "id"]
    changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in own)
    watches[case] = {
        "INSERT": "SELECT id FROM new_rows",
        "DELETE": "SELECT id FROM old_rows",
        "UPDATE": f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}",
    }
    for name in ["countries", *VOCAB_FIELDS]:
        through, case_field, term_field = m2m_link(name)
        link(_table(through), case_field.column)
        terms = term_field.related_model
        if terms is Country:
            # pg_csv._countries: code and name, and the region's and tradition's slugs.
            shown = _differ(Country, "code", "name", "world_region", "welfare_tradition")
        else:
            # pg_csv._terms: the slugs, ordered by order, label, slug. A label orders a
            # case's terms only among terms of the same order: a relabel of a term whose
            # order no other term shares renders no line (the search's index, which
            # shows labels, follows every relabel).
            order, label = _column(terms, "order"), _column(terms, "label")
            shown = (
                f"{_differ(terms, 'slug', 'order')} OR (n.{label} IS DISTINCT FROM o.{label} "
                f'AND EXISTS (SELECT 1 FROM {_table(terms)} t WHERE t."{order}" = n."{order}" '
                f"AND t.{terms._meta.pk.column} <> n.{terms._meta.pk.column}))"
            )
        term(
            terms,
            f"SELECT {case_field.column} FROM {_table(through)} "
            f"WHERE {term_field.column} IN ({{keys}})",
            shown,
        )
    country_link, case_field, country_field = m2m_link("countries")
    for name in ("world_region", "welfare_tradition"):
        term(
            Country._meta.get_field(name).related_model,
            f"SELECT {case_field.column} FROM {_table(country_link)} "
            f"WHERE {country_field.column} IN "
            f"(SELECT {Country._meta.pk.column} FROM {_table(Country)} "
            f"WHERE {_column(Country, name)} IN ({{keys}}))",
            _differ(Country._meta.get_field(name).related_model, "slug"),
        )
    influence = Case._meta.get_field("users_influence")
    term(
        influence.related_model,
        f"SELECT id FROM {case} WHERE {influence.column} IN ({{keys}})",
        _differ(influence.related_model, "slug"),
    )
    term(
        Chapter,
        f"SELECT id FROM {case} WHERE {_column(Case, 'chapter')} IN ({{keys}})",
        _differ(Chapter, "number", "title", "authors", "source"),
    )
    source = Chapter._meta.get_field("source").related_model
    term(
        source,
        f"SELECT id FROM {case} WHERE {_column(Case, 'chapter')} IN "
        f"(SELECT id FROM {_table(Chapter)} WHERE {_column(Chapter, 'source')} IN ({{keys}}))",
        _differ(source, "slug"),
    )
    term(
        source,
        f"SELECT {_column(CaseSource, 'case')} FROM {_table(CaseSource)} "
        f"WHERE {_column(CaseSource, 'source')} IN ({{keys}})",
        _differ(source, "slug", "year"),  # pg_csv._sources orders by year, slug
    )
    link(_table(CaseSource), _column(CaseSource, "case"))
    link(_table(Outcome), _column(Outcome, "case"))
    term(
        Outcome._meta.get_field("direction").related_model,
        f"SELECT {_column(Outcome, 'case')} FROM {_table(Outcome)} "
        f"WHERE {_column(Outcome, 'direction')} IN ({{keys}})",
        _differ(Outcome._meta.get_field("direction").related_model, "slug"),
    )
    return watches


def _statements(query: pg_csv._Query) -> list[str]:
    from ..models import Case

    case = _table(Case)
    # Static SQL in PL/pgSQL: its plan is prepared once per connection and reused (the
    # rendering takes ~8 ms to plan and ~1.5 ms to run for one case).
    parts = query.parts_sql.replace("%(ids)s", "_part")
    statements = [
        *CREATE_TABLES,
        # The lines of these cases, rendered now (a case gone: its line goes).
        f"""CREATE OR REPLACE FUNCTION {REFRESH}(ids bigint[]) RETURNS void AS $$
        DECLARE
          _todo bigint[] := ARRAY(SELECT DISTINCT i FROM unnest(ids) i WHERE i IS NOT NULL);
          _part bigint[];
        BEGIN
          DELETE FROM {TABLE} l WHERE l.case_id = ANY(_todo)
            AND NOT EXISTS (SELECT 1 FROM {case} c WHERE c.id = l.case_id);
          FOR _n IN 0 .. (coalesce(cardinality(_todo), 0) - 1) / {REFRESH_CHUNK} LOOP
            _part := _todo[_n * {REFRESH_CHUNK} + 1 : (_n + 1) * {REFRESH_CHUNK}];
            INSERT INTO {TABLE} AS l (case_id, head, tail) {parts}
              ON CONFLICT (case_id) DO UPDATE SET head = EXCLUDED.head, tail = EXCLUDED.tail
              WHERE (l.head, l.tail) IS DISTINCT FROM (EXCLUDED.head, EXCLUDED.tail);
          END LOOP;
        END $$ LANGUAGE plpgsql""",
        # The same rendering, read only: for a case that has no stored line.
        f"""CREATE OR REPLACE FUNCTION {LIVE}(ids bigint[])
        RETURNS TABLE (case_id bigint, head text, tail text) AS $$
        DECLARE
          _part bigint[] := ids;
        BEGIN
          RETURN QUERY {parts};
        END $$ LANGUAGE plpgsql STABLE""",
        # TG_ARGV[0]: SQL of the touched cases' ids, reading the transition tables.
        f"""CREATE OR REPLACE FUNCTION {TOUCH}() RETURNS trigger AS $$
        BEGIN
          IF coalesce(current_setting('{DEFER_SETTING}', true), '') <> 'on' THEN
            EXECUTE 'SELECT {REFRESH}(ARRAY(' || TG_ARGV[0] || '))';
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    ]
    for table, events in _watches().items():
        for event, ids in events.items():
            name = f"{TRIGGER_PREFIX}{event.lower()}"
            transition = {
                "INSERT": "NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            }[event]
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {TOUCH}({pg_csv._literal(ids)})"
            )
    return statements


def _drop_statements() -> list[str]:
    statements = []
    for table in _watches():
        for event in ("insert", "update", "delete"):
            statements.append(f"DROP TRIGGER IF EXISTS {TRIGGER_PREFIX}{event} ON {table}")
    statements += [
        f"DROP FUNCTION IF EXISTS {TOUCH}()",
        f"DROP FUNCTION IF EXISTS {REFRESH}(bigint[])",
        f"DROP FUNCTION IF EXISTS {LIVE}(bigint[])",
    ]
    return statements


def _tables_exist(cursor) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [STATE_TABLE])
    return cursor.fetchone()[0]


def stored_signature(connection) -> str | None:
    """The signature the stored lines were made with (one query; migration 0015's table)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT signature FROM {STATE_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def install(connection, *, rebuild: bool | None = None) -> bool:
    """Create (or update) the rendering functions and triggers; re-render every line
    when they were made with another signature (or ``rebuild``). Idempotent.

    Returns whether the lines were rendered again.
    """
    if connection.vendor != "postgresql":
        return False
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://x/")
    query = _query(connection, ctx)
    wanted = signature(query, case_columns(ctx.dimensions))
    with connection.cursor() as cursor:
        if rebuild is None:
            rebuild = not _tables_exist(cursor)
            if not rebuild:
                cursor.execute(f"SELECT signature FROM {STATE_TABLE} WHERE id = 1")
                row = cursor.fetchone()
                rebuild = row is None or row[0] != wanted
        for sql in _statements(query):
            cursor.execute(sql)
        if rebuild:
            from ..models import Case

            cursor.execute(f"DELETE FROM {STATE_TABLE}")
            cursor.execute(f"TRUNCATE {TABLE}")
            cursor.execute(f"SELECT id FROM {_table(Case)} ORDER BY id")
            ids = [row[0] for row in cursor.fetchall()]
            for start in range(0, len(ids), REFRESH_CHUNK):
                cursor.execute(f"SELECT {REFRESH}(%s)", [ids[start : start + REFRESH_CHUNK]])
            cursor.execute(f"INSERT INTO {STATE_TABLE} (id, signature) VALUES (1, %s)", [wanted])
    return rebuild


def uninstall(connection) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in _drop_statements():
            cursor.execute(sql)


def install_after_migrate(using="default", **kwargs) -> None:
    """post_migrate: every deploy ends with ``migrate``; new code may render other lines."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _tables_exist(cursor):  # migrated back before the tables
            return
    install(connection)


def refresh_cases(connection, case_filter: str = "TRUE") -> None:
    """Re-render the lines of the cases ``case_filter`` (SQL on alias ``c``) selects, and
    drop the lines of cases that are gone (after a bulk load that deferred the triggers)."""
    from ..models import Case

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _tables_exist(cursor):
            return
        cursor.execute(
            f"DELETE FROM {TABLE} l WHERE NOT EXISTS "
            f"(SELECT 1 FROM {_table(Case)} c WHERE c.id = l.case_id)"
        )
        cursor.execute(f"SELECT c.id FROM {_table(Case)} c WHERE {case_filter} ORDER BY c.id")
        ids = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(ids), REFRESH_CHUNK):
            cursor.execute(f"SELECT {REFRESH}(%s)", [ids[start : start + REFRESH_CHUNK]])


@contextmanager
def deferred_derived_data(connection, case_filter: str = "TRUE"):
    """Inside a transaction: neither the search index nor these lines follow each
    statement; at the end the cases ``case_filter`` (SQL on alias ``c``) selects get
    both again, once. For bulk loads (the synthetic benchmark cases)."""
    with deferred_index(connection, case_filter):
        yield
    refresh_cases(connection, case_filter)


# --- reading -------------------------------------------------------------------------------


def _text(value: str) -> str:
    """A constant text in SQL without quotes or percent signs (psycopg binds the COPY's
    parameters on the client, where a ``%`` is a placeholder)."""
    return f"convert_from(decode('{value.encode().hex()}', 'hex'), 'UTF8')"


class StoredCsv:
    """The queryset's cases.csv from the stored lines: one COPY, its bytes as they come.

    ``usable`` is False when the stored lines were made for other columns (or are not
    there): the caller renders the lines live instead. ``count``: rows written so far.
    Iterating starts the COPY; :func:`primed` does so before the response is built.
    """

    def __init__(self, queryset, columns, ctx: ExportContext, *, bom: bool = False):
        from django.db.models.expressions import RawSQL

        self.connection = connections[queryset.db]
        self.count = 0
        query = pg_csv._Query(self.connection, columns, ctx)
        self.usable = (
            settings.EXTRACT_STORED_LINES
            and query.url_at is not None
            and stored_signature(self.connection) == signature(query, columns)
        )
        if not self.usable:
            return
        head, _, tail = ctx.case_url_template.partition("SLUG-PLACEHOLDER")
        case = self.connection.ops.quote_name(queryset.model._meta.db_table)
        url = pg_csv.url_cell(f"{_text(head)} || {case}.slug || {_text(tail)}")
        line = (
            f"coalesce((SELECT l.head || {url} || l.tail FROM {TABLE} l "
            f"WHERE l.case_id = {case}.id), "
            f"(SELECT l.head || {url} || l.tail FROM {LIVE}(ARRAY[{case}.id]) l))"
        )
        annotated = queryset.annotate(extract_line=RawSQL(line, ()))  # noqa: S611
        lines = annotated.values_list("extract_line")
        sql, params = lines.query.sql_with_params()
        self.sql = sql
        # A plain projection of the ordered query keeps its order.
        self.copy_sql = f"COPY (SELECT q.extract_line FROM ({sql}) q) TO STDOUT (FORMAT binary)"
        self.params = tuple(params)
        self.prefix = ((BOM if bom else "") + header_line(columns)).encode("utf-8")

    def __iter__(self) -> Iterator[bytes]:
        """The header and the lines, 100 at a time.

        Outside a transaction the COPY runs on a connection opened for the download and
        closed after it: a COPY holds its connection until its last row is read, and the
        request's connection must stay free for anything else the request runs. Inside a
        transaction (a release being built, tests), where another connection could not
        see what this one has not committed, the lines are fetched from a cursor on the
        request's own connection instead, 100 at a time; so too when no connection can
        be opened.
        """
        started = time.monotonic()
        helper = None if self.connection.in_atomic_block else self._open_helper()
        try:
            lines = self._copied(helper) if helper is not None else self._fetched()
            piece: list[bytes] = [self.prefix]  # the header goes with the first lines
            for line in lines:
                piece.append(line)
                self.count += 1
                if len(piece) >= LINES_PER_PIECE:
                    yield b"".join(piece)
                    piece = []
            if piece:
                yield b"".join(piece)
        finally:
            if helper is not None:
                helper.close()
        logger.debug("extract: %d stored lines in %.2f s", self.count, time.monotonic() - started)

    def _open_helper(self):
        try:
            raw = self.connection.get_new_connection(self.connection.get_connection_params())
        except DatabaseError as exc:
            logger.warning("extract: no connection for the COPY, the request's reads: %s", exc)
            return None
        raw.autocommit = True
        return raw

    def _copied(self, raw) -> Iterator[bytes]:
        if self.connection.queries_logged:  # counted as Django counts its queries
            self.connection.queries_log.append({"sql": self.copy_sql, "time": "0.000"})
        # One statement for the whole file, as long as the client takes to read it (the
        # server waits while the worker's socket is full): not cut by the statement
        # timeout, which bounds the queries of pages. SET LOCAL: behind a transaction
        # pooler the setting must not outlive this transaction.
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            with cursor.copy(self.copy_sql, self.params or None) as copy:
                copy.set_types(["bytea"])  # a text column's binary form: its UTF-8 bytes
                for (line,) in copy.rows():
                    yield line

    def _fetched(self) -> Iterator[bytes]:
        with self.connection.chunked_cursor() as cursor:
            cursor.execute(self.sql, self.params)
            while rows := cursor.fetchmany(LINES_PER_PIECE):
                for (line,) in rows:
                    yield line.encode("utf-8")
