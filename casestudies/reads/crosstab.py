"""Distinct-case cross-tabulation in one SQL statement (SQLite and PostgreSQL alike).

Why SQL rather than the ORM: ``values(a, b).annotate(Count("pk", distinct=True))``
needs one query for the cells and one per kind of total, each joining the case
table again and counting DISTINCT (a sort per group). At 100,000 cases that was
about a second on PostgreSQL. Here the cells, row totals, column totals and grand
total come out of one statement joined by UNION ALL, counting plain rows because
each dimension's (case, value) pairs are distinct already (or made so).

A case without any value of a dimension gets one pair with a NULL value (a LEFT
JOIN that found nothing): the "not stated" row or column.

The two databases need different shapes to plan well; see ``_postgresql_sql``
and ``_sqlite_sql``.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from .. import datastamp
from ..models import Case, CaseStatus, Country, Outcome

# Every SQL string here interpolates only table and column names taken from the
# models (quoted by the backend); values always travel as parameters (S608 noqa).

CELL, ROW, COL, ALL = 0, 1, 2, 3


@dataclass(frozen=True)
class Source:
    """One dimension's values of a case, as LEFT JOINs from a case id.

    ``joins`` holds ``{id}`` where the case id expression goes and ``{a}`` for a
    table alias prefix, so one source can be joined twice in one statement.
    """

    joins: str
    value: str  # the value expression, with ``{a}``
    params: tuple
    # True when one case can reach the same value twice (two countries of one
    # tradition), so the pairs need a DISTINCT before they are counted.
    may_repeat: bool
    pairs: str  # the same as a stand-alone (case_id, val) query, same params

    def join(self, case_id: str, alias: str) -> tuple[str, str]:
        return self.joins.format(id=case_id, a=alias), self.value.format(a=alias)


def link_source(connection, field_name: str, country_field: str = "") -> Source:
    """Values from a many-to-many field of Case, or from a field of its countries."""
    q = connection.ops.quote_name
    field = Case._meta.get_field(field_name)
    through = field.remote_field.through._meta
    case_col = q(through.get_field(field.m2m_field_name()).column)
    term_col = q(through.get_field(field.m2m_reverse_field_name()).column)
    table = q(through.db_table)
    link = f"LEFT JOIN {table} {{a}}l ON {{a}}l.{case_col} = {{id}}"
    if not country_field:
        # The link table's unique (case, term) constraint makes every pair distinct.
        pairs = f"SELECT {case_col} AS case_id, {term_col} AS val FROM {table}"  # noqa: S608
        return Source(link, f"{{a}}l.{term_col}", (), False, pairs)
    country = Country._meta
    country_table, country_pk = q(country.db_table), q(country.pk.column)
    value_col = q(country.get_field(country_field).column)
    joins = f"{link} LEFT JOIN {country_table} {{a}}c ON {{a}}c.{country_pk} = {{a}}l.{term_col}"
    pairs = (
        f"SELECT l.{case_col} AS case_id, c.{value_col} AS val "  # noqa: S608
        f"FROM {table} l JOIN {country_table} c ON c.{country_pk} = l.{term_col}"
    )
    return Source(joins, f"{{a}}c.{value_col}", (), True, pairs)


def chapter_source(connection) -> Source:
    """The chapter a case comes from: exactly one per case."""
    q = connection.ops.quote_name
    meta = Case._meta
    table, pk, chapter = q(meta.db_table), q(meta.pk.column), q(meta.get_field("chapter").column)
    joins = f"LEFT JOIN {table} {{a}}k ON {{a}}k.{pk} = {{id}}"
    pairs = f"SELECT {pk} AS case_id, {chapter} AS val FROM {table}"  # noqa: S608
    return Source(joins, f"{{a}}k.{chapter}", (), False, pairs)


def outcome_source(connection, dimension_id: int) -> Source:
    """The direction of one outcome dimension: at most one per case."""
    q = connection.ops.quote_name
    meta = Outcome._meta
    joins = (
        f"LEFT JOIN {q(meta.db_table)} {{a}}o ON {{a}}o.{q(meta.get_field('case').column)} = {{id}}"
        f" AND {{a}}o.{q(meta.get_field('dimension').column)} = %s"
    )
    case_col, direction_col = (
        q(meta.get_field("case").column),
        q(meta.get_field("direction").column),
    )
    value = f"{{a}}o.{direction_col}"
    pairs = (
        f"SELECT {case_col} AS case_id, {direction_col} AS val FROM {q(meta.db_table)} "  # noqa: S608
        f"WHERE {q(meta.get_field('dimension').column)} = %s"
    )
    return Source(joins, value, (dimension_id,), False, pairs)


@dataclass
class Crosstab:
    cells: dict[tuple, int]  # (row value, column value) -> distinct cases
    rows: dict[object, int]  # row value -> distinct cases
    cols: dict[object, int]  # column value -> distinct cases
    total: int  # distinct cases selected


def _postgresql_sql(ids_sql: str, rows: Source, cols: Source) -> tuple[str, list]:
    """Everything inlined, so the planner can estimate every join.

    A materialised CTE has no statistics (its ids look like 200 distinct values):
    joins against one were estimated at tens of millions of rows and planned as
    on-disk merge joins. Inlined, the ids are an index-only scan on (status, id)
    and four such scans cost less than one bad plan.
    """

    def pairs(source: Source) -> str:
        if not source.may_repeat:
            return source.pairs
        return f"SELECT DISTINCT case_id, val FROM ({source.pairs}) p"  # noqa: S608

    sql = f"""
        WITH s(id) AS NOT MATERIALIZED ({ids_sql}),
        x AS NOT MATERIALIZED ({pairs(rows)}),
        y AS NOT MATERIALIZED ({pairs(cols)})
        SELECT {CELL}, x.val, y.val, COUNT(*)
            FROM s LEFT JOIN x ON x.case_id = s.id LEFT JOIN y ON y.case_id = s.id
            GROUP BY x.val, y.val
        UNION ALL SELECT {ROW}, x.val, NULL, COUNT(*)
            FROM s LEFT JOIN x ON x.case_id = s.id GROUP BY x.val
        UNION ALL SELECT {COL}, NULL, y.val, COUNT(*)
            FROM s LEFT JOIN y ON y.case_id = s.id GROUP BY y.val
        UNION ALL SELECT {ALL}, NULL, NULL, COUNT(*) FROM s
    """  # noqa: S608
    return sql, [*rows.params, *cols.params]


def _sqlite_sql(ids_sql: str, rows: Source, cols: Source) -> tuple[str, list]:
    """Ids read once; every join an index look-up from a case id.

    SQLite joins by nested loops. Joined to a materialised CTE without an index it
    scans the whole CTE for every case (hours at 100,000 cases), so the statement
    only ever joins link tables, through their (case, term) indexes, onto the
    materialised ids or row pairs (SQLite materialises a CTE read more than once).
    """
    row_joins, row_value = rows.join("s.id", "rx")
    cell_joins, col_value = cols.join("r.case_id", "cx")
    total_joins, total_value = cols.join("s.id", "tx")
    distinct = "DISTINCT " if rows.may_repeat else ""
    # A column source that repeats a value for one case (two countries of one
    # tradition) is made distinct per (case, row value) before it is counted.
    unique = "DISTINCT " if cols.may_repeat else ""
    cells = f"SELECT {unique}r.case_id, r.val AS rv, {col_value} AS cv FROM r {cell_joins}"  # noqa: S608
    totals = f"SELECT {unique}s.id, {total_value} AS cv FROM s {total_joins}"  # noqa: S608
    sql = f"""
        WITH s(id) AS ({ids_sql}),
        r AS (SELECT {distinct}s.id AS case_id, {row_value} AS val FROM s {row_joins})
        SELECT {CELL}, rv, cv, COUNT(*) FROM ({cells}) c GROUP BY rv, cv
        UNION ALL SELECT {ROW}, val, NULL, COUNT(*) FROM r GROUP BY val
        UNION ALL SELECT {COL}, NULL, cv, COUNT(*) FROM ({totals}) t GROUP BY cv
        UNION ALL SELECT {ALL}, NULL, NULL, COUNT(*) FROM s
    """  # noqa: S608
    return sql, [*rows.params, *cols.params, *cols.params]


def ids_sql_or_none(case_ids: QuerySet) -> tuple[str, tuple] | None:
    """The SQL of ``case_ids``, or None when it can select nothing.

    A queryset that can select nothing (``.none()``, e.g. a search without a
    searchable word) has no SQL: its counts are empty, without a query.
    """
    try:
        return case_ids.query.sql_with_params()
    except EmptyResultSet:
        return None


def crosstab(case_ids: QuerySet, rows_of, cols_of) -> Crosstab:
    """Count ``case_ids`` (a ``values("pk")`` queryset) by two dimensions. One query.

    ``rows_of`` and ``cols_of`` take the connection and return a :class:`Source`;
    either may repeat a value for one case (``Source.may_repeat``). On PostgreSQL a
    second query reads the data stamp, and a cached result saves the counting one.
    """
    connection = connections[case_ids.db]
    rows, cols = rows_of(connection), cols_of(connection)
    selected = ids_sql_or_none(case_ids)
    if selected is None:
        return Crosstab({}, {}, {}, 0)
    ids_sql, ids_params = selected
    build = _sqlite_sql if connection.vendor == "sqlite" else _postgresql_sql
    sql, params = build(ids_sql, rows, cols)
    params = (*ids_params, *params)
    # On PostgreSQL the result is cached under the facets' data stamp, which every
    # write to a table read here changes on commit: never stale, one PK look-up.
    return cached_rows(connection, sql, params, _run)


def cached_rows(connection, sql: str, params: tuple, run):
    """``run(connection, sql, params)``, cached on PostgreSQL under the data stamp.

    The stamp changes on commit of every write to a table the counts read: never
    stale, and a hit costs the stamp's one primary-key look-up.
    """
    stamp = datastamp.data_stamp(connection)
    key = None
    if stamp is not None:
        digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
        key = f"crosstab:{stamp}:{digest}"
        cached = cache.get(key)
        if cached is not None:
            return cached
    result = run(connection, sql, params)
    if key is not None:
        cache.set(key, result, datastamp.timeout())
    return result


def _run(connection, sql: str, params: tuple) -> Crosstab:
    result = Crosstab({}, {}, {}, 0)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
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


def _every_published_sql(connection, source: Source) -> tuple[str, tuple]:
    """``count_by`` of every published case, from the link table alone (PostgreSQL).

    As the facets' ``CountBase(None)``: no set of 100,000 ids to build and probe,
    only the (few) cases that are not published left out. Half the time of the
    join at 100,000 cases (docs/perf/comparison.md).
    """
    q = connection.ops.quote_name
    meta = Case._meta
    table, pk, status = q(meta.db_table), q(meta.pk.column), q(meta.get_field("status").column)
    others = [s for s in CaseStatus.values if s != CaseStatus.PUBLISHED]
    pairs = source.pairs
    if source.may_repeat:
        pairs = f"SELECT DISTINCT case_id, val FROM ({pairs}) p"  # noqa: S608
    sql = f"""
        SELECT {ROW}, x.val, NULL, COUNT(*) FROM ({pairs}) x
            WHERE x.val IS NOT NULL AND x.case_id NOT IN
                (SELECT {pk} FROM {table} WHERE {status} IN ({", ".join(["%s"] * len(others))}))
            GROUP BY x.val
        UNION ALL SELECT {ALL}, NULL, NULL, COUNT(*) FROM {table} WHERE {status} = %s
    """  # noqa: S608
    return sql, (*source.params, *others, CaseStatus.PUBLISHED)


def count_by(case_ids: QuerySet, source_of, *, every_published: bool = False) -> Crosstab:
    """Count ``case_ids`` by one dimension: ``rows`` and ``total`` of a Crosstab. One query.

    A case lacking the dimension counts under ``None``; a case with a value twice
    (two countries of one tradition) once. ``every_published`` says that
    ``case_ids`` are every published case: on PostgreSQL the values are then
    counted from the link table alone, and ``rows`` leaves out ``None``.
    """
    connection = connections[case_ids.db]
    source = source_of(connection)
    if every_published and connection.vendor == "postgresql":
        sql, params = _every_published_sql(connection, source)
        return cached_rows(connection, sql, params, _run)
    selected = ids_sql_or_none(case_ids)
    if selected is None:
        return Crosstab({}, {}, {}, 0)
    ids_sql, ids_params = selected
    if connection.vendor == "sqlite":
        joins, value = source.join("s.id", "rx")
        distinct = "DISTINCT " if source.may_repeat else ""
        sql = f"""
            WITH s(id) AS ({ids_sql}),
            r AS (SELECT {distinct}s.id AS case_id, {value} AS val FROM s {joins})
            SELECT {ROW}, val, NULL, COUNT(*) FROM r GROUP BY val
            UNION ALL SELECT {ALL}, NULL, NULL, COUNT(*) FROM s
        """  # noqa: S608
    else:
        pairs = source.pairs
        if source.may_repeat:
            pairs = f"SELECT DISTINCT case_id, val FROM ({pairs}) p"  # noqa: S608
        sql = f"""
            WITH s(id) AS NOT MATERIALIZED ({ids_sql}),
            x AS NOT MATERIALIZED ({pairs})
            SELECT {ROW}, x.val, NULL, COUNT(*) FROM s LEFT JOIN x ON x.case_id = s.id
                GROUP BY x.val
            UNION ALL SELECT {ALL}, NULL, NULL, COUNT(*) FROM s
        """  # noqa: S608
    return cached_rows(connection, sql, (*ids_params, *source.params), _run)
