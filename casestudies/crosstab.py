"""Distinct-case cross-tabulation in one SQL statement (SQLite and PostgreSQL alike).

Why SQL rather than the ORM: ``values(a, b).annotate(Count("pk", distinct=True))``
needs one query for the cells and one per kind of total, each joining the case
table again and counting DISTINCT (a sort per group). At 100,000 cases that was
about a second on PostgreSQL. Here the selected case ids are read once, and the
cells, row totals, column totals and grand total come out of one statement
joined by UNION ALL, counting plain rows because each dimension's (case, value)
pairs are distinct already (or made so).

A case without any value of a dimension gets one pair with a NULL value (a LEFT
JOIN that found nothing): the "not stated" row or column.
"""

import sqlite3
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

from .models import Case, Country, Outcome

# Every SQL string here interpolates only table and column names taken from the
# models (quoted by the backend); values always travel as parameters (S608 noqa).

CELL, ROW, COL, ALL = 0, 1, 2, 3


@dataclass(frozen=True)
class Source:
    """SQL giving (case_id, val) pairs of one dimension, for the cases that have one."""

    sql: str
    params: tuple
    # True when one case can reach the same value twice (two countries of one
    # tradition), so the pairs need a DISTINCT before they are counted.
    may_repeat: bool


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def link_source(connection, field_name: str, country_field: str = "") -> Source:
    """Pairs from a many-to-many field of Case, or from a field of its countries."""
    q = lambda name: _quote(connection, name)  # noqa: E731
    field = Case._meta.get_field(field_name)
    through = field.remote_field.through._meta
    case_col = through.get_field(field.m2m_field_name()).column
    term_col = through.get_field(field.m2m_reverse_field_name()).column
    if not country_field:
        # The link table's unique (case, term) constraint makes every pair distinct.
        sql = f"SELECT {q(case_col)} AS case_id, {q(term_col)} AS val FROM {q(through.db_table)}"  # noqa: S608
        return Source(sql, (), may_repeat=False)
    country = Country._meta
    value_col = country.get_field(country_field).column
    sql = (
        f"SELECT l.{q(case_col)} AS case_id, c.{q(value_col)} AS val "  # noqa: S608
        f"FROM {q(through.db_table)} l JOIN {q(country.db_table)} c "
        f"ON c.{q(country.pk.column)} = l.{q(term_col)}"
    )
    return Source(sql, (), may_repeat=True)


def outcome_source(connection, dimension_id: int) -> Source:
    """Pairs (case, direction) of one outcome dimension: at most one per case."""
    q = lambda name: _quote(connection, name)  # noqa: E731
    meta = Outcome._meta
    sql = (
        f"SELECT {q(meta.get_field('case').column)} AS case_id, "  # noqa: S608
        f"{q(meta.get_field('direction').column)} AS val FROM {q(meta.db_table)} "
        f"WHERE {q(meta.get_field('dimension').column)} = %s"
    )
    return Source(sql, (dimension_id,), may_repeat=False)


@dataclass
class Crosstab:
    cells: dict[tuple, int]  # (row value, column value) -> distinct cases
    rows: dict[object, int]  # row value -> distinct cases
    cols: dict[object, int]  # column value -> distinct cases
    total: int  # distinct cases selected


def _hint(connection, source: Source | None) -> str:
    """The CTE hint for the selected ids (``source`` None) or for a pair source.

    PostgreSQL inlines everything: a materialised CTE has no statistics (its ids
    look like 200 distinct values), so joins against it were estimated at tens of
    millions of rows and planned as on-disk merge joins. Inlined, the ids are an
    index scan the planner can estimate, and four cheap scans beat one bad plan.
    SQLite reads the selected ids once, inlines plain link tables (joined through
    their (case, term) index) and materialises a DISTINCT source, which inlined
    would be recomputed for every case.
    """
    if connection.vendor != "sqlite":
        return "NOT MATERIALIZED "
    if sqlite3.sqlite_version_info < (3, 35):  # no hints before SQLite 3.35
        return ""
    if source is None or source.may_repeat:
        return "MATERIALIZED "
    return "NOT MATERIALIZED "


def crosstab(case_ids: QuerySet, rows_of, cols_of) -> Crosstab:
    """Count ``case_ids`` (a ``values("pk")`` queryset) by two dimensions. One query.

    ``rows_of`` and ``cols_of`` take the connection and return a :class:`Source`.
    See ``_hint`` for how the planner is steered on each database.
    """
    connection = connections[case_ids.db]
    rows, cols = rows_of(connection), cols_of(connection)
    ids_sql, ids_params = case_ids.query.sql_with_params()

    def pairs(source: Source) -> str:
        if not source.may_repeat:
            return source.sql
        return f"SELECT DISTINCT case_id, val FROM ({source.sql}) p"  # noqa: S608

    sql = f"""
        WITH s(id) AS {_hint(connection, None)}({ids_sql}),
        x AS {_hint(connection, rows)}({pairs(rows)}),
        y AS {_hint(connection, cols)}({pairs(cols)})
        SELECT {CELL}, x.val, y.val, COUNT(*)
            FROM s LEFT JOIN x ON x.case_id = s.id LEFT JOIN y ON y.case_id = s.id
            GROUP BY x.val, y.val
        UNION ALL SELECT {ROW}, x.val, NULL, COUNT(*)
            FROM s LEFT JOIN x ON x.case_id = s.id GROUP BY x.val
        UNION ALL SELECT {COL}, NULL, y.val, COUNT(*)
            FROM s LEFT JOIN y ON y.case_id = s.id GROUP BY y.val
        UNION ALL SELECT {ALL}, NULL, NULL, COUNT(*) FROM s
    """  # noqa: S608 (only table and column names from the models are interpolated)
    result = Crosstab({}, {}, {}, 0)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*ids_params, *rows.params, *cols.params))
        for kind, row_value, col_value, n in cursor.fetchall():
            if kind == CELL:
                result.cells[row_value, col_value] = n
            elif kind == ROW:
                result.rows[row_value] = n
            elif kind == COL:
                result.cols[col_value] = n
            else:
                result.total = n
    return result
