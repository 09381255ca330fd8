"""CPU per request of each kind of page, on the web tier and on the database, cold and warm.

The basis of the capacity estimates in docs/perf/replicas.md. It runs the production
server (gunicorn, production settings) with a streaming replica of the local cluster
(scripts/pg_replica.py) serving every public read, so the replica's backends work for
this server alone. For each kind of page of the load test's mix (bench/load.py) it
requests ``--paths`` paths one at a time, each twice: first with nothing cached for it
(its counts are computed), then again (served from the cache where the page caches).
Around each request it reads from /proc the CPU seconds of the gunicorn processes and
of the replica's backends (live ones connected to the atlas database, plus those that
have exited, such as an extract's extra connections). CPU time, unlike latency, hardly
changes with what else runs on the machine, which is why it is what is measured.

    .venv/bin/python bench/costs.py --database-url postgres://postgres@127.0.0.1:5432/atlas_ops_load
"""

import argparse
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import load

ROOT = load.ROOT
sys.path.insert(0, str(ROOT))
from scripts.pg_replica import StreamingReplica  # noqa: E402


def backend_cpu(postmaster: int, database: str) -> float:
    """CPU seconds of the cluster's backends for ``database``: live ones, and every
    child the postmaster has reaped (backends that ended; its background processes run
    for the cluster's whole life, so they are not among them)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        if pid == postmaster:
            total += cutime + cstime
        elif ppid == postmaster and f" {database} " in cmdline:
            total += utime + stime
    return total / ticks


def measure(port, server_pid, postmaster, database, path) -> tuple:
    web = load.cpu_seconds(server_pid)
    db = backend_cpu(postmaster, database)
    try:
        status, _, ms = load.get(port, path, timeout=300)
    except TimeoutError:
        status, ms = "timeout", 300_000.0
    time.sleep(0.05)  # let the last statement's CPU be accounted
    return (
        status,
        1000 * (load.cpu_seconds(server_pid) - web),
        1000 * (backend_cpu(postmaster, database) - db),
        ms,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, default=8403)
    parser.add_argument("--replica-port", type=int, default=5433)
    parser.add_argument("--paths", type=int, default=10, help="paths per kind of page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/perf/costs.md")
    args = parser.parse_args()
    load.refuse_busy_port(args.port)
    rng = random.Random(args.seed)
    database = args.database_url.rsplit("/", 1)[-1]
    work = Path(tempfile.mkdtemp(prefix="atlas-costs-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": load.HOST,
        "STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"{load.HOST}:{args.port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "CACHE_DIR": str(work / "cache"),
    }
    load.manage(env, "collectstatic", "--noinput", "-v0")
    rows: dict[str, list] = {}
    with StreamingReplica(port=args.replica_port) as replica:
        env["DATABASE_REPLICA_URLS"] = replica.url(database)
        postmaster = int((replica.data / "postmaster.pid").read_text().split()[0])
        log = (work / "server.log").open("wb")
        server = subprocess.Popen(
            [ROOT / "bin/docker-entrypoint.sh"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            load.wait_for(args.port, server, work)
            kinds = load.build_mix(args.port, env, rng)
            for kind, paths in kinds.items():
                chosen = rng.sample(paths, min(args.paths, len(paths)))
                for path in chosen:
                    cold = measure(args.port, server.pid, postmaster, database, path)
                    warm = measure(args.port, server.pid, postmaster, database, path)
                    rows.setdefault(kind, []).append((cold, warm))
                print(kind, rows[kind], flush=True)
        finally:
            load.stop_gunicorn(server)
            log.close()
    text = report(args, rows)
    args.out.write_text(text)
    print(text)
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


def report(args, rows) -> str:
    def mean(values):
        return sum(values) / len(values)

    shares = {kind: load.MIX[kind] for kind in rows}
    total_share = sum(shares.values())
    lines = [
        "# CPU per request, web tier and database, cold and warm",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `bench/costs.py` "
        f"(load average {os.getloadavg()[0]:.1f} at the end: other work shared the machine; "
        "CPU seconds move far less with that than latencies do). gunicorn (production "
        "settings, 2 workers) with every public read on a streaming replica; each path "
        f"requested twice, one request at a time ({args.paths} paths per kind).",
        "",
        "| kind | share of the mix | web ms, cold | database ms, cold | web ms, warm "
        "| database ms, warm | wall ms, cold / warm | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    mix = {"web cold": 0.0, "db cold": 0.0, "web warm": 0.0, "db warm": 0.0}
    for kind, samples in rows.items():
        cold = [c for c, _ in samples]
        warm = [w for _, w in samples]
        values = {
            "web cold": mean([c[1] for c in cold]),
            "db cold": mean([c[2] for c in cold]),
            "web warm": mean([w[1] for w in warm]),
            "db warm": mean([w[2] for w in warm]),
        }
        share = shares[kind] / total_share
        for key, value in values.items():
            mix[key] += share * value
        statuses = sorted({str(s[0]) for pair in samples for s in pair})
        lines.append(
            f"| {kind} | {100 * share:.0f} % | {values['web cold']:.0f} | {values['db cold']:.0f} "
            f"| {values['web warm']:.0f} | {values['db warm']:.0f} "
            f"| {mean([c[3] for c in cold]):.0f} / {mean([w[3] for w in warm]):.0f} "
            f"| {', '.join(statuses)} |"
        )
    lines.append(
        f"| **the mix** | 100 % | {mix['web cold']:.0f} | {mix['db cold']:.0f} "
        f"| {mix['web warm']:.0f} | {mix['db warm']:.0f} | | |"
    )
    lines += [
        "",
        "Reproduce: `.venv/bin/python bench/costs.py --database-url "
        "postgres://postgres@127.0.0.1:5432/atlas_ops_load` (100,000 cases, as for "
        "bench/load.py).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
