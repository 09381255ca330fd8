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

import yaml
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings

from casestudies.extracts import stored_lines
from casestudies.models import Case, Chapter, Country, Outcome
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
                self._drop_outcomes_not_in_fixtures()
                self._record_book_versions()
            curators_group_sync()
            # The fixtures bring the outcome dimensions, which are cases.csv's columns:
            # lines made before them (by the migrate that created the tables) would be
            # passed over for the live rendering until the next migrate.
            stored_lines.install(connection)
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded: {Chapter.objects.count()} chapters, "
                    f"{Country.objects.count()} countries, "
                    f"{Case.objects.real().count()} cases "
                    f"({Case.objects.real().published().count()} published)."
                )
            )

    def _drop_outcomes_not_in_fixtures(self) -> None:
        """A book case's outcome rows that its fixture no longer holds go.

        ``loaddata`` updates and adds rows but never deletes, and many-to-many links
        are set whole while outcomes are rows of their own: without this, an outcome
        taken out of the fixtures (a correction) would stay in every existing database.
        """
        kept: dict[str, set[str]] = {}
        for path in BOOK_FIXTURES:
            if not path.exists():
                continue
            for row in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                fields = row.get("fields", {})
                if row.get("model") == "casestudies.case":
                    kept.setdefault(fields["slug"], set())
                elif row.get("model") == "casestudies.outcome":
                    (case_slug,), (dimension_slug,) = fields["case"], fields["dimension"]
                    kept.setdefault(case_slug, set()).add(dimension_slug)
        stale = [
            pk
            for pk, case_slug, dimension_slug in Outcome.objects.filter(
                case__slug__in=kept
            ).values_list("pk", "case__slug", "dimension__slug")
            if dimension_slug not in kept[case_slug]
        ]
        Outcome.objects.filter(pk__in=stale).delete()

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
