"""Read replicas: their settings, and which of them may serve a read right now.

``DATABASE_REPLICA_URLS`` (comma-separated) adds one database alias per URL,
``replica_1``, ``replica_2``, … with the primary's options. :class:`ReplicaMonitor`
asks each replica, at most every ``DATABASE_REPLICA_CHECK_SECONDS``, whether it
answers and how far it is behind the primary; a replica that does not answer or
lags more than ``DATABASE_REPLICA_MAX_LAG_SECONDS`` is left out (reads go to the
primary) and a warning is logged once when that starts and once when it ends.

How lag is measured (PostgreSQL): at each check the primary's current WAL position
is read and remembered, then the replica is asked how far it has replayed. If it
has replayed up to the primary's position it is not behind; if not, its lag is at
most the time since the newest remembered position it has replayed, or since the
last transaction it replayed, whichever is less (:func:`measure_lag`). Both err
towards the primary, never towards a stale read.
"""

import logging
import random
import time
from collections import deque
from dataclasses import dataclass

import dj_database_url
from django.db import DatabaseError, connections

logger = logging.getLogger("atlas.replicas")

PRIMARY = "default"


def replica_databases(urls: list[str], primary: dict) -> dict[str, dict]:
    """Database settings for each replica URL: the primary's options, its own place.

    Under test a replica mirrors the primary's test database (no second one is
    created or migrated); the router sends it reads only outside a transaction.
    """
    databases = {}
    for number, url in enumerate(urls, start=1):
        alias = f"replica_{number}"
        settings = dj_database_url.parse(
            url,
            conn_max_age=primary.get("CONN_MAX_AGE", 0),
            conn_health_checks=primary.get("CONN_HEALTH_CHECKS", False),
        )
        if settings["ENGINE"] != primary["ENGINE"]:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {number} is {settings['ENGINE']}, "
                f"the primary {primary['ENGINE']}; a replica must be a copy of the primary."
            )
        settings["OPTIONS"] = dict(primary.get("OPTIONS", {}))
        settings["TEST"] = {"MIRROR": PRIMARY}
        databases[alias] = settings
    return databases


@dataclass
class ReplicaState:
    usable: bool
    lag_seconds: float | None = None  # None: unknown (unreachable)
    error: str = ""
    checked_at: float = 0.0

    def as_json(self) -> dict:
        """For /health/, which anyone may read: the error itself (host names) is logged only."""
        if self.error:
            return {"status": "unreachable"}
        status = "ok" if self.usable else "lagging"
        lag = self.lag_seconds or 0.0
        return {"status": status, "lag_seconds": round(lag, 3) if lag != float("inf") else None}


def _position(lsn: str) -> int:
    """A WAL position (``pg_lsn`` text such as ``16/B374D848``) as a number."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


class PrimaryWal:
    """The primary's WAL position at each recent check, to date what a replica holds.

    A replica that has replayed up to the position the primary had at time *t*
    holds everything committed before *t*: its lag is at most now - *t*, measured on
    this process's own clock (no clocks of two servers compared).
    """

    def __init__(self, keep_seconds: float, clock=time.monotonic):
        self.keep_seconds = keep_seconds
        self.clock = clock
        self.samples: deque[tuple[float, int]] = deque()
        self.current: int | None = None

    def sample(self) -> int | None:
        """Read the primary's position now (None on SQLite, which has no WAL to compare)."""
        primary = connections[PRIMARY]
        if primary.vendor != "postgresql":
            self.current = None
            return None
        with primary.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            self.current = _position(cursor.fetchone()[0])
        now = self.clock()
        self.samples.append((now, self.current))
        while self.samples and now - self.samples[0][0] > self.keep_seconds:
            self.samples.popleft()
        return self.current

    def seconds_behind(self, replayed: int) -> float | None:
        """An upper bound of the lag of a replica at ``replayed``, None if none is known."""
        times = [at for at, position in self.samples if position <= replayed]
        return self.clock() - max(times) if times else None


def measure_lag(alias: str, wal: PrimaryWal) -> float:
    """Seconds the replica ``alias`` is behind the primary, at most (0 if not a standby).

    The smaller of two upper bounds: the age of the primary's newest recorded
    position the replica has replayed (:class:`PrimaryWal`), and the age of the last
    transaction it replayed (PostgreSQL's own; too high after a quiet spell, when
    the primary writes WAL but no transaction, so not enough alone).
    """
    replica = connections[alias]
    if replica.vendor != "postgresql" or wal.current is None:
        with replica.cursor() as cursor:
            cursor.execute("SELECT 1")
        return 0.0
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float"
        )
        in_recovery, replayed, transaction_age = cursor.fetchone()
    if not in_recovery:
        return 0.0
    replayed = _position(replayed) if replayed else -1
    if replayed >= wal.current:
        return 0.0
    bounds = [b for b in (wal.seconds_behind(replayed), transaction_age) if b is not None]
    # Behind, and nothing tells by how much: too far.
    return max(min(bounds), 0.0) if bounds else float("inf")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


class ReplicaMonitor:
    """Which replicas may serve reads, checked at most every ``interval`` seconds each."""

    def __init__(self, aliases: list[str], max_lag: float, interval: float, clock=time.monotonic):
        self.aliases = list(aliases)
        self.max_lag = max_lag
        self.interval = interval
        self.clock = clock
        self.states: dict[str, ReplicaState] = {}
        # Positions old enough to date a replica at the bound, and a little more.
        self.wal = PrimaryWal(keep_seconds=2 * max_lag + interval + 5, clock=clock)

    def check(self, alias: str) -> ReplicaState:
        """Ask the replica now; log a warning when it stops (or starts) being usable."""
        now = self.clock()
        try:
            self.wal.sample()
        except DatabaseError as exc:
            # Without the primary's position the lag is unknown: the replica stays out.
            connections[PRIMARY].close_if_unusable_or_obsolete()
            state = ReplicaState(False, None, f"primary: {_first_line(exc)}", now)
            self._log_change(alias, self.states.get(alias), state)
            self.states[alias] = state
            return state
        try:
            lag = measure_lag(alias, self.wal)
        except DatabaseError as exc:
            # The broken connection must not be reused by this request or the next check.
            connections[alias].close_if_unusable_or_obsolete()
            state = ReplicaState(False, None, _first_line(exc), now)
        else:
            state = ReplicaState(lag <= self.max_lag, lag, "", now)
        self._log_change(alias, self.states.get(alias), state)
        self.states[alias] = state
        return state

    def mark_failed(self, alias: str, exc: Exception) -> None:
        """A read on ``alias`` failed mid-request: leave it out until its next check."""
        state = ReplicaState(False, None, _first_line(exc), self.clock())
        self._log_change(alias, self.states.get(alias), state)
        self.states[alias] = state

    def _log_change(self, alias: str, before: ReplicaState | None, after: ReplicaState) -> None:
        if after.usable and before is not None and not before.usable:
            logger.warning("replica %s is usable again (lag %.1f s)", alias, after.lag_seconds)
        elif not after.usable and (before is None or before.usable):
            if after.error:
                reason = f"unreachable: {after.error}"
            else:
                reason = f"lag {after.lag_seconds:.1f} s > {self.max_lag:g} s"
            logger.warning("replica %s not used, reads go to the primary (%s)", alias, reason)

    def state(self, alias: str) -> ReplicaState:
        state = self.states.get(alias)
        if state is None or self.clock() - state.checked_at >= self.interval:
            state = self.check(alias)
        return state

    def choose(self) -> str | None:
        """A usable replica for this request's reads (at random among them), or None."""
        usable = [alias for alias in self.aliases if self.state(alias).usable]
        return random.choice(usable) if usable else None  # noqa: S311 (not security)

    def report(self) -> dict[str, dict]:
        """Every replica checked now, for /health/."""
        return {alias: self.check(alias).as_json() for alias in self.aliases}
