# ruff: noqa: S608 -- SQL built from model metadata and constants only.
"""Caching facet counts without ever serving stale ones (PostgreSQL).

At 100,000 cases a facet's counts take tens of milliseconds, eleven facets far
more than a page may. They are cached per facet and per combination of the
*other* filters, under a data stamp: a counter that statement-level triggers on
every table the counts read (cases, their links, outcomes, countries, chapters,
the vocabularies) bump inside the writing transaction. A write therefore
changes the stamp the moment it commits, and counts cached under the old stamp
are never read again. Reading the stamp is one primary-key look-up.

A reader that races a commit may store fresher counts under the older stamp;
nobody reads that stamp after the commit, so no one is misled.

SQLite (a laptop, a handful of cases) does not cache: its triggers would fire
per row and slow bulk loads, and it needs no help at that size.
"""

import secrets

from django.conf import settings
from django.core.cache import cache

STAMP_TABLE = "casestudies_facet_stamp"


def timeout() -> int:
    """Seconds to keep counts (settings.FACET_CACHE_SECONDS); 0 = off."""
    return settings.FACET_CACHE_SECONDS


def data_stamp(connection) -> str | None:
    """The current stamp (one query), or None where counts are not cached.

    The counter alone does not name the data: a restore winds it back, and counts
    cached under its old values (from other data) would be read again. So the stamp
    also holds the epoch, a random value written at every ``migrate`` and restore
    (``rotate_epoch``), and the database's oid, new whenever the database is
    created afresh (a ``pg_restore`` into a new database, a restore drill beside
    production), even before anything migrates it.
    """
    if not timeout():
        return None
    return current_stamp(connection)


def current_stamp(connection) -> str | None:
    """The stamp of the data as committed now (one query) on PostgreSQL, whether or
    not counts are cached (the case index keys on it too); None on SQLite."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL)
        row = cursor.fetchone()
    return stamp_of(row)


# The stamp's statement: three columns (epoch, database oid, counter), one row or
# none. Other statements may read it as a subquery (the case page reads it with the
# case: casestudies/reads/case_page.py), then give its columns to ``stamp_of``.
STAMP_SQL = (
    f"SELECT s.epoch, d.oid, s.n FROM {STAMP_TABLE} s, pg_database d "
    "WHERE s.id = 1 AND d.datname = current_database()"
)
STAMP_COLUMNS = 3


def stamp_of(row) -> str | None:
    """The stamp from ``STAMP_SQL``'s columns (None: no row; the epoch is never NULL)."""
    return ".".join(str(part) for part in row) if row and row[0] is not None else None


def rotate_epoch(connection) -> None:
    """Give the data a stamp no cache entry was made under (after a migrate or restore)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Not there before migration 0010 (a migrate back to an older state).
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = %s AND column_name = 'epoch'",
            [STAMP_TABLE],
        )
        if cursor.fetchone():
            cursor.execute(
                f"UPDATE {STAMP_TABLE} SET epoch = %s WHERE id = 1", [secrets.token_hex(16)]
            )


def rotate_epoch_after_migrate(using, **kwargs) -> None:
    """post_migrate: every deploy and every documented restore ends with ``migrate``."""
    from django.db import connections

    rotate_epoch(connections[using])


def get_many(keys: list[str]) -> dict:
    return cache.get_many(keys)


def set_many(values: dict) -> None:
    cache.set_many(values, timeout())
