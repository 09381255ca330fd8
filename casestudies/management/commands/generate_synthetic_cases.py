"""Generate synthetic benchmark cases (see casestudies/benchmark/synthetic.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casestudies.benchmark.synthetic import (
    SyntheticDataError,
    synthetic_cases_delete,
    synthetic_cases_generate,
)
from casestudies.plumbing.batch import without_statement_timeout


class Command(BaseCommand):
    help = (
        "Replace the synthetic benchmark cases with N new ones drawn over the real codebook "
        "and countries (flagged is_synthetic, titled '[synthetic] …', in their own source). "
        "Needs the reference data: manage.py load_book --reference-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=1000, help="How many cases (1000).")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (1): same seed, same cases."
        )
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Only remove every synthetic case and the synthetic source.",
        )

    def handle(self, *args, count, seed, delete, verbosity=1, **options):
        started = time.perf_counter()
        if delete:
            removed = synthetic_cases_delete()
            if verbosity:
                self.stdout.write(self.style.SUCCESS(f"Removed {removed} synthetic cases."))
            return
        if count < 0:
            raise CommandError("--count must be zero or more.")
        try:
            # Rebuilding the deferred index over 100,000 cases takes longer than the
            # web's statement timeout (casestudies/plumbing/batch.py).
            with without_statement_timeout(connection):
                synthetic_cases_generate(count=count, seed=seed)
        except SyntheticDataError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Generated {count} synthetic cases (seed {seed}) "
                    f"in {time.perf_counter() - started:.1f} s."
                )
            )
