"""Page latency while whole-list extracts run: with and without the per-host cap.

    DATABASE_URL=... python bench/extract_cap.py [--seconds 30] [--port 8132]

Needs published cases (manage.py generate_synthetic_cases --count 20000). For each
setting of EXTRACT_MAX_CONCURRENT given (default: 0 = no cap, then 1), starts gunicorn
with the production settings (2 workers) on loopback (-1: the baseline, with no
downloads at all), then for ``--seconds``:

* ``--downloaders`` threads (8) each download /extract.zip and /cases.json in turn,
  as fast as they can (a refused one waits 0.5 s, not the Retry-After, to press harder);
* one visitor thread opens the pages below one after another and times each.

Prints, per setting, the visitor's page latencies (median, p95, max) and how many
downloads finished and were refused.
"""

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _server import percentile, server_env, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
# Not /chapters/, which lists every published case (14-15 s at 20,000 cases with no
# download running at all): a defect of its own, not what this measures.
PAGES = ["/", "/cases/", "/cases/?country=SE", "/countries/", "/countries/SE/", "/matrix/"]
DOWNLOADS = ["/extract.zip", "/cases.json"]


def _get(port: int, path: str, timeout: float = 300) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 16):
            size += len(chunk)
        return response.status, size
    finally:
        conn.close()


def run(port: int, seconds: float, downloaders: int) -> dict:
    stop = threading.Event()
    lock = threading.Lock()
    tally = {"done": 0, "refused": 0, "other": 0}
    latencies: list[tuple[float, str]] = []
    errors: list[str] = []

    def download(offset: int) -> None:
        n = offset
        while not stop.is_set():
            status, _ = _get(port, DOWNLOADS[n % len(DOWNLOADS)])
            n += 1
            with lock:
                key = {200: "done", 503: "refused"}.get(status, "other")
                tally[key] += 1
            if status == 503:
                time.sleep(0.5)

    def visit() -> None:
        n = 0
        while not stop.is_set():
            path = PAGES[n % len(PAGES)]
            n += 1
            started = time.perf_counter()
            status, _ = _get(port, path, timeout=120)
            latencies.append((time.perf_counter() - started, path))
            if status != 200:
                errors.append(f"{path}: {status}")

    threads = [threading.Thread(target=download, args=(i,)) for i in range(downloaders)]
    threads.append(threading.Thread(target=visit))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "errors": errors, **tally}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8132)
    parser.add_argument("--downloaders", type=int, default=8)
    parser.add_argument(
        "--caps",
        default="-1,0,1",
        help="EXTRACT_MAX_CONCURRENT values, in order; -1: no downloads at all (the baseline)",
    )
    args = parser.parse_args()
    database_url = os.environ["DATABASE_URL"]
    print(
        "| EXTRACT_MAX_CONCURRENT | page p50 | page p95 | page max | pages | downloads done "
        "| refused (503) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        static = Path(scratch) / "static"
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=server_env(database_url, args.port, str(static), 600),
            check=True,
        )
        for cap in [int(c) for c in args.caps.split(",")]:
            env = server_env(database_url, args.port, str(static), 600)
            env.update(
                EXTRACT_MAX_CONCURRENT=str(max(cap, 0)),
                EXTRACT_SLOTS_DIR=str(Path(scratch) / f"slots-{cap}"),
                CACHE_DIR=str(Path(scratch) / f"cache-{cap}"),
            )
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
                cwd=ROOT,
                env=env,
            )
            try:
                wait_until_up(args.port, time.monotonic() + 60)
                for path in PAGES:  # warm: the counts cached, as in production
                    _get(args.port, path)
                downloaders = 0 if cap < 0 else args.downloaders
                result = run(args.port, args.seconds, downloaders)
            finally:
                server.terminate()
                server.wait(timeout=60)
            ms = [1000 * x for x, _ in result["latencies"]] or [float("nan")]
            label = {-1: "no downloads", 0: "no cap"}.get(cap, str(cap))
            print(
                f"| {label} | {percentile(ms, 0.5):.0f} ms | {percentile(ms, 0.95):.0f} ms "
                f"| {max(ms):.0f} ms | {len(ms)} | {result['done']} | {result['refused']} |",
                flush=True,
            )
            slowest = sorted(result["latencies"], reverse=True)[:3]
            print("  slowest:", ", ".join(f"{p} {1000 * x:.0f} ms" for x, p in slowest), flush=True)
            if result["errors"] or result["other"]:
                print(f"errors: {result['errors'][:5]} other statuses: {result['other']}")


if __name__ == "__main__":
    main()
