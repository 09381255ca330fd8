"""The case page in-process, before and after a change, interleaved request by request.

Starts one worker process per checkout (the production settings, its own database,
Django's test client: the whole middleware stack and template, no HTTP server), warms
each on pages not measured (the case index built, templates compiled), then asks both
for the same random published case pages in turn, the order within each pair random.
Prints per version the median, p95 and mean milliseconds per page, the CPU time a
page took in the worker and in its PostgreSQL backend (which a loaded machine inflates
far less than the wall time), and its number of queries. ``--profile NAME=FILE``
writes a cProfile of that version's measured pages.
Not a test. Example::

    python bench/case_page.py --pages 300 \\
        before=/tmp/atlas-before=postgres://postgres@127.0.0.1:5432/atlas_x_100k \\
        after=.=postgres://postgres@127.0.0.1:5432/atlas_x_100k
"""

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable


def worker(profile: str) -> None:
    """One checkout's side: reads a path per line, answers {"ms": …, "queries": …}."""
    import cProfile

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    profiler = cProfile.Profile() if profile else None
    for line in sys.stdin:
        command, _sep, path = line.strip().partition(" ")
        if command == "quit":
            break
        if command == "cpu":  # CPU seconds so far: this process, its database backend
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = os.sysconf("SC_CLK_TCK")
            answer = {"status": 200, "py": time.process_time()}
            answer["pg"] = (int(fields[11]) + int(fields[12])) / ticks
            print(json.dumps(answer), flush=True)
            continue
        if command == "count":
            with CaptureQueriesContext(connection) as ctx:
                status = client.get(path).status_code
            answer = {"status": status, "queries": len(ctx.captured_queries)}
        else:
            if profiler and command == "time":
                profiler.enable()
            started = time.perf_counter()
            status = client.get(path).status_code
            elapsed = (time.perf_counter() - started) * 1000
            if profiler and command == "time":
                profiler.disable()
            answer = {"status": status, "ms": elapsed}
        print(json.dumps(answer), flush=True)
    if profiler:
        profiler.dump_stats(profile)


class Side:
    def __init__(self, name: str, root: str, url: str, profile: str):
        self.name = name
        static = tempfile.mkdtemp(prefix=f"atlas-casepage-{name}-")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": static,
            "CACHE_DIR": tempfile.mkdtemp(prefix=f"atlas-casepage-cache-{name}-"),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(Path(root).resolve()),
        }
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=root,
            env=env,
            check=True,
        )
        self.process = subprocess.Popen(
            [PYTHON, str(Path(__file__).resolve()), "--worker", "--profile-file", profile],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ms: list[float] = []
        self.queries: set[int] = set()
        self.cpu = {"py": 0.0, "pg": 0.0}

    def ask(self, command: str, path: str) -> dict:
        self.process.stdin.write(f"{command} {path}\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if answer["status"] != 200:
            raise RuntimeError(f"{self.name} {path}: HTTP {answer['status']}")
        return answer

    def close(self) -> None:
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        self.process.wait(timeout=60)


def published_slugs(url: str) -> list[str]:
    out = subprocess.run(
        ["psql", url, "-Atc", "SELECT slug FROM casestudies_case WHERE status = 'published'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", help="name=checkout=database_url")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--language", default="", help="e.g. de: the pages under /de/")
    parser.add_argument("--profile", action="append", default=[], help="NAME=FILE")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.profile_file)
        return
    profiles = dict(spec.split("=", 1) for spec in args.profile)
    specs = [spec.split("=", 2) for spec in args.versions]
    slugs = published_slugs(specs[0][2])
    rng = random.Random(args.seed)
    chosen = rng.sample(slugs, args.warmup + args.pages)
    prefix = f"/{args.language}" if args.language else ""
    paths = [f"{prefix}/cases/{slug}/" for slug in chosen]
    sides = [Side(name, root, url, profiles.get(name, "")) for name, root, url in specs]
    try:
        for path in paths[: args.warmup]:
            for side in sides:
                side.ask("warm", path)
        for path in paths[:10]:
            for side in sides:
                side.queries.add(side.ask("count", path)["queries"])
        started = {side.name: side.ask("cpu", "") for side in sides}
        for path in paths[args.warmup :]:
            for side in rng.sample(sides, len(sides)):
                side.ms.append(side.ask("time", path)["ms"])
        for side in sides:
            ended = side.ask("cpu", "")
            for what in side.cpu:
                side.cpu[what] = (ended[what] - started[side.name][what]) * 1000 / args.pages
    finally:
        for side in sides:
            side.close()
    load = os.getloadavg()
    print(f"{args.pages} pages, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for side in sides:
        print(
            f"{side.name:>8}: median {statistics.median(side.ms):7.1f} ms, "
            f"p95 {pct(side.ms, 95):7.1f} ms, mean {statistics.fmean(side.ms):7.1f} ms, "
            f"CPU per page {side.cpu['py']:.1f} ms Python + {side.cpu['pg']:.1f} ms PostgreSQL, "
            f"queries {sorted(side.queries)}"
        )


if __name__ == "__main__":
    main()
