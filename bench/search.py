"""Search latency before and after a change, measured interleaved (a shared machine drifts).

Runs the case list's search scenario (a common word and two filters, the facets
benchmark's "search + filters") against two checkouts, each with its own
database, through gunicorn with the production settings: round after round,
each version in turn, with the facet-count cache off ("cold": every request
counts) and on ("cached": repeats come from the count cache). Prints each
version's median and p95 over all rounds, per cache mode. Not a test. Example::

    python bench/search.py --rounds 4 \\
        before=/tmp/atlas-main=postgres://postgres@127.0.0.1:5432/atlas_bench_before \\
        after=.=postgres://postgres@127.0.0.1:5432/atlas_bench_after
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _server import percentile, server_env, wait_until_up

PYTHON = sys.executable
PATH = "/cases/?q=parents&country=DE&policy_field=childcare-preschool"


def get(port: int, path: str) -> float:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return (time.perf_counter() - started) * 1000


def run_round(root: Path, url: str, static: str, port: int, cache: int, args) -> list[float]:
    env = server_env(url, port, static, cache)
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=root, env=env
    )
    try:
        wait_until_up(port, time.monotonic() + 60)
        for _ in range(args.warmup):
            get(port, PATH)
        return [get(port, PATH) for _ in range(args.requests)]
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs=2, help="name=checkout=database_url")
    parser.add_argument("--port", type=int, default=8114)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--requests", type=int, default=25)
    args = parser.parse_args()
    versions = []
    for spec in args.versions:
        name, root, url = spec.split("=", 2)
        static = tempfile.mkdtemp(prefix=f"atlas-search-{name}-")
        env = server_env(url, args.port, static, 0)
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=root,
            env=env,
            check=True,
        )
        versions.append((name, Path(root).resolve(), url, static))
    timings = {(name, cache): [] for name, *_ in versions for cache in (0, 600)}
    for number in range(args.rounds):
        for cache in (0, 600):
            order = versions if number % 2 == 0 else versions[::-1]
            for name, root, url, static in order:
                timings[name, cache] += run_round(root, url, static, args.port, cache, args)
    print(f"Scenario: {PATH}; {args.rounds} rounds x {args.requests} requests per version")
    print("| Version | Count cache | Median (ms) | p95 (ms) |")
    print("|---|---|---:|---:|")
    for (name, cache), values in timings.items():
        mode = "on (cached)" if cache else "off (cold)"
        print(
            f"| {name} | {mode} | {statistics.median(values):.0f} "
            f"| {percentile(values, 0.95):.0f} |"
        )


if __name__ == "__main__":
    main()
