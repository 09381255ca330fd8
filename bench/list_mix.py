"""The faceted case list under a random mix, two checkouts interleaved (issue 18).

Builds a pool of distinct list URLs (``--pool``, 2,500 by default) with 0–3 random
facet filters drawn from the vocabularies of the database (no filter: a random page
of the whole list), so that no per-URL cache can win; starts gunicorn with the
production settings for each checkout given (``--root NAME=PATH``, e.g. the code
before and after a change; the count cache off unless ``--cache-seconds``), warms
each, then runs wrk with bench/load_mix.lua (a random line of the pool per request)
against them in turn, the order alternating round by round. Prints one JSON line per
run (p50/p95/p99, requests per second, errors, the load average at its start) and a
table of medians over the rounds.

    python bench/list_mix.py --database-url postgres://postgres@127.0.0.1:5432/atlas_x_100k \\
        --root before=/tmp/atlas-before --root after=. --port 8140

Traffic stays on 127.0.0.1; the database is only read.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from _server import server_env
from load import Gunicorn, get, run_wrk

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PAGE_SIZE = 25


def facet_keys(database_url: str) -> tuple[dict[str, list[str]], int]:
    """Each filterable facet's keys (chapters left out) and the published count."""
    code = (
        "import json; from casestudies.facets import TERM_FACETS; "
        "from casestudies.models import Case; "
        "print(json.dumps([{f.param: [f.key(t) for t in f.model.objects.all()] "
        "for f in TERM_FACETS if f.param != 'chapter'}, Case.objects.published().count()]))"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    keys, published = json.loads(result.stdout.strip().splitlines()[-1])
    return keys, published


def pool(keys: dict[str, list[str]], pages: int, size: int, rng: random.Random) -> list[str]:
    """``size`` distinct list URLs with 0–3 random filters (none: a random page)."""
    params = sorted(keys)
    found: dict[str, None] = {}
    tries = 0
    while len(found) < size and tries < size * 20:
        tries += 1
        n = rng.randint(0, 3)
        if n == 0:
            found.setdefault(f"/cases/?page={rng.randint(1, pages)}")
        else:
            chosen = [(p, rng.choice(keys[p])) for p in rng.sample(params, n)]
            found.setdefault("/cases/?" + urlencode(chosen))
    return list(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--root", action="append", required=True, help="NAME=PATH (repeatable)")
    parser.add_argument("--port", type=int, default=8140, help="first port; one per root")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--cache-seconds", type=int, default=0)
    parser.add_argument("--warm-seconds", type=int, default=20)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    keys, published = facet_keys(args.database_url)
    paths = pool(keys, max(1, -(-published // PAGE_SIZE)), args.pool, rng)
    work = Path(tempfile.mkdtemp(prefix="atlas-list-mix-"))
    paths_file = work / "paths.txt"
    paths_file.write_text("".join(f"list {p}\n" for p in paths))
    static = work / "static"
    sides = []
    for i, spec in enumerate(args.root):
        name, _, path = spec.partition("=")
        port = args.port + i
        env = {
            **server_env(args.database_url, port, str(static), args.cache_seconds),
            "WEB_CONCURRENCY": str(args.workers),
            "CACHE_DIR": str(work / f"cache-{name}"),
        }
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=path, env=env, check=True, timeout=300,
        )  # fmt: skip
        sides.append((name, Path(path).resolve(), port, env))
    print(f"pool: {len(paths)} distinct URLs; {published:,} published cases", flush=True)
    results = []
    servers = [Gunicorn(root, port, env) for _, root, port, env in sides]
    for server in servers:
        server.__enter__()
    try:
        for (name, _, port, _), _server in zip(sides, servers, strict=True):
            # Workers' first requests (imports, the case index's build) are not measured.
            run_wrk(port, paths_file, 2, 1, args.warm_seconds)
            if get(port, paths[0], timeout=60)[0] != 200:
                raise SystemExit(f"{name}: {paths[0]} did not answer 200")
        for number in range(args.rounds):
            order = sides if number % 2 == 0 else sides[::-1]
            for name, _, port, _ in order:
                load = os.getloadavg()[0]
                result = run_wrk(port, paths_file, args.connections, 2, args.duration)
                row = {
                    "side": name,
                    "round": number,
                    "load": round(load, 2),
                    "rps": round(result["requests"] / (result["duration_us"] / 1e6), 1),
                    "p50_ms": result["p50_ms"],
                    "p95_ms": result.get("p95_ms"),
                    "p99_ms": result["p99_ms"],
                    "errors": sum(result[k] for k in result if k.startswith("err_"))
                    + result["status_4xx"]
                    + result["status_5xx"],
                }
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        for server in servers:
            server.__exit__(None, None, None)
    print("\n| side | req/s | p50 ms | p95 ms | p99 ms | load average |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, *_ in sides:
        rows = [r for r in results if r["side"] == name]

        def span(key, rows=rows):
            values = [r[key] for r in rows]
            return f"{min(values):.0f}–{max(values):.0f} (median {statistics.median(values):.0f})"

        print(
            f"| {name} | {span('rps')} | {span('p50_ms')} | {span('p95_ms')} | {span('p99_ms')} "
            f"| {min(r['load'] for r in rows):.1f}–{max(r['load'] for r in rows):.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
