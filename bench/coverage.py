"""Benchmark of the coverage page /coverage/ with many *real* cases, through gunicorn.

An outside probe found the page loading every case: ~24,000 imported cases made
one request take 21 s and 10 MB, and left a worker at 1 GB. This measures it on
PostgreSQL with the production settings (2 sync workers, file cache):

1. ``--setup N`` (a throw-away database): migrate, load the book, generate N
   synthetic cases, then make them pass for real cases, as an import would have
   made them: ``is_synthetic`` false, spread over the book's empirical chapters,
   one in ten a draft and one in ten in review (so the curators' list is long).
2. Start gunicorn on 127.0.0.1:<port>; for the count cache off and on
   (FACET_CACHE_SECONDS 0 / 600), as an anonymous visitor and as a signed-in
   curator: --requests sequential requests (median, p95, bytes), then
   --concurrency connections for --seconds (requests per second, p95) while a
   separate connection times /health/.
3. The resident memory (VmRSS) of each worker before the run and after every
   phase: flat means the page's cost does not grow with the data.

Prints Markdown for docs/perf/coverage.md. Not a test: figures depend on the
machine and on what else runs on it. Example::

    /work/venv/bin/python bench/coverage.py --setup 25000 --port 8131 \\
        postgres://postgres@127.0.0.1:5432/atlas_coverage_25k
"""

import argparse
import http.client
import os
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
PATH = "/coverage/"

MAKE_REAL = """
from django.db import connection, transaction
from casestudies.models import Case, Chapter
from casestudies.benchmark.synthetic import SYNTHETIC_SOURCE_SLUG
chapters = list(
    Chapter.objects.filter(is_empirical=True).exclude(source__slug=SYNTHETIC_SOURCE_SLUG)
    .order_by("pk").values_list("pk", flat=True)
)
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute(
        "UPDATE casestudies_case SET is_synthetic = false, "
        "chapter_id = (%s::int[])[1 + id %% %s], "
        "status = CASE WHEN id %% 10 = 0 THEN 'draft' WHEN id %% 10 = 1 THEN 'review' "
        "ELSE status END, "
        "coder_note = CASE WHEN id %% 10 IN (0, 1) THEN 'Period not stated.' ELSE '' END "
        "WHERE is_synthetic",
        [chapters, len(chapters)],
    )
print(Case.objects.real().count())
"""

CURATOR_SESSION = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from casestudies.plumbing.roles import curators_group_sync
user, _ = get_user_model().objects.get_or_create(username="bench-curator", is_staff=True)
user.groups.add(curators_group_sync())
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
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


def shell(env: dict, code: str) -> str:
    return manage(env, "shell", "--no-imports", "-c", code, capture=True).strip()


def setup_database(env: dict, count: int) -> None:
    import psycopg

    server, name = env["DATABASE_URL"].rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_book", "-v0")
    manage(env, "generate_synthetic_cases", "--count", str(count), "--seed", "1")
    print(f"real cases after setup: {shell(env, MAKE_REAL)}", file=sys.stderr)
    manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")


def get(conn: http.client.HTTPConnection, path: str, cookie: str) -> tuple[float, int]:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000, len(body)


def sequential(port: int, cookie: str, requests: int) -> tuple[list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    results = [get(conn, PATH, cookie) for _ in range(requests)]
    conn.close()
    return [ms for ms, _ in results], results[-1][1]


def concurrent(port: int, cookie: str, connections: int, seconds: float):
    """Requests per second and p95 of /coverage/ from ``connections`` at once, and
    the p95 of /health/ asked meanwhile on a connection of its own."""
    timings: list[float] = []
    health: list[float] = []
    stop = time.monotonic() + seconds

    def load():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < stop:
            timings.append(get(conn, PATH, cookie)[0])
        conn.close()

    def probe():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < stop:
            health.append(get(conn, "/health/", "")[0])
            time.sleep(0.2)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=load) for _ in range(connections)]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return len(timings) / elapsed, percentile(timings, 0.95), percentile(health, 0.95)


def worker_rss_mb(master: int) -> list[float]:
    """VmRSS of gunicorn's workers (the master's children), in MB."""
    sizes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != master:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    return sorted(sizes)


def bench(args) -> None:
    static_root = tempfile.mkdtemp(prefix="atlas-coverage-static-")
    base_env = server_env(args.database_url, args.port, static_root, 600)
    if args.setup:
        setup_database(base_env, args.setup)
    manage(base_env, "collectstatic", "--noinput", "-v0")
    real = shell(
        base_env, "from casestudies.models import Case; print(Case.objects.real().count())"
    )
    drafts = shell(
        base_env,
        "from casestudies.models import Case; "
        "print(Case.objects.real().exclude(status='published').count())",
    )
    cookie = f"sessionid={shell(base_env, CURATOR_SESSION)}"
    print(f"\nPostgreSQL, {real} real cases ({drafts} not published), gunicorn 2 sync workers.\n")
    print(
        "| Count cache | Visitor | Median (ms) | p95 (ms) | Bytes "
        f"| Requests/s ({args.concurrency} conn.) | p95 under load (ms) "
        "| /health/ p95 under load (ms) | Worker RSS after (MB) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for cache_seconds in (0, 600):
        env = server_env(args.database_url, args.port, static_root, cache_seconds)
        # The curator's session was signed with this key.
        env["SECRET_KEY"] = base_env["SECRET_KEY"]
        env["CACHE_DIR"] = tempfile.mkdtemp(prefix="atlas-coverage-cache-")
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        server = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env
        )
        try:
            wait_until_up(args.port, time.monotonic() + 60)
            rss = worker_rss_mb(server.pid)
            print(
                f"| {'on' if cache_seconds else 'off'} | (workers at start) | | | | | | "
                f"| {', '.join(f'{mb:.0f}' for mb in rss)} |"
            )
            for visitor, visitor_cookie in (("anonymous", ""), ("curator", cookie)):
                timings, size = sequential(args.port, visitor_cookie, args.requests)
                rps, p95_load, health_p95 = concurrent(
                    args.port, visitor_cookie, args.concurrency, args.seconds
                )
                rss = worker_rss_mb(server.pid)
                print(
                    f"| {'on' if cache_seconds else 'off'} | {visitor} | "
                    f"{statistics.median(timings):.0f} | {percentile(timings, 0.95):.0f} | "
                    f"{size} | {rps:.1f} | {p95_load:.0f} | {health_p95:.0f} | "
                    f"{', '.join(f'{mb:.0f}' for mb in rss)} |",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="postgres://… (a throw-away database with --setup)")
    parser.add_argument("--setup", type=int, default=0, help="Set up N real cases first.")
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    bench(parser.parse_args())


if __name__ == "__main__":
    main()
