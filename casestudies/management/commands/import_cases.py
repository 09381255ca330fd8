"""Import cases from a CSV in the columns of /cases.csv: all rows or none.

manage.py import_cases cases.csv --dry-run       # the preview: what would change, every error
manage.py import_cases cases.csv --user curator  # write, with history attributed to 'curator'
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casestudies.importing import ImportFileError, cases_import

MAX_LISTED = 50


class Command(BaseCommand):
    help = "Import (create or update) cases from a CSV file; --dry-run previews without writing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (UTF-8, the columns of /cases.csv).")
        parser.add_argument("--dry-run", action="store_true", help="Preview only; write nothing.")
        parser.add_argument(
            "--user", help="Username the history records name (default: none, 'import' only)."
        )

    def handle(self, *args, path, dry_run, user, verbosity=1, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user named '{user}'.") from exc
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            report = cases_import(data, user=account, commit=not dry_run)
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc

        if verbosity:
            for label, plans in (
                ("Create", report.creates),
                ("Update", report.updates),
            ):
                for plan in plans[:MAX_LISTED]:
                    self.stdout.write(f"  {label}: row {plan.row}, {plan.slug}")
                if len(plans) > MAX_LISTED:
                    self.stdout.write(
                        f"  ... and {len(plans) - MAX_LISTED} more to {label.lower()}"
                    )
            for note in report.notes:
                self.stdout.write(f"  Note: row {note.row}, column {note.column}: {note.message}")
        for error in report.errors:
            self.stderr.write(f"Row {error.row}, column {error.column}: {error.message}")
        if report.errors:
            raise CommandError(f"{report.summary()} Nothing was written.")
        if dry_run:
            self.stdout.write(f"Preview: {report.summary()} Nothing was written (--dry-run).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {report.summary()}"))
