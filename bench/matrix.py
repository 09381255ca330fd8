"""Benchmark of the cross-country matrix through gunicorn (production settings).

For each database URL given: collect static files into a temporary directory,
start gunicorn (2 sync workers) on 127.0.0.1:<port>, request each matrix shape
--warmup times, then --requests times one after another, and print the median
and 95th percentile latency as a Markdown table (the rows of docs/perf/matrix.md).

The databases must already hold the synthetic cases, e.g.::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas_compare_100k \\
        .venv/bin/python manage.py migrate
    ... manage.py load_book --reference-only
    ... manage.py generate_synthetic_cases --count 100000 --seed 1
    .venv/bin/python bench/matrix.py --port 8501 \\
        postgres://postgres@127.0.0.1:5432/atlas_compare_100k sqlite:////tmp/compare_100k.sqlite3
"""

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _server import percentile, server_env, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# The shapes a visitor is most likely to ask for, plus one that carries a list filter.
SCENARIOS = [
    ("country × participation form", "/matrix/"),
    ("welfare tradition × policy field", "/matrix/?rows=welfare_tradition&cols=policy_field"),
    (
        "world region × outcome (service quality)",
        "/matrix/?rows=world_region&cols=outcome&outcome_dimension=service-quality",
    ),
    (
        "country × provider type, filtered to childcare",
        "/matrix/?cols=provider_type&policy_field=childcare-preschool",
    ),
    ("CSV: country × participation form", "/matrix.csv"),
]


def measure(port: int, path: str, warmup: int, requests: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings = []
    for n in range(warmup + requests):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        if n >= warmup:
            timings.append(elapsed)
    conn.close()
    return timings


def bench(
    database_url: str, port: int, warmup: int, requests: int, cache: int, scenarios=None
) -> list[tuple]:
    static_root = tempfile.mkdtemp(prefix="atlas-bench-static-")
    env = server_env(database_url, port, static_root, cache)
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    count = subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from casestudies.models import Case; print(Case.objects.published().count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env
    )
    try:
        wait_until_up(port, time.monotonic() + 60)
        rows = []
        engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        if cache and engine == "PostgreSQL":
            engine += " (cached)"
        for label, path in scenarios or SCENARIOS:
            timings = measure(port, path, warmup, requests)
            rows.append(
                (
                    engine,
                    count,
                    label,
                    statistics.median(timings),
                    percentile(timings, 0.95),
                    len(timings),
                )
            )
            print(
                f"| {engine} | {count} | {label} | {rows[-1][3]:.0f} | {rows[-1][4]:.0f} |",
                flush=True,
            )
        return rows
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_urls", nargs="+")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument(
        "--cache-seconds", type=int, default=0, help="FACET_CACHE_SECONDS (0: no cache)"
    )
    args = parser.parse_args()
    print("| Database | Published cases | Matrix | Median (ms) | p95 (ms) |")
    print("|---|---:|---|---:|---:|")
    for url in args.database_urls:
        bench(url, args.port, args.warmup, args.requests, args.cache_seconds)


if __name__ == "__main__":
    main()
