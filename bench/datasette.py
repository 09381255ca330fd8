"""The atlas side by side with Datasette on the same cases, end to end (issue 18).

1. Prepares the PostgreSQL database as bench/load.py does (migrate, the book,
   ``generate_synthetic_cases``) unless it holds the synthetic cases asked for, then
   ``VACUUM ANALYZE``.
2. Starts the atlas (gunicorn, production settings, a fresh file cache) and saves its
   own ``/cases.csv``.
3. Loads that CSV into SQLite with sqlite-utils (an index on every facet column, an
   FTS5 index on the text columns) and serves it with Datasette (``suggest_facets``
   off, page size 50, time limits raised so no facet is dropped for being slow).
   Datasette and sqlite-utils come from the ``bench`` extra of pyproject.toml,
   installed into their own virtualenv (``--bench-venv``, created when missing).
4. Per scenario, a pool of 2,000–3,000 distinct URLs for each side, drawn at random
   from the CSV's own values (so a cache of a few URLs cannot win); wrk picks lines
   at random (bench/load_mix.lua) with 8 and 32 connections, the two servers in turn
   and the order alternating round by round (A/B/B/A…), for each gunicorn worker count.
5. Times the whole ``/cases.csv`` against Datasette's streamed CSV (rows per second,
   the server's memory growth) and one cold request with three filters (the median of
   20 distinct URLs, one at a time).
6. Writes the results as JSON (``--results``) and the table between the markers of
   docs/performance.md; ``--before FILE`` puts an earlier run's figures beside them.

The machine's load average is recorded with every run: on a shared machine only the
ratios within one run mean something. Traffic stays on 127.0.0.1. Example::

    python bench/datasette.py --database-url postgres://postgres@127.0.0.1:5432/atlas_bench_100k \\
        --port 8180 --datasette-port 8181 --results /tmp/side-by-side.json
"""

import argparse
import csv
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from _server import server_env
from facets import create_postgres_database
from load import Gunicorn, get, manage, prepare, refuse_busy_port, run_wrk

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MARKERS = ("<!-- bench/datasette.py: start -->", "<!-- bench/datasette.py: end -->")

# The atlas's facet parameters and the CSV columns that hold the same codes.
FILTERS = {
    "country": "countries",
    "welfare_tradition": "welfare_traditions",
    "world_region": "world_regions",
    "policy_field": "policy_fields",
    "provider_type": "provider_types",
    "participation_form": "participation_forms",
    "level": "levels",
    "phase": "phases",
    "participation_dimension": "participation_dimensions",
}
# Datasette's facets: the atlas's ten term facets, and its outcome facet as the first
# outcome dimension's direction column (the CSV has one column per dimension).
FACET_COLUMNS = [*FILTERS.values(), "chapter_number"]
# The lighter set-up of the issue: six facets and exact matches.
LIGHT_FACETS = ["countries", "policy_fields", "provider_types", "participation_forms", "levels"]
LIGHT_FACETS.append("chapter_number")
TEXT_COLUMNS = ["title", "summary", "participants", "locality", "coder_note"]
WORD = re.compile(r"[a-z]{5,}")
SCENARIOS = {
    "list": "list, no filter, all facets",
    "filtered": "list with 1–3 random filters",
    "light": "list with 1–3 filters, Datasette light (6 facets, exact match)",
    "search": "search (a word from the data) + 0–2 filters",
    "case": "case page",
}


def ensure_bench_venv(venv: Path) -> Path:
    """The virtualenv holding the ``bench`` extra (Datasette, sqlite-utils), made if missing.

    Its own venv: Datasette's pins need not agree with the app's.
    """
    if not (venv / "bin/datasette").exists() or not (venv / "bin/sqlite-utils").exists():
        extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        requirements = extra["optional-dependencies"]["bench"]
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([venv / "bin/pip", "install", "-q", *requirements], check=True)
    return venv


def sqlite_utils(venv: Path, *args: str) -> None:
    subprocess.run([venv / "bin/sqlite-utils", *args], check=True, timeout=1800)


def load_sqlite(venv: Path, csv_path: Path, db: Path, outcome_column: str) -> None:
    db.unlink(missing_ok=True)
    sqlite_utils(venv, "insert", str(db), "cases", str(csv_path), "--csv", "--pk", "id")
    for column in [*FACET_COLUMNS, outcome_column]:
        sqlite_utils(venv, "create-index", str(db), "cases", column)
    sqlite_utils(venv, "enable-fts", str(db), "cases", *TEXT_COLUMNS, "--fts5")
    sqlite_utils(venv, "analyze", str(db))


def read_cases(csv_path: Path) -> tuple[list[dict], str]:
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    outcome = next(name for name in rows[0] if name.startswith("outcome_"))
    return rows, outcome


def values_of(rows: list[dict]) -> dict[str, list[str]]:
    """Each filter's codes as the cases hold them (so every filter is a real one)."""
    found = {param: set() for param in FILTERS}
    for row in rows:
        for param, column in FILTERS.items():
            found[param].update(v for v in row[column].split("|") if v)
    return {param: sorted(values) for param, values in found.items()}


def search_words(rows: list[dict], rng: random.Random, n: int = 300) -> list[str]:
    """Words of the cases' titles and summaries, each found in at least 20 cases."""
    counts: dict[str, int] = {}
    for row in rows:
        for word in set(WORD.findall(f"{row['title']} {row['summary']}".lower())):
            counts[word] = counts.get(word, 0) + 1
    common = sorted(word for word, n_cases in counts.items() if n_cases >= 20)
    return rng.sample(common, min(n, len(common)))


class Mixes:
    """Per scenario, the same requests as the atlas and as Datasette ask them."""

    def __init__(self, rows, outcome_column, rng: random.Random, size: int):
        self.values = values_of(rows)
        self.words = search_words(rows, rng)
        self.rows, self.rng, self.size = rows, rng, size
        facets = [*FACET_COLUMNS, outcome_column]
        self.all_facets = [("_facet", c) for c in facets]
        self.light_facets = [("_facet", c) for c in LIGHT_FACETS]
        self.base = "/cases/cases"

    def _filters(self, low: int, high: int) -> list[tuple[str, str]]:
        params = self.rng.sample(sorted(FILTERS), self.rng.randint(low, high))
        return [(p, self.rng.choice(self.values[p])) for p in params]

    def _datasette(self, filters, extra, facets, exact=False) -> str:
        op = "exact" if exact else "contains"
        query = [(f"{FILTERS[p]}__{op}", v) for p, v in filters] + extra + facets
        query.append(("_size", "50"))
        return f"{self.base}?{urlencode(query)}"

    @staticmethod
    def _atlas(filters, extra=()) -> str:
        return "/cases/?" + urlencode([*extra, *filters]) if filters or extra else "/cases/"

    def pool(self, scenario: str) -> list[tuple[str, str]]:
        """(atlas path, Datasette path) pairs, ``size`` distinct ones where possible."""
        found: dict[str, str] = {}
        tries = 0
        while len(found) < self.size and tries < self.size * 20:
            tries += 1
            atlas, datasette = self._pair(scenario)
            found.setdefault(atlas, datasette)
        return list(found.items())

    def _pair(self, scenario: str) -> tuple[str, str]:
        if scenario == "list":
            page = self.rng.randint(1, 2000)
            return (
                f"/cases/?page={page}",
                f"{self.base}?{urlencode([*self.all_facets, ('_next', (page - 1) * 50)])}",
            )
        if scenario in ("filtered", "light"):
            filters = self._filters(1, 3)
            light = scenario == "light"
            facets = self.light_facets if light else self.all_facets
            return self._atlas(filters), self._datasette(filters, [], facets, exact=light)
        if scenario == "search":
            word, filters = self.rng.choice(self.words), self._filters(0, 2)
            return (
                self._atlas(filters, [("q", word)]),
                self._datasette(filters, [("_search", word)], self.all_facets),
            )
        if scenario == "case":
            row = self.rng.choice(self.rows)
            return f"/cases/{quote(row['slug'])}/", f"{self.base}/{row['id']}"
        raise ValueError(scenario)


class Atlas(Gunicorn):
    """gunicorn with the production settings and a fresh file cache."""

    def __init__(self, args, workers: int, work: Path):
        env = {
            **server_env(args.database_url, args.port, str(work / "static"), args.cache_seconds),
            "WEB_CONCURRENCY": str(workers),
            "CACHE_DIR": str(work / f"cache-{workers}-{time.monotonic_ns()}"),
        }
        super().__init__(args.atlas_root, args.port, env)


class Datasette:
    def __init__(self, venv: Path, db: Path, port: int):
        self.port, self.venv, self.db = port, venv, db
        self.process = None

    def __enter__(self):
        settings = {
            "suggest_facets": "off",
            "default_page_size": "50",
            # Datasette drops a facet that takes longer than its limit (200 ms by
            # default): raised, so that it does the same work as the atlas.
            "facet_time_limit_ms": "10000",
            "sql_time_limit_ms": "20000",
            "max_returned_rows": "1000",
        }
        command = [str(self.venv / "bin/datasette"), "serve", str(self.db)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        for name, value in settings.items():
            command += ["--setting", name, value]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/-/versions.json", timeout=2)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        raise SystemExit("Datasette did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # threads still running queued SQL
            self.process.kill()
            self.process.wait(timeout=30)


def rss_mb(pid: int) -> dict[int, float]:
    """Resident memory (MB) of a process and each of its children."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        this, ppid = int(status.parent.name), int(re.search(r"PPid:\s+(\d+)", text).group(1))
        match = re.search(r"VmRSS:\s+(\d+) kB", text)
        if (this == pid or ppid == pid) and match:
            found[this] = int(match.group(1)) / 1024
    return found


def whole_csv(port: int, path: str, pid: int) -> dict:
    """Time one whole-CSV download and the server's largest memory growth meanwhile."""
    before = sum(rss_mb(pid).values())
    peak = [before]
    done = threading.Event()

    def watch():
        while not done.wait(0.05):
            peak[0] = max(peak[0], sum(rss_mb(pid).values()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        status, body, ms = get(port, path, timeout=600)
    finally:
        done.set()
        watcher.join()
    rows = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1  # the header
    return {"status": status, "ms": ms, "rows": rows, "growth_mb": peak[0] - before}


def cold_requests(port: int, paths: list[str]) -> float:
    times = []
    for path in paths:
        status, _, ms = get(port, path, timeout=120)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        times.append(ms)
    return statistics.median(times)


def settle(port: int, path: str, seconds: float = 300) -> None:
    """Wait until the server has worked off what a run left queued.

    A request that wrk gave up on (its 10 s timeout) is still in the server's queue:
    gunicorn reads and answers it, Datasette's SQL threads run it. Without waiting,
    the next run (the other side's, too, on the same cores) pays for the backlog.
    Done when two probes in a row answer within a second.
    """
    deadline, quick = time.monotonic() + seconds, 0
    while quick < 2 and time.monotonic() < deadline:
        try:
            quick = quick + 1 if get(port, path, timeout=seconds)[2] < 1000 else 0
        except OSError:
            quick = 0


def write_paths(paths: list[str], target: Path) -> Path:
    target.write_text("".join(f"x {p}\n" for p in paths))
    return target


def check_pool(port: int, pairs_side: list[str], rng: random.Random) -> None:
    for path in rng.sample(pairs_side, min(5, len(pairs_side))):
        status = get(port, path, timeout=120)[0]
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status} on port {port}")


def run(args) -> dict:
    rng = random.Random(args.seed)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="atlas-datasette-"))
    work.mkdir(parents=True, exist_ok=True)
    venv = ensure_bench_venv(args.bench_venv)
    env = server_env(args.database_url, args.port, str(work / "static"), args.cache_seconds)
    create_postgres_database(args.database_url)
    # Generating 100,000 cases runs statements longer than the production limit.
    prepare({**env, "DATABASE_STATEMENT_TIMEOUT": "0"}, args.count, args.seed)
    manage(env, "dbshell", "--", "-c", "VACUUM ANALYZE")
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=args.atlas_root, env=env, check=True,
    )  # fmt: skip
    csv_path, db = work / "cases.csv", work / "cases.db"
    if not (args.reuse and csv_path.exists() and db.exists()):
        with Atlas(args, 2, work):
            status, body, _ = get(args.port, "/cases.csv", timeout=600)
            if status != 200:
                raise SystemExit(f"/cases.csv: HTTP {status}")
            csv_path.write_bytes(body)
        rows, outcome_column = read_cases(csv_path)
        print(f"loading {len(rows):,} cases into SQLite…", flush=True)
        load_sqlite(venv, csv_path, db, outcome_column)
    rows, outcome_column = read_cases(csv_path)
    mixes = Mixes(rows, outcome_column, rng, args.pool)
    pools = {name: mixes.pool(name) for name in args.scenarios}
    cold = [mixes._filters(3, 3) for _ in range(20)]
    cold_atlas = [mixes._atlas(f) for f in cold]
    cold_datasette = [mixes._datasette(f, [], mixes.all_facets) for f in cold]
    results = {
        "started": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "commit": commit_of(args.atlas_root),
        "cases": len(rows),
        "duration": args.duration,
        "pool": {name: len(pool) for name, pool in pools.items()},
        "runs": [],
        "csv": {},
        "cold": {},
        "memory": {},
    }
    with Datasette(venv, db, args.datasette_port) as datasette:
        for workers in args.workers:
            with Atlas(args, workers, work) as atlas:
                for pool in pools.values():
                    check_pool(atlas.port, [a for a, _ in pool], rng)
                    check_pool(datasette.port, [d for _, d in pool], rng)
                sides = [("atlas", atlas.port, 0), ("datasette", datasette.port, 1)]
                probes = {atlas.port: "/health/", datasette.port: f"{mixes.base}.json?_size=1"}
                # The servers' first requests (imports, caches of look-ups) are not measured.
                for _side, port, i in sides:
                    paths = [pair[i] for pool in pools.values() for pair in pool]
                    run_wrk(port, write_paths(paths, work / "warm.txt"), 4, 2, 5)
                    settle(port, probes[port])
                for number in range(args.rounds):
                    for name, pool in pools.items():
                        for connections in args.connections:
                            order = sides if (number + connections) % 2 == 0 else sides[::-1]
                            for side, port, i in order:
                                paths = write_paths([pair[i] for pair in pool], work / "p.txt")
                                load = os.getloadavg()[0]
                                result = run_wrk(port, paths, connections, 2, args.duration)
                                settle(port, probes[port])
                                row = summarise(result, side, name, workers, connections, load)
                                results["runs"].append(row)
                                print(json.dumps(row), flush=True)
                                save(results, args)
                pids = rss_mb(atlas.process.pid)
                master = pids.pop(atlas.process.pid, 0)
                results["memory"][str(workers)] = {
                    "master_mb": master,
                    "workers_mb": sorted(pids.values()),
                }
                results["csv"][f"atlas-{workers}"] = whole_csv(
                    atlas.port, "/cases.csv", atlas.process.pid
                )
                results["cold"][f"atlas-{workers}"] = cold_requests(atlas.port, cold_atlas)
                save(results, args)
        results["csv"]["datasette"] = whole_csv(
            datasette.port, "/cases/cases.csv?_stream=on&_size=max", datasette.process.pid
        )
        results["cold"]["datasette"] = cold_requests(datasette.port, cold_datasette)
        results["memory"]["datasette"] = sum(rss_mb(datasette.process.pid).values())
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return results


def save(results: dict, args) -> None:
    """Keep what is measured so far: a run stopped half-way still reports it."""
    if args.results:
        args.results.write_text(json.dumps(results, indent=1))


def summarise(result: dict, side, scenario, workers, connections, load) -> dict:
    seconds = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
    return {
        "side": side,
        "scenario": scenario,
        "workers": workers,
        "connections": connections,
        "rps": result["requests"] / seconds,
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "p99_ms": result["p99_ms"],
        "non_2xx": result["status_3xx"] + result["status_4xx"] + result["status_5xx"],
        "errors": errors,
        "load": load,
    }


def commit_of(root: Path) -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    )
    return found.stdout.strip() or "(not a git checkout)"


def _span(values: list[float], digits: int = 0) -> str:
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    fmt = f"{{:.{digits}f}}"
    low, high = fmt.format(low), fmt.format(high)
    return low if low == high else f"{low}–{high}"


def table(results: dict, before: dict | None) -> list[str]:
    """Per scenario and worker count: req/s of each side (range over rounds and connections)."""
    head = "| scenario | workers | connections | atlas req/s | Datasette req/s | ratio "
    head += "| atlas p95 | atlas p99 |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if before:
        head += " ratio before |"
        rule += "---:|"
    lines = [head, rule]
    for scenario, label in SCENARIOS.items():
        for workers in sorted({r["workers"] for r in results["runs"]}):
            for connections in sorted({r["connections"] for r in results["runs"]}):
                cells = _cells(results, scenario, workers, connections)
                if cells is None:
                    continue
                atlas, datasette, ratio, p95, p99 = cells
                line = (
                    f"| {label} | {workers} | {connections} | {atlas} | {datasette} "
                    f"| {ratio} | {p95} | {p99} |"
                )
                if before:
                    old = _cells(before, scenario, workers, connections)
                    line += f" {old[2] if old else 'n/a'} |"
                lines.append(line)
    return lines


def _cells(results, scenario, workers, connections):
    def pick(side):
        return [
            r for r in results["runs"]
            if (r["side"], r["scenario"], r["workers"], r["connections"])
            == (side, scenario, workers, connections)
        ]  # fmt: skip

    atlas, datasette = pick("atlas"), pick("datasette")
    if not atlas or not datasette:
        return None
    ratios = [a["rps"] / d["rps"] for a, d in zip(atlas, datasette, strict=False) if d["rps"]]
    # A side that answered nothing within wrk's timeout has no ratio, only a note.
    silent = sum(1 for d in datasette if not d["rps"])
    ratio = f"{_span(ratios, 2)}×" if ratios else ""
    if silent:
        ratio += f" (Datasette answered nothing in {silent} of {len(datasette)} runs)"
    return (
        _span([r["rps"] for r in atlas], 1),
        _span([r["rps"] for r in datasette], 1),
        ratio.strip(),
        # Runs recorded before p95 was (an earlier --before file) have none.
        f"{_span([r['p95_ms'] for r in atlas if 'p95_ms' in r])} ms",
        f"{_span([r['p99_ms'] for r in atlas])} ms",
    )


def report(results: dict, before: dict | None, args) -> str:
    loads = [r["load"] for r in results["runs"]]
    errors = sum(r["errors"] + r["non_2xx"] for r in results["runs"] if r["side"] == "atlas")
    lines = [
        f"Measured {results['started']} on commit `{results['commit']}` with "
        "`bench/datasette.py`"
        + (f" (before: {before['started']}, commit `{before['commit']}`)" if before else "")
        + f": {results['cases']:,} published cases; wrk {results['duration']} s per run, "
        "sides alternating; URL pools of "
        + ", ".join(f"{n:,} ({s})" for s, n in results["pool"].items())
        + f" distinct URLs. Load average during the runs {min(loads):.1f}–{max(loads):.1f} "
        f"on {os.cpu_count()} cores (the machine is shared: read the ratios, not the "
        f"absolute rates). Atlas errors and non-2xx answers: {errors}.",
        "",
        *table(results, before),
        "",
        "| whole CSV | rows | seconds | rows/s | server memory growth |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, found in results["csv"].items():
        lines.append(
            f"| {name} | {found['rows']:,} | {found['ms'] / 1000:.2f} "
            f"| {found['rows'] / (found['ms'] / 1000):,.0f} | {found['growth_mb']:.0f} MB |"
        )
    lines += ["", "One cold request with three filters (median of 20 distinct URLs, in turn): "]
    lines[-1] += ", ".join(f"{name} {ms:.0f} ms" for name, ms in results["cold"].items()) + "."
    memory = results["memory"]
    for workers in (k for k in memory if k != "datasette"):
        found = memory[workers]
        lines.append(
            f"Memory after the runs, {workers} workers: master {found['master_mb']:.0f} MB, "
            f"workers {', '.join(f'{mb:.0f}' for mb in found['workers_mb'])} MB."
        )
    if "datasette" in memory:
        lines.append(f"Datasette: {memory['datasette']:.0f} MB.")
    return "\n".join(lines)


def write_into(doc: Path, text: str) -> None:
    start, end = MARKERS
    current = doc.read_text() if doc.exists() else ""
    if start in current:
        head, rest = current.split(start, 1)
        current = head + start + "\n" + text + "\n" + end + rest.split(end, 1)[1]
    else:
        current += f"\n## Side by side with Datasette\n\n{start}\n{text}\n{end}\n"
    doc.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… (your own database)")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8180)
    parser.add_argument("--datasette-port", type=int, default=8181)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--pool", type=int, default=2500, help="distinct URLs per scenario")
    parser.add_argument("--cache-seconds", type=int, default=600, help="FACET_CACHE_SECONDS")
    parser.add_argument("--atlas-root", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--bench-venv", type=Path, default=Path("/work/venv-bench"))
    parser.add_argument("--workdir", help="keep the CSV and SQLite file here (with --reuse)")
    parser.add_argument("--reuse", action="store_true", help="reuse the workdir's CSV and db")
    parser.add_argument("--results", type=Path, help="write the figures here as JSON")
    parser.add_argument("--before", type=Path, help="an earlier --results file to compare")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs/performance.md")
    parser.add_argument("--report-only", action="store_true", help="render --results again")
    args = parser.parse_args()
    if args.report_only:
        results = json.loads(args.results.read_text())
    else:
        if not shutil.which("wrk"):
            raise SystemExit("wrk is not installed (apt-get install wrk)")
        refuse_busy_port(args.port)
        refuse_busy_port(args.datasette_port)
        results = run(args)
        save(results, args)
    before = json.loads(args.before.read_text()) if args.before else None
    text = report(results, before, args)
    write_into(args.doc, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
