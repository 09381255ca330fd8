"""Render cases.csv's stored lines again (PostgreSQL; casestudies/extracts/stored_lines.py).

manage.py refresh_extract_lines          # only if they were made for other columns
manage.py refresh_extract_lines --all    # every line, whatever their signature

``migrate`` does the first after every deploy. Needed by hand only after the outcome
dimensions (which are columns of cases.csv) change: until then the whole CSV is
rendered live, as fast as before the stored lines.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from casestudies.extracts import stored_lines
from casestudies.plumbing.batch import without_statement_timeout


class Command(BaseCommand):
    help = "Render cases.csv's stored lines again (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Every line, whatever happens.")

    def handle(self, *args, all=False, verbosity=1, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Nothing to do: the stored lines are PostgreSQL's.")
            return
        # Every line is one job, however long (casestudies/plumbing/batch.py).
        with without_statement_timeout(connection):
            rendered = stored_lines.install(connection, rebuild=True if all else None)
        if verbosity:
            self.stdout.write("Rendered every line." if rendered else "The lines were current.")
