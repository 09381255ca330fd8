"""A throw-away streaming replica of the local PostgreSQL cluster, for tests and benchmarks.

    with StreamingReplica(port=5433) as replica:   # pg_basebackup -R, then a hot standby
        ...                                         # replica.url("atlas") for DATABASE_REPLICA_URLS

or, around any command (the replica's port is in REPLICA_PORT)::

    python scripts/pg_replica.py --port 5433 -- python bench/load.py --replica-port 5433 ...

It lives in a new temporary directory and is stopped and removed however the run
ends: normally, on an exception, on Ctrl-C or SIGTERM, and, if the process was
killed outright, by the next run (which finds the leftover through a note in the
temporary folder and stops it before starting its own).

What it needs from the primary, and ensures where it safely can:

- ``wal_level`` replica or logical and ``max_wal_senders`` > 0 (PostgreSQL's defaults;
  changing either needs a restart, so a cluster without them is refused, not changed);
- a ``pg_hba.conf`` rule for replication connections from 127.0.0.1. Debian's default
  file has rules for ordinary connections only. If the loopback is already trusted
  for ordinary connections (``host all ... 127.0.0.1/32 trust``, as on CI and
  development machines), the same rule is added for replication and the primary is
  *reloaded* (never restarted, so nothing connected to it notices); otherwise the
  script stops and says which line to add.

No replication slot is created (``pg_basebackup`` uses a temporary one): a forgotten
slot would make the primary keep its WAL for ever.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
NOTE = Path(tempfile.gettempdir())
# Settings a hot standby must have at least as high as its primary's.
AT_LEAST_PRIMARY = [
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
]


class ReplicaError(RuntimeError):
    pass


def _psql(port: int, sql: str, *, user: str = "postgres", db: str = "postgres", **extra) -> str:
    conninfo = f"host={HOST} port={port} user={user} dbname={db} connect_timeout=5"
    conninfo += "".join(f" {key}={value}" for key, value in extra.items())
    result = subprocess.run(
        ["psql", conninfo, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise ReplicaError(result.stderr.strip() or f"psql exited with {result.returncode}")
    return result.stdout.strip()


class StreamingReplica:
    def __init__(self, port: int = 5433, primary_port: int = 5432, user: str = "postgres"):
        self.port = port
        self.primary_port = primary_port
        self.user = user
        self.workdir: Path | None = None
        self._old_handlers: dict = {}

    # --- what the primary must allow ------------------------------------------------

    def primary_setting(self, name: str) -> str:
        return _psql(self.primary_port, f"SHOW {name}", user=self.user)

    def check_primary(self) -> None:
        wal_level = self.primary_setting("wal_level")
        senders = int(self.primary_setting("max_wal_senders"))
        if wal_level not in ("replica", "logical") or senders < 1:
            raise ReplicaError(
                f"the primary has wal_level={wal_level}, max_wal_senders={senders}: streaming "
                "needs wal_level=replica and max_wal_senders>0, which take a restart to change"
            )

    def replication_refused(self) -> str:
        """Empty when a replication connection is accepted, else the server's reason."""
        try:
            _psql(self.primary_port, "IDENTIFY_SYSTEM", user=self.user, replication="true")
        except ReplicaError as exc:
            return str(exc)
        return ""

    def ensure_replication_allowed(self) -> None:
        reason = self.replication_refused()
        if not reason:
            return
        if "pg_hba.conf" not in reason:
            raise ReplicaError(f"replication connection refused: {reason}")
        hba = Path(self.primary_setting("hba_file"))
        rule = f"host replication {self.user} {HOST}/32 trust"
        if not self._loopback_trusted(hba):
            raise ReplicaError(
                f"{hba} allows no replication from {HOST}; add a line such as "
                f"'host replication {self.user} {HOST}/32 scram-sha-256' and reload"
            )
        try:
            with hba.open("a") as out:
                out.write(f"\n# Added by scripts/pg_replica.py (throw-away replicas)\n{rule}\n")
        except OSError as exc:
            raise ReplicaError(f"cannot add '{rule}' to {hba}: {exc}") from exc
        # A reload re-reads pg_hba.conf; running sessions are untouched.
        _psql(self.primary_port, "SELECT pg_reload_conf()", user=self.user)
        for _ in range(20):
            if not self.replication_refused():
                print(f"pg_replica: added '{rule}' to {hba} and reloaded the primary", flush=True)
                return
            time.sleep(0.25)
        raise ReplicaError(f"still refused after adding '{rule}' to {hba}: {reason}")

    def _loopback_trusted(self, hba: Path) -> bool:
        for line in hba.read_text().splitlines():
            fields = line.split("#", 1)[0].split()
            if (
                len(fields) >= 5
                and fields[0] == "host"
                and fields[1] == "all"
                and fields[2] in ("all", self.user)
                and fields[3] == f"{HOST}/32"
                and fields[4] == "trust"
            ):
                return True
        return False

    # --- the replica's life -----------------------------------------------------------

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def note(self) -> Path:
        return NOTE / f"atlas-pg-replica-{self.port}.json"

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@{HOST}:{self.port}/{database}"

    def _bindir(self) -> Path:
        major = int(self.primary_setting("server_version_num")) // 10000
        for candidate in (Path(f"/usr/lib/postgresql/{major}/bin"),):
            if (candidate / "pg_ctl").exists():
                return candidate
        found = shutil.which("pg_ctl")
        if not found:
            raise ReplicaError(f"no PostgreSQL {major} server programs (pg_ctl) found")
        return Path(found).parent

    def _as_owner(self, *command) -> list[str]:
        """PostgreSQL refuses to run as root: run its programs as the postgres user."""
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *map(str, command)]
        return [str(c) for c in command]

    def _run(self, *command, timeout: int = 300) -> None:
        result = subprocess.run(
            self._as_owner(*command), capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            log = self.workdir / "server.log" if self.workdir else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            name = Path(str(command[0])).name
            raise ReplicaError(f"{name} failed: {result.stderr.strip()}\n{tail}".strip())

    def _stop_leftover(self) -> None:
        """A previous run killed before it could clean up: stop its server, remove its files."""
        try:
            leftover = json.loads(self.note.read_text())
        except (OSError, ValueError):
            return
        data = Path(leftover.get("data", ""))
        if (data / "postmaster.pid").exists():
            subprocess.run(
                self._as_owner(leftover["pg_ctl"], "-D", data, "-m", "immediate", "stop"),
                capture_output=True,
                timeout=60,
                check=False,
            )
        if data.name == "data" and data.parent.name.startswith("atlas-pg-replica-"):
            shutil.rmtree(data.parent, ignore_errors=True)
        self.note.unlink(missing_ok=True)

    def start(self) -> "StreamingReplica":
        self._stop_leftover()
        if subprocess.run(["pg_isready", "-q", "-h", HOST, "-p", str(self.port)]).returncode == 0:
            raise ReplicaError(f"something already answers on port {self.port}")
        self.check_primary()
        self.ensure_replication_allowed()
        bindir = self._bindir()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"atlas-pg-replica-{self.port}-"))
        self.note.write_text(json.dumps({"data": str(self.data), "pg_ctl": str(bindir / "pg_ctl")}))
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self.workdir.chmod(0o700)
        self._run(
            bindir / "pg_basebackup", "-h", HOST, "-p", self.primary_port, "-U", self.user,
            "-D", self.data, "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        self._write_config()
        self._run(
            bindir / "pg_ctl", "-D", self.data, "-l", self.workdir / "server.log",
            # Replaying the WAL written during the copy can take minutes on a busy machine.
            "-w", "-t", "600", "start",
        )  # fmt: skip
        self._wait_streaming()
        return self

    def _write_config(self) -> None:
        """Debian keeps postgresql.conf and pg_hba.conf outside the data directory,
        so the copy has none: give the replica its own, minimal ones."""
        lines = [
            f"port = {self.port}",
            f"listen_addresses = '{HOST}'",
            f"unix_socket_directories = '{self.workdir}'",
            "hot_standby = on",
            # Long extracts on the replica are not cancelled by the primary's vacuum.
            "hot_standby_feedback = on",
            "shared_buffers = 64MB",
            "fsync = off",  # throw-away: durability is the primary's job
            "jit = off",
        ]
        lines += [f"{name} = {self.primary_setting(name)}" for name in AT_LEAST_PRIMARY]
        conf = self.data / "postgresql.conf"
        hba = self.data / "pg_hba.conf"
        # Appended to what the copy may already hold; the last value of a setting wins.
        with conf.open("a") as out:
            out.write("\n".join(lines) + "\n")
        with hba.open("w") as out:
            out.write(f"local all all trust\nhost all all {HOST}/32 trust\n")
        if os.geteuid() == 0:
            for path in (conf, hba):
                shutil.chown(path, "postgres", "postgres")

    def _wait_streaming(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                status = _psql(
                    self.port,
                    "SELECT pg_is_in_recovery()::text || ' ' || "
                    "coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')",
                    user=self.user,
                )
                if status == "true streaming":
                    return
                last = status
            except ReplicaError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise ReplicaError(f"the replica is not streaming after {timeout:.0f} s: {last}")

    def stop(self) -> None:
        """Stop the server (idempotent); the files stay until :meth:`remove`."""
        if self.workdir and (self.data / "postmaster.pid").exists():
            pg_ctl = json.loads(self.note.read_text())["pg_ctl"]
            for mode in ("fast", "immediate"):
                result = subprocess.run(
                    self._as_owner(pg_ctl, "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"),
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
                if result.returncode == 0:
                    break

    def remove(self) -> None:
        self.stop()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.note.unlink(missing_ok=True)
            self.workdir = None

    def __enter__(self) -> "StreamingReplica":
        # SIGTERM and SIGHUP end the run through __exit__, like Ctrl-C does.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError):  # not the main thread: the caller cleans up
                self._old_handlers[signum] = signal.signal(signum, _raise_interrupt)
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        try:
            self.remove()
        finally:
            for signum, handler in self._old_handlers.items():
                signal.signal(signum, handler)
            self._old_handlers.clear()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--primary-port", type=int, default=5432)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command to run")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run while the replica is up, after --")
    with StreamingReplica(args.port, args.primary_port) as replica:
        print(f"pg_replica: streaming replica on {HOST}:{replica.port} ({replica.workdir})")
        env = {**os.environ, "REPLICA_PORT": str(replica.port)}
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
