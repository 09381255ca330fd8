# ruff: noqa: S608 -- SQL built from model metadata only; values travel as parameters.
"""What the case page shows: the case, its rows, its outcomes and sources, and its
related cases, in a fixed number of queries whatever the data.

Two ways to the same page (``tests/test_case_page_paths.py`` compares them):

- With the in-memory case index (PostgreSQL, built under the current data stamp):
  the related cases are chosen from it and every case's coded values are read from
  it (``coding.py``); what is left is two statements, each compiled once per process
  from the models' metadata: the case with its chapter, book, users' influence,
  outcomes and sources (one row, read with the data stamp and, for the view, the live
  release), and the related cases' own columns; both prepared once per connection
  (``_cursor``). At 100,000 cases this page was 15 ORM queries and ~50 ms of Python
  (docs/performance.md, "Case page"), then 4 queries and ~7 ms.
- Without (SQLite, or the seconds after a write): the case ``with_related``, the
  related cases chosen in SQL (``related.py``), then loaded ``with_related``.
"""

from dataclasses import dataclass
from functools import cache

import psycopg
from django.conf import settings
from django.db import connections
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils.translation import get_language
from psycopg.pq import Format

from .. import datastamp
from ..models import (
    Case,
    CaseSource,
    CaseStatus,
    Chapter,
    InfluenceLevel,
    Outcome,
    OutcomeDimension,
    OutcomeDirection,
    Source,
)
from . import case_index, coding
from .presenters import FieldRow, case_field_rows
from .related import (
    MAX_SAME_CHAPTER,
    MAX_SAME_FIELD,
    RelatedCase,
    RelatedCases,
    differing_fields,
    field_labels,
    related_cases,
)

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
_NEVER = 2**62


@dataclass(frozen=True)
class CasePage:
    case: Case  # with its chapter (and the chapter's source) and users' influence
    rows: list[FieldRow]
    outcomes: list[Outcome]  # each with its dimension and direction, in the page's order
    sources: list[CaseSource]  # each with its source
    related: RelatedCases
    # The columns of the statement given as ``alongside`` (None: not read).
    alongside: tuple | None = None


def case_page(slug: str, alongside=None) -> CasePage:
    """The case page of the published case ``slug``. Raises Case.DoesNotExist.

    With the in-memory index (PostgreSQL): the data stamp, the case and what
    ``alongside`` asks for in one statement; the related cases in a second (none
    when it has none). Without: the case ``with_related`` (twelve queries), the SQL
    choice (three), the related cases ``with_related`` (twelve).

    ``alongside``: a function of the database alias giving a statement of one row
    (its SQL, parameters and number of columns; or None) to read in the same round
    trip as a LATERAL subquery (the view asks for the live release it cites); its
    columns come back as ``CasePage.alongside``, NULLs where it gave no row.
    """
    using = Case.objects.published().db
    page, extra = None, None
    if coding.COVERS_EVERY_DIMENSION and connections[using].vendor == "postgresql":
        page, extra = _from_index(slug, using, alongside(using) if alongside else None)
    if page is None:
        case = Case.objects.published().with_related().get(slug=slug)
        page = CasePage(
            case,
            case_field_rows(case),
            list(case.outcomes.all()),
            list(case.case_sources.all()),
            related_cases(case),
            extra,
        )
    return page


def _from_index(slug: str, using: str, alongside) -> tuple[CasePage | None, tuple | None]:
    """The page, and the columns of ``alongside`` (None: not asked). No page when
    there is no index of the data as committed (the seconds after a write), or the
    case is not in it (published after its stamp was read)."""
    connection = connections[using]
    extra_sql, extra_params, width = alongside or ("", (), 0)
    with _cursor(connection) as cursor:
        cursor.execute(_first_sql(using, extra_sql), [*extra_params, CaseStatus.PUBLISHED, slug])
        first = cursor.fetchone()
    stamp = datastamp.stamp_of(first[: datastamp.STAMP_COLUMNS])
    extra = first[datastamp.STAMP_COLUMNS : datastamp.STAMP_COLUMNS + width] if alongside else None
    row = first[datastamp.STAMP_COLUMNS + width :]
    if row[0] is None:
        raise Case.DoesNotExist(f"No published case {slug!r}.")
    index = case_index.current(using, stamp)
    chosen = index.choose(row[0], MAX_SAME_FIELD, MAX_SAME_CHAPTER) if index else None
    if chosen is None:
        return None, extra
    book = coding.codebook(index, using)
    case, outcomes, sources = _main(row, book, using)
    language = get_language()
    mine = case_field_rows(
        case,
        book.coding(
            index,
            case.pk,
            language,
            case.users_influence,
            [(o.dimension, o.direction) for o in outcomes],
        ),
    )
    labels = field_labels()
    ids = [*chosen.same_field, *chosen.same_chapter]
    loaded = {}
    # One instance per chapter and level (most related cases share the case's chapter).
    chapters = {case.chapter_id: case.chapter}
    levels = {case.users_influence_id: case.users_influence} if case.users_influence else {}
    if ids:
        with _cursor(connection) as cursor:
            cursor.execute(_related_sql(using), [CaseStatus.PUBLISHED, ids])
            for other in cursor.fetchall():
                loaded[other[0]] = _related_case(other, using, chapters, levels)

    def related(ids) -> list[RelatedCase]:
        found = []
        for pk in ids:
            other = loaded.get(pk)  # None: unpublished since the stamp was read
            if other is not None:
                theirs = book.coding(index, pk, language, other.users_influence)
                rows = case_field_rows(other, theirs, links=False)
                found.append(
                    RelatedCase(other, theirs.countries, differing_fields(mine, rows, labels))
                )
        return found

    related_lists = RelatedCases(
        related(chosen.same_field), related(chosen.same_chapter), chosen.same_chapter_total
    )
    return CasePage(case, mine, outcomes, sources, related_lists, extra), extra


# --- the two statements -------------------------------------------------------------


def _cursor(connection):
    """A cursor whose statements PostgreSQL plans once per connection.

    Planning the two statements cost 2-4 times executing them (~0.7 and ~0.3 ms of
    the server's CPU a page at 100,000 cases); prepared, each connection plans them
    once (psycopg keeps its prepared statements per connection and re-prepares after
    a reconnect). Django's cursors bind parameters on the client, which cannot
    prepare: this one binds them on the server, and is wrapped as Django wraps its
    own (the health check, the error wrapping, the query log and execute wrappers,
    so the queries are counted). Behind a transaction-mode pooler a connection is not
    ours from one transaction to the next: Django's own cursor there.
    """
    if settings.DATABASE_TRANSACTION_POOLING:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            # Django turns psycopg's preparing off (None); only cursors that bind on
            # the server prepare, and this one asks for it: no count ever triggers it.
            connection.connection.prepare_threshold = _NEVER
        cursor = _PreparedCursor(connection.connection)
        # As Django's create_cursor: the connection's time zone where it differs.
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, cursor)
        return connection._prepare_cursor(cursor)


class _PreparedCursor(psycopg.Cursor):
    """Every statement prepared (psycopg: at its first execution on a connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)

    def _convert_query(self, query, params=None):
        # Kept as psycopg keeps it for executemany(): Django's query log reads it
        # (the statement with $1, $2… for its parameters).
        self._query = super()._convert_query(query, params)
        return self._query


@cache
def _fields(model) -> tuple:
    return tuple(model._meta.concrete_fields)


@cache
def _attnames(model) -> list[str]:
    return [f.attname for f in _fields(model)]


def _columns(model, alias: str, quote) -> list[str]:
    return [f"{alias}.{quote(f.column)}" for f in _fields(model)]


def _table(model, quote) -> str:
    return quote(model._meta.db_table)


@cache
def _case_sql(using: str) -> str:
    """The case, its chapter, the chapter's source and the users' influence, then its
    outcomes and its sources as JSON arrays (PostgreSQL), in the order of
    ``CaseQuerySet.with_related``."""
    q = connections[using].ops.quote_name
    outcome = ", ".join(_columns(Outcome, "o", q))
    case_source = ", ".join([*_columns(CaseSource, "cs", q), *_columns(Source, "s", q)])
    columns = [
        *_columns(Case, "c", q),
        *_columns(Chapter, "ch", q),
        *_columns(Source, "b", q),
        *_columns(InfluenceLevel, "i", q),
    ]
    case_id = f"c.{q(Case._meta.pk.column)}"
    return (
        f"SELECT {', '.join(columns)}, "
        f"(SELECT COALESCE(json_agg(json_build_array({outcome}) "
        f"ORDER BY d.{q('order')}, d.{q('label')}, o.{q('id')}), '[]') "
        f"FROM {_table(Outcome, q)} o JOIN {_table(OutcomeDimension, q)} d "
        f"ON d.{q('id')} = o.{q('dimension_id')} WHERE o.{q('case_id')} = {case_id}), "
        f"(SELECT COALESCE(json_agg(json_build_array({case_source}) "
        f"ORDER BY cs.{q('confidence')}, s.{q('year')}, cs.{q('id')}), '[]') "
        f"FROM {_table(CaseSource, q)} cs JOIN {_table(Source, q)} s "
        f"ON s.{q('id')} = cs.{q('source_id')} WHERE cs.{q('case_id')} = {case_id}) "
        f"FROM {_table(Case, q)} c "
        f"JOIN {_table(Chapter, q)} ch ON ch.{q('id')} = c.{q('chapter_id')} "
        f"JOIN {_table(Source, q)} b ON b.{q('id')} = ch.{q('source_id')} "
        f"LEFT JOIN {_table(InfluenceLevel, q)} i ON i.{q('id')} = c.{q('users_influence_id')} "
        f"WHERE c.{q('status')} = %s AND c.{q('slug')} = %s"
    )


@cache
def _first_sql(using: str, alongside: str) -> str:
    """The page's first statement: one row of the data stamp's columns (NULL: no
    stamp), the ``alongside`` statement's (if any; NULL: no row) and the case's
    (``_case_sql``; NULL: no published case of that slug). Its parameters: the
    ``alongside`` statement's, then the case's status and slug."""
    extra = f"LEFT JOIN LATERAL ({alongside}) a ON true " if alongside else ""
    return (
        f"SELECT st.*, {'a.*, ' if alongside else ''}c.* FROM (SELECT 1) one "
        f"LEFT JOIN ({datastamp.STAMP_SQL}) st ON true "
        f"{extra}"
        f"LEFT JOIN LATERAL ({_case_sql(using)}) c ON true"
    )


@cache
def _related_sql(using: str) -> str:
    """Related cases by id: each with its chapter and users' influence."""
    q = connections[using].ops.quote_name
    columns = [
        *_columns(Case, "c", q),
        *_columns(Chapter, "ch", q),
        *_columns(InfluenceLevel, "i", q),
    ]
    return (
        f"SELECT {', '.join(columns)} FROM {_table(Case, q)} c "
        f"JOIN {_table(Chapter, q)} ch ON ch.{q('id')} = c.{q('chapter_id')} "
        f"LEFT JOIN {_table(InfluenceLevel, q)} i ON i.{q('id')} = c.{q('users_influence_id')} "
        f"WHERE c.{q('status')} = %s AND c.{q('id')} = ANY(%s)"
    )


def _take(model, row, start: int, using: str, seen: dict | None = None):
    """The ``model`` instance of ``row``'s columns from ``start`` (None when its key is
    NULL: a LEFT JOIN that found nothing), and where its columns end. ``seen``: the
    instances already made from this statement's rows, by key (the related cases of a
    chapter share its row: one instance)."""
    end = start + len(_fields(model))
    key = row[start]
    if key is None:
        return None, end
    if seen is not None and key in seen:
        return seen[key], end
    instance = model.from_db(using, _attnames(model), row[start:end])
    if seen is not None:
        seen[key] = instance
    return instance, end


def _from_json(model, values, using: str):
    """A model instance from a JSON array of its concrete columns (JSON has no dates:
    each value goes through its field's ``to_python``)."""
    fields = _fields(model)
    converted = [None if v is None else f.to_python(v) for f, v in zip(fields, values, strict=True)]
    return model.from_db(using, [f.attname for f in fields], converted)


def _set(instance, name: str, value) -> None:
    type(instance)._meta.get_field(name).set_cached_value(instance, value)


def _main(row, book: coding.Codebook, using: str):
    case, end = _take(Case, row, 0, using)
    chapter, end = _take(Chapter, row, end, using)
    book_source, end = _take(Source, row, end, using)
    influence, end = _take(InfluenceLevel, row, end, using)
    _set(chapter, "source", book_source)
    _set(case, "chapter", chapter)
    _set(case, "users_influence", influence)
    outcome_json, sources_json = row[end], row[end + 1]
    dimensions, directions = book.terms[OutcomeDimension], book.terms[OutcomeDirection]
    outcomes = []
    for values in outcome_json:
        outcome = _from_json(Outcome, values, using)
        _set(outcome, "dimension", dimensions[outcome.dimension_id])
        _set(outcome, "direction", directions[outcome.direction_id])
        outcomes.append(outcome)
    width = len(_fields(CaseSource))
    sources = []
    for values in sources_json:
        case_source = _from_json(CaseSource, values[:width], using)
        _set(case_source, "source", _from_json(Source, values[width:], using))
        sources.append(case_source)
    return case, outcomes, sources


def _related_case(row, using: str, chapters: dict, levels: dict) -> Case:
    case, end = _take(Case, row, 0, using)
    chapter, end = _take(Chapter, row, end, using, chapters)
    influence, end = _take(InfluenceLevel, row, end, using, levels)
    _set(case, "chapter", chapter)
    _set(case, "users_influence", influence)
    return case
