"""Benchmark of the faceted case list /cases/ through gunicorn (production settings).

For each database URL: optionally set it up (--setup N: migrate, load the
reference data, generate N synthetic cases), collect static files into a
temporary directory, then for the facet-count cache on and off
(FACET_CACHE_SECONDS, PostgreSQL only; SQLite never caches):

- start gunicorn (gunicorn.conf.py, 2 sync workers) on 127.0.0.1:<port>;
- per scenario, request it --requests times one after another (latency:
  median and p95) and then for --seconds from --concurrency connections at
  once (requests per second);
- count the SQL queries of one request of each scenario (in-process).

Prints Markdown table rows for docs/perf/facets.md. Not a test: figures
depend on the machine. Example::

    .venv/bin/python bench/facets.py --setup 10000 --port 8101 \\
        sqlite:////tmp/facets_bench_10k.sqlite3 \\
        postgres://postgres@127.0.0.1:5432/atlas_facets_10k
"""

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _server import percentile, server_env, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SCENARIOS = [
    ("unfiltered", "/cases/"),
    ("two filters", "/cases/?country=SE&participation_form=co-production"),
    ("search + filters", "/cases/?q=parents&country=DE&policy_field=childcare-preschool"),
]

COUNT_QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
out = {}
for path in PATHS:
    client.get(path)  # warm the per-process look-ups
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    out[path] = [status, len(ctx.captured_queries)]
print(json.dumps(out))
"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else ""


def create_postgres_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_database(env: dict, count: int) -> None:
    if env["DATABASE_URL"].startswith("postgres"):
        create_postgres_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_book", "--reference-only", "-v0")
    manage(env, "generate_synthetic_cases", "--count", str(count), "--seed", "1")
    if env["DATABASE_URL"].startswith("postgres"):
        # Fresh statistics after a bulk load, as autovacuum would give a live site.
        manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")


def get(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


def latencies(port: int, path: str, warmup: int, requests: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings = [get(conn, path) for _ in range(warmup + requests)][warmup:]
    conn.close()
    return timings


def throughput(port: int, path: str, concurrency: int, seconds: float) -> float:
    done = []
    stop = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = 0
        while time.monotonic() < stop:
            get(conn, path)
            n += 1
        done.append(n)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def bench(url: str, args, static_root: str) -> None:
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    caches = [600, 0] if engine == "PostgreSQL" else [0]
    base_env = server_env(url, args.port, static_root, caches[0])
    if args.setup:
        setup_database(base_env, args.setup)
    count = manage(
        base_env,
        "shell",
        "--no-imports",
        "-c",
        "from casestudies.models import Case; print(Case.objects.published().count())",
        capture=True,
    ).strip()
    for cache_seconds in caches:
        env = server_env(url, args.port, static_root, cache_seconds)
        code = f"PATHS = {json.dumps([p for _, p in SCENARIOS])}\n{COUNT_QUERIES}"
        queries = json.loads(manage(env, "shell", "--no-imports", "-c", code, capture=True))
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        server = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env
        )
        try:
            wait_until_up(args.port, time.monotonic() + 60)
            mode = "on" if cache_seconds else ("off" if engine == "PostgreSQL" else "n/a")
            for label, path in SCENARIOS:
                timings = latencies(args.port, path, args.warmup, args.requests)
                rps = throughput(args.port, path, args.concurrency, args.seconds)
                print(
                    f"| {engine} | {count} | {mode} | {label} | "
                    f"{statistics.median(timings):.0f} | {percentile(timings, 0.95):.0f} | "
                    f"{rps:.1f} | {queries[path][1]} |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_urls", nargs="+")
    parser.add_argument("--setup", type=int, default=0, help="Generate N synthetic cases first.")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    static_root = tempfile.mkdtemp(prefix="atlas-facets-static-")
    env = server_env(args.database_urls[0], args.port, static_root, 0)
    manage(env, "collectstatic", "--noinput", "-v0")
    print(
        "| Database | Published cases | Count cache | Scenario | Median (ms) | p95 (ms) "
        f"| Requests/s ({args.concurrency} connections) | Queries |"
    )
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for url in args.database_urls:
        bench(url, args, static_root)


if __name__ == "__main__":
    main()
