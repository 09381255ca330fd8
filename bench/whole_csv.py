"""Time the whole /cases.csv of servers already running, interleaved round by round.

    python bench/whole_csv.py --server before=8130 --server after=8131 \\
        --server datasette=8132:/cases/cases.csv?_stream=on&_size=max --rounds 6

Each server (``name=port[:path]``, path ``/cases.csv`` by default) is a gunicorn with
the production settings (start one per checkout: ``bench/_server.py``'s environment)
or a Datasette. Per download: seconds to the last byte, rows per second (the atlas's
``X-Row-Count``, or ``--rows``), the largest growth of the serving processes' resident
memory meanwhile (the processes listening on that port's command line or environment,
sampled every 20 ms), the load average, and the SHA-256 of the body with the server's
own ``127.0.0.1:<port>/`` written as ``HOST/``, so that two atlases on two ports give
the same hash when their bytes are the same. The order rotates every round.
"""

import argparse
import hashlib
import http.client
import os
import statistics
import threading
import time
from pathlib import Path


def _serving_pids(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        bind = f"GUNICORN_BIND=127.0.0.1:{port}".encode()
        if (b"gunicorn" in command and bind in environ) or (
            b"datasette\x00serve" in command and f"\x00{port}\x00".encode() in command
        ):
            pids.append(int(entry.name))
    return pids


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def download(port: int, path: str, rows: int) -> dict:
    pids = _serving_pids(port)
    base = _rss_kb(pids)
    peak, done = [base], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_kb(pids))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    load = os.getloadavg()[0]
    start = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path)
    response = connection.getresponse()
    parts = []
    while chunk := response.read(1 << 16):
        parts.append(chunk)
    seconds = time.monotonic() - start
    done.set()
    watcher.join()
    body = b"".join(parts)
    count = int(response.getheader("X-Row-Count") or rows)
    digest = hashlib.sha256(body.replace(f"127.0.0.1:{port}/".encode(), b"HOST/"))
    return {
        "seconds": seconds,
        "rows_per_second": count / seconds,
        "rss_growth_mb": (peak[0] - base) / 1024,
        "load": load,
        "bytes": len(body),
        "sha256": digest.hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", action="append", required=True, help="name=port[:path]")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--rows", type=int, default=0, help="rows, for a server without X-Row-Count"
    )
    args = parser.parse_args()
    servers = []
    for spec in args.server:
        name, _, rest = spec.partition("=")
        port, _, path = rest.partition(":")
        servers.append((name, int(port), path or "/cases.csv"))
    results: dict[str, list[dict]] = {name: [] for name, _, _ in servers}
    for round_ in range(args.rounds):
        order = servers[round_ % len(servers) :] + servers[: round_ % len(servers)]
        for name, port, path in order[::-1] if round_ % 2 else order:
            found = download(port, path, args.rows)
            results[name].append(found)
            print(
                f"{name:10} {found['seconds']:6.2f} s {found['rows_per_second']:8.0f} rows/s "
                f"RSS +{found['rss_growth_mb']:5.1f} MB  load {found['load']:5.2f}  "
                f"{found['bytes']} B  {found['sha256']}",
                flush=True,
            )
    print()
    for name, runs in results.items():
        seconds = [r["seconds"] for r in runs]
        rates = [r["rows_per_second"] for r in runs]
        print(
            f"{name:10} {min(seconds):.2f}–{max(seconds):.2f} s (median "
            f"{statistics.median(seconds):.2f}), {min(rates):,.0f}–{max(rates):,.0f} rows/s, "
            f"RSS growth ≤ {max(r['rss_growth_mb'] for r in runs):.1f} MB, load "
            f"{min(r['load'] for r in runs):.1f}–{max(r['load'] for r in runs):.1f}"
        )


if __name__ == "__main__":
    main()
