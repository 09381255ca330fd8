"""Benchmark the extracts and the import on the database DATABASE_URL points at.

    DATABASE_URL=... python bench/extracts.py [--import-rows 10000]

Needs synthetic cases (manage.py generate_synthetic_cases --count 100000). Measures,
in this process, through Django's test client (the full middleware stack):

* the whole /cases.csv, /outcomes.csv and /extract.zip: time, rows per second,
  bytes, the growth of resident memory (peak RSS above the baseline, via
  /proc/self/status VmHWM after resetting it) and, in a second run, the peak of
  Python allocations (tracemalloc; slower, so not used for the timing);
* the number of SQL queries of /cases.csv (fixed per chunk of cases);
* importing N rows as new cases: the preview and the committed import (rolled
  back afterwards), then the preview of the same N rows when they are unchanged.

Runs with DEBUG off (config.settings.test), so Django keeps no query log.
"""

import argparse
import csv
import gc
import io
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from casestudies.extracts.records import iter_records  # noqa: E402
from casestudies.extracts.writers import stream_csv  # noqa: E402
from casestudies.importing import cases_import  # noqa: E402
from casestudies.models import Case, Outcome  # noqa: E402
from casestudies.tabular.columns import ExportContext, case_columns, outcome_dimensions  # noqa: E402


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def download(url: str, *, trace: bool = False) -> dict:
    client = Client()
    gc.collect()
    _reset_peak()
    baseline = _status_kb("VmRSS")
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    size = 0
    for piece in response.streaming_content:
        size += len(piece)
    elapsed = time.perf_counter() - started
    result = {
        "seconds": elapsed,
        "bytes": size,
        "rss_growth_mb": (_status_kb("VmHWM") - baseline) / 1024,
    }
    if trace:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    response.close()
    return result


def count_queries(url: str) -> int:
    """Queries of one download, all on this connection (no helper connections)."""
    connections_before = settings.EXTRACT_PG_CONNECTIONS
    settings.EXTRACT_PG_CONNECTIONS = 1
    try:
        with CaptureQueriesContext(connection) as captured:
            response = Client().get(url)
            for _piece in response.streaming_content:
                pass
            response.close()
    finally:
        settings.EXTRACT_PG_CONNECTIONS = connections_before
    return len(captured)


def import_sheet(rows: int) -> bytes:
    """N published cases as an import file, re-slugged so that they are all new cases."""
    ctx = ExportContext(dimensions=outcome_dimensions(), base_url="http://bench")
    columns = case_columns(ctx.dimensions)
    # Some synthetic cases have no country, which the publishing rules refuse on import.
    with_country = Case.objects.published().filter(countries__isnull=False).values("pk")
    cases = Case.objects.filter(pk__in=with_country).order_by("pk")[:rows]
    body = b"".join(stream_csv(iter_records(cases), columns, ctx)).decode()
    lines = body.splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    slug_at, id_at = header.index("slug"), header.index("id")
    out = io.StringIO()
    writer = csv.writer(out)
    for number, record in enumerate(csv.reader(io.StringIO(body, newline=""))):
        if number:
            record[slug_at] = f"bench-import-{record[slug_at]}"
            record[id_at] = ""
        writer.writerow(record)
    return out.getvalue().encode()


def time_import(rows: int) -> dict:
    data = import_sheet(rows)
    result = {"rows": rows, "bytes": len(data)}
    started = time.perf_counter()
    report = cases_import(data)
    result["preview_s"] = time.perf_counter() - started
    assert report.ok and len(report.creates) == rows, report.errors[:3]
    with transaction.atomic():
        started = time.perf_counter()
        report = cases_import(data, commit=True)
        result["commit_s"] = time.perf_counter() - started
        assert report.written
        started = time.perf_counter()
        report = cases_import(data)
        result["unchanged_preview_s"] = time.perf_counter() - started
        assert len(report.unchanged) == rows
        transaction.set_rollback(True)  # leave the benchmark database as it was
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--only-import", action="store_true")
    args = parser.parse_args()

    cases = Case.objects.published().count()
    outcomes = Outcome.objects.filter(case__status="published").count()
    vendor = connection.vendor
    print(f"# {vendor}: {cases} published cases, {outcomes} outcomes")
    downloads = (
        []
        if args.only_import
        else [
            ("/cases.csv", cases),
            ("/outcomes.csv", outcomes),
            ("/extract.zip", cases),
        ]
    )
    if downloads:
        # Warm up (imports, URL resolver, first connection), so the first measurement
        # is of the extract and not of the process's first request.
        download("/cases.csv?q=warm-up-matches-no-case")
    for url, rows in downloads:
        timed = download(url)
        traced = download(url, trace=True)
        print(
            f"{url}: {timed['seconds']:.2f} s, {rows / timed['seconds']:,.0f} rows/s, "
            f"{timed['bytes'] / 1e6:.1f} MB, peak RSS growth {timed['rss_growth_mb']:.1f} MB, "
            f"traced Python peak {traced['traced_peak_mb']:.1f} MB"
        )
    if not args.only_import:
        print(f"/cases.csv queries (on one connection): {count_queries('/cases.csv')}")
    if not args.skip_import:
        result = time_import(args.import_rows)
        print(
            f"import {result['rows']} rows ({result['bytes'] / 1e6:.1f} MB): preview "
            f"{result['preview_s']:.1f} s, commit {result['commit_s']:.1f} s, "
            f"preview when unchanged {result['unchanged_preview_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
