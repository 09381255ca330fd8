"""``manage.py release VERSION --notes "…"``: freeze the published data as a numbered release."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casestudies.plumbing.batch import without_statement_timeout
from casestudies.releases import ReleaseError, create_release


class Command(BaseCommand):
    help = (
        "Freeze every published case as release VERSION: its files (cases and outcomes as "
        "CSV and JSON, datapackage.json, README.txt) are stored and never change."
    )

    def add_arguments(self, parser):
        parser.add_argument("version", help="1 to 3 numbers, e.g. 1.0; above the latest release")
        parser.add_argument("--notes", default="", help="What this release is, for its readers.")
        parser.add_argument(
            "--site-url",
            default=None,
            help="The site's address for the files' links (default: SITE_URL).",
        )

    def handle(self, *args, version, notes, site_url, verbosity=1, **options):
        try:
            # Freezing every case is one job, however long (casestudies/plumbing/batch.py).
            with without_statement_timeout(connection):
                release = create_release(
                    version=version, notes=notes, base_url=site_url or settings.SITE_URL
                )
        except ReleaseError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            log = release.changelog
            self.stdout.write(
                self.style.SUCCESS(
                    f"Release {release.version}: {release.case_count} cases, "
                    f"{release.outcome_count} outcomes; {len(log['added'])} added, "
                    f"{len(log['withdrawn'])} withdrawn, {len(log['changed'])} changed."
                )
            )
