"""One-off jobs (management commands) run without the web's statement timeout.

``DATABASE_STATEMENT_TIMEOUT`` (30 s, PostgreSQL) keeps a runaway page query from
holding a worker. A batch job's single statement may rightly take longer at scale
(a migration re-indexing every case, the synthetic generator rebuilding its
deferred index over 100,000 cases, a release freezing every case), and being
cancelled would roll the whole job back. Each job still runs in its transactions:
stopped, it leaves nothing half-written.

A curator's save in the admin is no batch job, but a relabelled term re-indexes each
of its cases in the saving statement (17,000 cases for a popular term at 100,000):
``curation_statement_timeout`` gives that one transaction the longer
``DATABASE_CURATION_STATEMENT_TIMEOUT``.
"""

from contextlib import contextmanager

from django.conf import settings


@contextmanager
def without_statement_timeout(connection):
    """Lift the session's statement timeout for the block, then restore it."""
    # Behind a pooler in transaction mode a SET would outlive the job on a shared
    # server connection; there the timeout is the database's own setting.
    if connection.vendor != "postgresql" or settings.DATABASE_TRANSACTION_POOLING:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute("SET statement_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [previous])


def curation_statement_timeout(connection) -> None:
    """Inside a transaction: its statements may run ``DATABASE_CURATION_STATEMENT_TIMEOUT``
    seconds (not the web's ``DATABASE_STATEMENT_TIMEOUT``) until it ends.

    ``SET LOCAL``: the setting ends with the transaction, committed or rolled back, so
    nothing needs restoring (a failed statement would leave the transaction unable to
    run a restore) and it holds behind a transaction pooler too. Never shortens the
    limit a connection already has.
    """
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("curation_statement_timeout() is for a transaction's statements")
    longer = settings.DATABASE_CURATION_STATEMENT_TIMEOUT
    current = settings.DATABASE_STATEMENT_TIMEOUT
    if current == 0 or (longer != 0 and longer <= current):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{longer}s"])
