"""Read replicas: their settings, and which of them may serve a read right now.

``DATABASE_REPLICA_URLS`` (comma-separated) adds one database alias per URL,
``replica_1``, ``replica_2``, … with the primary's options. :class:`ReplicaMonitor`
asks each replica, at most every ``DATABASE_REPLICA_CHECK_SECONDS``, whether it
answers and how far it is behind the primary; a replica that does not answer or
lags more than ``DATABASE_REPLICA_MAX_LAG_SECONDS`` is left out (reads go to the
primary) and a warning is logged once when that starts and once when it ends.

How lag is measured (PostgreSQL): the primary's current WAL position is read, then
the replica is asked whether it has replayed up to it. If it has, it is not behind
at all; if not, its lag is the age of the last transaction it replayed. That errs
towards the primary: a replica that was idle for minutes and is a moment behind
looks minutes behind until its next check, so it is skipped for one interval.
"""

import logging
import random
import time
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
        if self.error:
            return {"status": "unreachable", "error": self.error}
        status = "ok" if self.usable else "lagging"
        return {"status": status, "lag_seconds": round(self.lag_seconds or 0.0, 3)}


def _lsn_of_primary() -> str | None:
    """The primary's current WAL position (None on SQLite, where there is no WAL to compare)."""
    primary = connections[PRIMARY]
    if primary.vendor != "postgresql":
        return None
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def measure_lag(alias: str, primary_lsn: str | None) -> float:
    """Seconds the replica ``alias`` is behind the primary (0 when it is not a standby)."""
    replica = connections[alias]
    if replica.vendor != "postgresql" or primary_lsn is None:
        with replica.cursor() as cursor:
            cursor.execute("SELECT 1")
        return 0.0
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
            "WHEN pg_last_wal_replay_lsn() >= %s::pg_lsn THEN 0 "
            "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END",
            [primary_lsn],
        )
        lag = cursor.fetchone()[0]
    # Behind, and nothing replayed since it started: how far is unknown, so too far.
    return float("inf") if lag is None else max(float(lag), 0.0)


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

    def check(self, alias: str) -> ReplicaState:
        """Ask the replica now; log a warning when it stops (or starts) being usable."""
        now = self.clock()
        try:
            primary_lsn = _lsn_of_primary()
        except DatabaseError as exc:
            # Without the primary's position the lag is unknown: the replica stays out.
            connections[PRIMARY].close_if_unusable_or_obsolete()
            state = ReplicaState(False, None, f"primary: {_first_line(exc)}", now)
            self._log_change(alias, self.states.get(alias), state)
            self.states[alias] = state
            return state
        try:
            lag = measure_lag(alias, primary_lsn)
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
