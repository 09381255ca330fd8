"""Load the reference data and the book's cases. Safe to run any number of times.

Fixtures use natural keys, so a second run updates the same rows instead of
adding new ones; everything happens in one transaction. Note that a second
run puts rows that came from the fixtures back to the fixtures' values: it is
for setting up and resetting the book's data, not for merging curators' edits.

``loaddata`` writes rows raw, so history is switched off while it runs (its
many-to-many signals would otherwise leave a trail of partial versions); then
each book case gets one version: "Loaded from the book's fixtures" the first
time, "Reset to the book's fixtures" when a re-run changed it. So the history
always ends in what the database holds, and curators can diff and revert.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from casestudies.models import Case, Chapter, Country
from casestudies.plumbing.fixtures import BOOK_FIXTURES, REFERENCE_FIXTURES
from casestudies.plumbing.roles import curators_group_sync
from casestudies.writes.history import case_diff, case_versions, live_state
from casestudies.writes.versions import one_version


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
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                for path in fixtures:
                    if path.exists():
                        call_command("loaddata", str(path), verbosity=0)
                    elif path in REFERENCE_FIXTURES:
                        raise FileNotFoundError(path)
            if not reference_only:
                self._record_book_versions()
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

    def _record_book_versions(self) -> None:
        for case in Case.objects.real().with_related():
            versions = case_versions(case.pk)
            if not versions:
                reason, created = "Loaded from the book's fixtures", True
            elif case_diff(versions[-1].state, live_state(case)):
                reason, created = "Reset to the book's fixtures", False
            else:
                continue
            with one_version(case, user=None, reason=reason, created=created):
                pass
