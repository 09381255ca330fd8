"""Django's ``migrate``, without the web's statement timeout on PostgreSQL.

``DATABASE_STATEMENT_TIMEOUT`` (30 s) keeps a runaway page query from holding a
worker; a migration is a one-off job whose data steps take minutes on a large
database (0008 re-indexes every case: ~5 min at 100,000 cases), and the entry
point migrates on every start, so the timeout would fail the deploy. Each
migration is still one transaction: stopped, it leaves nothing half-written.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        # Behind a pooler in transaction mode a SET would outlive the job on a shared
        # server connection; there the timeout is the database's own setting.
        if connection.vendor != "postgresql" or settings.DATABASE_TRANSACTION_POOLING:
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            (previous,) = cursor.fetchone()
            cursor.execute("SET statement_timeout = 0")
        try:
            return super().handle(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", [previous])
