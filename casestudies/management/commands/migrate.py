"""Django's ``migrate``, without the web's statement timeout on PostgreSQL.

The entry point migrates on every start, and a data migration at 100,000 cases
(0008 re-indexes every case: ~5 min) cut at ``DATABASE_STATEMENT_TIMEOUT``'s 30 s
would fail the deploy (casestudies/plumbing/batch.py).
"""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from casestudies.plumbing.batch import without_statement_timeout


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        with without_statement_timeout(connections[options["database"]]):
            return super().handle(*args, **options)
