"""One-off jobs (management commands) run without the web's statement timeout.

``DATABASE_STATEMENT_TIMEOUT`` (30 s, PostgreSQL) keeps a runaway page query from
holding a worker. A batch job's single statement may rightly take longer at scale
(a migration re-indexing every case, the synthetic generator rebuilding its
deferred index over 100,000 cases, a release freezing every case), and being
cancelled would roll the whole job back. Each job still runs in its transactions:
stopped, it leaves nothing half-written.
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
