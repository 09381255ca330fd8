"""Load test: the production server on PostgreSQL with 100,000 cases, under wrk.

1. Prepares the database (migrate, load_book, generate_synthetic_cases) unless it
   already holds the synthetic cases asked for.
2. Collects static files into a temporary STATIC_ROOT and starts the production
   entry point (bin/docker-entrypoint.sh: migrate, then gunicorn with production
   settings) on 127.0.0.1 only.
3. Builds a realistic mix of paths from what the running site links to: the case
   list with facet filters, full-text searches, case pages, the home and country
   pages, the matrix and filtered CSV extracts (when those pages exist).
4. Times each kind of page alone (one request at a time), then runs wrk with
   bench/load_mix.lua: a warm-up, then --connections for --duration seconds.
5. Writes the figures to docs/perf/load.md and stops the server.

With ``--replica-port`` a streaming replica of the local cluster is started there
first (scripts/pg_replica.py, removed afterwards), the server reads public pages
from it (DATABASE_REPLICA_URLS), and the report says how much each database served
during the run (``pg_stat_database`` of each cluster).

Every step is bounded in time; traffic goes to 127.0.0.1 only.

    .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/atlas_ops_load
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from _server import wait_until_up

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Share of requests per kind of page (normalised over the kinds the site has).
MIX = {"list": 25, "search": 15, "case": 30, "home": 5, "country": 5, "matrix": 10, "csv": 10}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
SEARCH_WORDS = ["childcare", "housing", "parents", "cooperative", "health care", "elderly"]
SEARCH_WORDS += ["school", "volunteers", "neighbourhood", "social enterprise", "disability"]


def manage(env: dict, *args: str, timeout: int = 3600) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        # Commands print their answers on stdout, where log lines would mix in.
        env={**env, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def prepare(env: dict, count: int, seed: int) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    script = (
        "from casestudies.models import Case; print(Case.objects.filter(is_synthetic=True).count())"
    )
    have = int(manage(env, "shell", "-c", script).strip().splitlines()[-1])
    if have == count:
        print(f"database already holds {have} synthetic cases")
        return
    print(f"loading the book and generating {count} synthetic cases (seed {seed})…", flush=True)
    manage(env, "load_book", "-v0")
    print(manage(env, "generate_synthetic_cases", "--count", str(count), "--seed", str(seed)))


def get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        body = response.read()
        return response.status, body, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def refuse_busy_port(port: int) -> None:
    """Stop before starting a server where another one answers: it would be measured."""
    try:
        get(port, "/health/", timeout=2)
    except OSError:
        return
    raise SystemExit(f"something already answers on port {port}: choose another --port")


def wait_for(port: int, server: subprocess.Popen, work: Path, seconds: float = 90) -> None:
    """Until /health/ answers 200; stops the run if the server exits or never answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if get(port, "/health/")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit(f"the server did not start; see {work / 'server.log'}")
        time.sleep(0.5)


def links(body: bytes, prefix: str) -> list[str]:
    pattern = rb'href="(' + re.escape(prefix.encode()) + rb'[^"]*)"'
    found = {m.decode().replace("&amp;", "&") for m in re.findall(pattern, body)}
    return sorted(found)


def build_mix(port: int, env: dict, rng: random.Random) -> dict[str, list[str]]:
    """Paths per kind of page, harvested from the running site (so filters are real)."""
    _, home, _ = get(port, "/")
    _, case_list, _ = get(port, "/cases/")
    # The facet panels are checkboxes of one form: each (name, value) is a real filter.
    # The results' "compare" checkboxes (name="cases") are not: the list and the extracts
    # ignore them, so a "filter" made of two of them downloaded all 100,000 cases (77 MB)
    # and made an eighth of the mix's CSVs the whole extract (fixed 2026-11-29).
    ticks = re.findall(rb'<input type="checkbox"[^>]*name="(\w+)" value="([^"]+)"', case_list)
    filters = sorted(
        {f"/cases/?{n.decode()}={quote(v.decode())}" for n, v in ticks if n != b"cases"}
    )
    filters += [p for p in links(case_list, "/cases/?") if "page=" not in p]
    filters = rng.sample(filters, min(60, len(filters)))
    script = (
        "from casestudies.models import Case; import random; "
        "slugs = list(Case.objects.published().values_list('slug', flat=True)); "
        "random.Random(1).shuffle(slugs); print('\\n'.join(slugs[:500]))"
    )
    slugs = [w for w in manage(env, "shell", "-c", script).split() if SLUG.fullmatch(w)]
    kinds = {
        "home": ["/"],
        "list": ["/cases/", *[f"/cases/?page={n}" for n in (2, 3, 10, 50)], *filters],
        "search": [f"/cases/?q={quote(word)}" for word in SEARCH_WORDS],
        "case": [f"/cases/{slug}/" for slug in slugs],
        "country": links(home, "/countries/")[:30]
        or links(get(port, "/countries/")[1], "/countries/")[:30],
    }
    if get(port, "/matrix/")[0] == 200:
        _, matrix, _ = get(port, "/matrix/")
        kinds["matrix"] = ["/matrix/", *links(matrix, "/matrix/?")[:20]]
    if filters and get(port, "/cases.csv?" + filters[0].split("?", 1)[1])[0] == 200:
        # Two filters at once, as a researcher downloads a slice; the whole 100,000-row
        # extract is timed alone below, not mixed in at 32 connections.
        pairs = [(rng.choice(filters), rng.choice(filters)) for _ in range(40)]
        kinds["csv"] = [
            "/cases.csv?" + a.split("?", 1)[1] + "&" + b.split("?", 1)[1] for a, b in pairs
        ]
    return {kind: paths for kind, paths in kinds.items() if paths}


def write_paths(kinds: dict[str, list[str]], path: Path, rng: random.Random, lines: int = 2000):
    weights = {kind: MIX[kind] for kind in kinds}
    total = sum(weights.values())
    with path.open("w") as out:
        for kind, weight in weights.items():
            for _ in range(round(lines * weight / total)):
                out.write(f"{kind} {rng.choice(kinds[kind])}\n")
    return {kind: round(100 * weight / total) for kind, weight in weights.items()}


def time_each_kind(port: int, kinds: dict[str, list[str]], rng: random.Random, n: int = 8):
    rows = {}
    for kind, paths in kinds.items():
        sample = [rng.choice(paths) for _ in range(n)]
        results = []
        for path in [sample[0], *sample]:  # the first only warms this kind's code and caches
            try:
                results.append(get(port, path, timeout=60))
            except TimeoutError:
                results.append(("timeout", b"", 60_000.0))
                break  # one page over a minute is answer enough
        results = results[1:] or results
        statuses = sorted({str(status) for status, _, _ in results})
        times = sorted(ms for _, _, ms in results)
        rows[kind] = (statistics.median(times), times[-1], statuses, len(times))
    return rows


def run_wrk(port, paths_file, connections, threads, duration) -> dict:
    env = {**os.environ, "ATLAS_PATHS": str(paths_file), "ATLAS_HOST": HOST}
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "--latency", "-s", str(ROOT / "bench/load_mix.lua"), f"http://{HOST}:{port}/",
    ]  # fmt: skip
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("ATLAS_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{result.stdout}\n{result.stderr}")
    return json.loads(line.removeprefix("ATLAS_RESULT "))


def database_work(url: str, port: int) -> dict[str, int]:
    """Cumulative counters of the database of ``url`` on the cluster at ``port``."""
    from scripts.pg_replica import _psql

    name = url.rsplit("/", 1)[-1]
    row = _psql(
        port,
        "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched, blks_hit + blks_read "
        "FROM pg_stat_database WHERE datname = current_database()",
        db=name,
    )
    transactions, rows, blocks = (int(v) for v in row.split("|"))
    return {"transactions": transactions, "rows read": rows, "blocks read": blocks}


def cpu_seconds(root_pid: int) -> float:
    """CPU time of a process and its children, those still running and those reaped.

    gunicorn's master reaps its workers and the postmaster its backends, so their
    ``cutime``/``cstime`` hold what finished children used (extract helper
    connections, recycled workers).
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        if pid == root_pid:
            total += utime + stime + cutime + cstime
        elif ppid == root_pid:
            total += utime + stime
    return total / ticks


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling, since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_now(server_pid: int, replica) -> dict[str, float]:
    found = {"web (gunicorn)": cpu_seconds(server_pid), "machine": machine_busy_seconds()}
    if replica is not None:
        postmaster = int((replica.data / "postmaster.pid").read_text().split()[0])
        found["replica cluster"] = cpu_seconds(postmaster)
    return found


def cache_kind() -> str:
    if os.environ.get("REDIS_URL"):
        return "Redis (`REDIS_URL`), shared by the workers"
    return "files under `CACHE_DIR` (production default), shared by the workers"


def report(
    args, shares, alone, whole_csv, result, load_before, server_rss, counters=None, cpu=None
) -> str:
    seconds = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    mix = ", ".join(f"{kind} {share} %" for kind, share in shares.items())
    verdict = "met" if errors == 0 and result["status_5xx"] == 0 else "NOT met"
    lines = [
        "# Load test: production server, PostgreSQL, 100,000 cases",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on commit `{commit}`"
        f"{' (plus uncommitted changes)' if dirty else ''} with `bench/load.py` and "
        "`bench/load_mix.lua`.",
        "",
        f"- **Server**: gunicorn {args.workers} sync workers, production settings (DEBUG off, "
        "whitenoise, CSP, structured request logs written to a file), started by "
        "`bin/docker-entrypoint.sh` on 127.0.0.1.",
        f"- **Data**: PostgreSQL, {args.count:,} synthetic published cases (seed {args.seed}) "
        "plus the book's cases.",
        f"- **Load**: wrk, {args.connections} connections, {args.threads} threads, "
        f"{args.duration} s after a {args.warmup} s warm-up; paths drawn at random from a mix "
        f"harvested from the running site: {mix}.",
        f"- **Machine**: {os.cpu_count()} cores shared by PostgreSQL, gunicorn and wrk (load "
        f"average {load_before:.1f} just before the run, the warm-up's own load included; "
        "anything else running on the machine makes these figures a floor, not a capacity).",
        f"- **Cache**: {cache_kind()}.",
        *(
            [
                f"- **Databases**: the primary (port 5432) and one streaming replica of it "
                f"(port {args.replica_port}, `pg_basebackup -R` of the same cluster on the same "
                "machine, made by `scripts/pg_replica.py`); `DATABASE_REPLICA_URLS` sends the "
                "public pages' reads to the replica."
            ]
            if args.replica_port
            else []
        ),
        "",
        "## Result",
        "",
        "| requests | throughput | p50 | p90 | p99 | max | socket errors | non-2xx | 5xx |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {result['requests']:,} | {result['requests'] / seconds:.1f} req/s "
        f"| {result['p50_ms']:.0f} ms | {result['p90_ms']:.0f} ms | {result['p99_ms']:.0f} ms "
        f"| {result['max_ms']:.0f} ms | {errors} "
        f"| {result['status_3xx'] + result['status_4xx'] + result['status_5xx']} "
        f"| {result['status_5xx']} |",
        "",
        f"Target: zero errors and zero 5xx at {args.connections} connections for "
        f"{args.duration} s — **{verdict}**."
        f" Server memory after the run: {server_rss}.",
        "",
        "## Each kind of page alone (one request at a time, before the load)",
        "",
        "| kind | median | slowest | statuses |",
        "| --- | ---: | ---: | --- |",
    ]
    for kind, (median, slowest, statuses, n) in alone.items():
        note = "" if kind in shares else " (left out of the load mix)"
        lines.append(
            f"| {kind}{note} | {median:.0f} ms | {slowest:.0f} ms of {n} | {', '.join(statuses)} |"
        )
    if cpu:
        requests = result["requests"]
        lines += [
            "",
            "## CPU during the measured run",
            "",
            f"From `/proc`: each tier's CPU seconds over the {seconds:.0f} s run, and per "
            f"request ({requests:,} requests). The machine's figure is every process on it "
            "(wrk, the primary, other people's work included).",
            "",
            "| tier | CPU seconds | cores busy on average | CPU ms per request |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, used in cpu.items():
            lines.append(
                f"| {name} | {used:.1f} | {used / seconds:.2f} | {1000 * used / requests:.0f} |"
            )
    if counters:
        lines += [
            "",
            "## What each database did during the measured run",
            "",
            "From each cluster's `pg_stat_database` for the atlas database, before and after "
            "the measured run (the lag checks and wrk's warm-up are not included).",
            "",
            "| database | transactions | rows read | blocks read (cache + disk) |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, counts in counters.items():
            lines.append(
                f"| {name} | {counts['transactions']:,} | {counts['rows read']:,} "
                f"| {counts['blocks read']:,} |"
            )
    if whole_csv:
        status, size, ms = whole_csv
        lines += [
            "",
            f"The whole extract, `/cases.csv` with no filter ({size / 1e6:.1f} MB), "
            f"alone: {ms / 1000:.1f} s, status {status}; it streams, so it is not in the mix.",
        ]
    lines += [
        "",
        "Reproduce (about 10 minutes the first time, most of it generating the cases):",
        "",
        "```sh",
        ".venv/bin/python bench/load.py --database-url "
        "postgres://postgres@127.0.0.1:5432/atlas_ops_load \\",
        f"    --count {args.count} --workers {args.workers} --connections {args.connections} "
        f"--duration {args.duration}"
        + "".join(f" --exclude {k}" for k in args.exclude)
        + (f" --replica-port {args.replica_port}" if args.replica_port else ""),
        "```",
        "",
    ]
    return "\n".join(lines)


def rss_of_tree(pid: int) -> str:
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = int(re.search(r"PPid:\s+(\d+)", text).group(1))
        this = int(status.parent.name)
        if this == pid or ppid == pid:
            match = re.search(r"VmRSS:\s+(\d+) kB", text)
            total += int(match.group(1)) if match else 0
    return f"{total / 1024:.0f} MB resident (master and workers)"


def stop_gunicorn(server: subprocess.Popen) -> None:
    """Stop gunicorn gracefully (workers finish their request), killing it after 40 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()


class Gunicorn:
    """gunicorn with the production settings (gunicorn.conf.py) from ``root`` on ``port``,
    for a ``with`` block; the benchmarks that compare checkouts start one per side."""

    def __init__(self, root: Path, port: int, env: dict):
        self.root, self.port, self.env = root, port, env
        self.process = None

    def __enter__(self):
        refuse_busy_port(self.port)
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=self.root, env=self.env
        )
        wait_until_up(self.port, time.monotonic() + 90)
        return self

    def __exit__(self, *exc):
        stop_gunicorn(self.process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… (your own database)")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8402)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/perf/load.md")
    parser.add_argument(
        "--replica-port", type=int, default=None,
        help="Start a streaming replica of the local cluster on this port and read from it.",
    )  # fmt: skip
    parser.add_argument(
        "--exclude", action="append", default=[], choices=sorted(MIX),
        help="Time this kind of page alone but leave it out of the load mix (repeatable).",
    )  # fmt: skip
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    refuse_busy_port(args.port)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="atlas-load-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"{HOST}:{args.port}",
        "WEB_CONCURRENCY": str(args.workers),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        # A cold cache for every run (the files would otherwise outlive it).
        "CACHE_DIR": str(work / "cache"),
    }
    prepare(env, args.count, args.seed)
    manage(env, "collectstatic", "--noinput", "-v0")
    replica = None
    if args.replica_port:
        sys.path.insert(0, str(ROOT))
        from scripts.pg_replica import StreamingReplica

        replica = StreamingReplica(port=args.replica_port)
        replica.__enter__()
        database = args.database_url.rsplit("/", 1)[-1]
        env["DATABASE_REPLICA_URLS"] = replica.url(database)
        print(f"streaming replica on port {args.replica_port}", flush=True)
    counters = cpu = None
    log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [ROOT / "bin/docker-entrypoint.sh"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        wait_for(args.port, server, work)
        kinds = build_mix(args.port, env, rng)
        mixed = {kind: paths for kind, paths in kinds.items() if kind not in args.exclude}
        shares = write_paths(mixed, work / "paths.txt", rng)
        print("mix:", shares, flush=True)
        alone = time_each_kind(args.port, kinds, rng)
        whole_csv = None
        if "csv" in kinds:
            status, body, ms = get(args.port, "/cases.csv", timeout=300)
            whole_csv = (status, len(body), ms)
        print("alone:", alone, flush=True)
        run_wrk(args.port, work / "paths.txt", 8, 1, args.warmup)
        load_before = os.getloadavg()[0]
        ports = {"primary": 5432, "replica": args.replica_port} if replica else {}
        before = {name: database_work(args.database_url, port) for name, port in ports.items()}
        cpu_before = cpu_now(server.pid, replica)
        result = run_wrk(
            args.port, work / "paths.txt", args.connections, args.threads, args.duration
        )
        cpu_after = cpu_now(server.pid, replica)
        cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
        if replica:
            # Idle backends report their last statistics within 10 s (PostgreSQL 15).
            time.sleep(11)
            after = {name: database_work(args.database_url, port) for name, port in ports.items()}
            counters = {
                name: {key: after[name][key] - before[name][key] for key in after[name]}
                for name in ports
            }
        server_rss = rss_of_tree(server.pid)
        print(json.dumps(result), flush=True)
    finally:
        stop_gunicorn(server)
        log.close()
        if replica is not None:
            replica.__exit__(None, None, None)
    text = report(args, shares, alone, whole_csv, result, load_before, server_rss, counters, cpu)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if result["status_5xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
