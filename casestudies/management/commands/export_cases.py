"""Write an extract to a file or standard output, as the /cases.csv family of URLs does.

manage.py export_cases --output cases.csv "country=SE&policy_field=childcare"
manage.py export_cases --format zip --output extract.zip
manage.py export_cases --include-unpublished --output backup.csv   # every case, for re-import
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from django.utils import timezone

from casestudies.extracts.bundle import stream_bundle
from casestudies.extracts.cases_csv import CasesCsv
from casestudies.extracts.queries import cases_for_extract, outcome_pairs
from casestudies.extracts.records import iter_records
from casestudies.extracts.writers import stream_csv, stream_json
from casestudies.models import Case
from casestudies.plumbing.bad_parameter import BadParameter
from casestudies.tabular.columns import (
    OUTCOME_COLUMNS,
    ExportContext,
    case_columns,
    outcome_dimensions,
)

FORMATS = ["csv", "outcomes-csv", "json", "outcomes-json", "zip"]


class Command(BaseCommand):
    help = "Export published cases (optionally filtered by a case-list query) as CSV, JSON or ZIP."

    def add_arguments(self, parser):
        parser.add_argument(
            "query", nargs="?", default="", help="A case-list query string, e.g. 'country=SE'."
        )
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--bom", action="store_true", help="Start a CSV with a BOM (Excel).")
        parser.add_argument(
            "--include-unpublished",
            action="store_true",
            help="Every case whatever its status (a curator's backup); only with --format csv.",
        )
        parser.add_argument(
            "--base-url", default=settings.SITE_URL, help="Site address for the 'url' column."
        )

    def handle(self, *args, query, format, output, bom, include_unpublished, base_url, **options):
        params = QueryDict(query)
        try:
            content = self._content(params, format, bom, include_unpublished, base_url)
            if output:
                with open(output, "wb") as handle:
                    for piece in content:
                        handle.write(piece)
            else:
                for piece in content:
                    sys.stdout.buffer.write(piece)
                sys.stdout.buffer.flush()
        except BadParameter as exc:
            raise CommandError(exc.text) from exc

    def _content(self, params, format, bom, include_unpublished, base_url):
        ctx = ExportContext(dimensions=outcome_dimensions(), base_url=base_url)
        columns = case_columns(ctx.dimensions)
        if include_unpublished:
            if format != "csv" or params:
                raise CommandError("--include-unpublished takes no query and only --format csv.")
            cases = Case.objects.order_by("title", "pk")
            return stream_csv(iter_records(cases), columns, ctx, bom=bom)
        if format == "csv":
            return CasesCsv(cases_for_extract(params), columns, ctx, bom=bom)
        if format == "outcomes-csv":
            rows = outcome_pairs(iter_records(cases_for_extract(params), full=False))
            return stream_csv(rows, OUTCOME_COLUMNS, ctx, bom=bom)
        meta = {"query": params.urlencode(), "generated_at": f"{timezone.now():%Y-%m-%dT%H:%M:%SZ}"}
        if format == "json":
            return stream_json(
                iter_records(cases_for_extract(params)), columns, ctx, key="cases", meta=meta
            )
        if format == "outcomes-json":
            rows = outcome_pairs(iter_records(cases_for_extract(params), full=False))
            return stream_json(rows, OUTCOME_COLUMNS, ctx, key="outcomes", meta=meta)
        outcomes = cases_for_extract(params)
        query = params.urlencode()
        return stream_bundle(
            cases_csv=CasesCsv(cases_for_extract(params), columns, ctx),
            outcome_rows_of=lambda: outcome_pairs(iter_records(outcomes, full=False)),
            case_columns=columns,
            ctx=ctx,
            query=query,
            list_url=f"{base_url.rstrip('/')}/cases/" + (f"?{query}" if query else ""),
            created=timezone.now(),
        )
