"""Load the reference data and the book's cases. Safe to run any number of times.

Fixtures use natural keys, so a second run updates the same rows instead of
adding new ones; everything happens in one transaction.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from casestudies.fixtures import BOOK_FIXTURES, REFERENCE_FIXTURES
from casestudies.models import Case, Chapter, Country
from casestudies.roles import curators_group_sync


class Command(BaseCommand):
    help = "Load the codebook, countries, the book and its chapters, and the book's cases."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reference-only",
            action="store_true",
            help="Load only the codebook, countries, sources and chapters, not the cases.",
        )

    def handle(self, *args, reference_only=False, verbosity=1, **options):
        fixtures = REFERENCE_FIXTURES if reference_only else REFERENCE_FIXTURES + BOOK_FIXTURES
        with transaction.atomic():
            for path in fixtures:
                if path.exists():
                    call_command("loaddata", str(path), verbosity=0)
                elif path in REFERENCE_FIXTURES:
                    raise FileNotFoundError(path)
            curators_group_sync()
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded: {Chapter.objects.count()} chapters, "
                    f"{Country.objects.count()} countries, "
                    f"{Case.objects.real().count()} cases "
                    f"({Case.objects.real().published().count()} published)."
                )
            )
