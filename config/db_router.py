"""Public reads from a replica, everything else from the primary.

A request may read from a replica only when :class:`ReplicaReadMiddleware` says so:
a GET or HEAD outside the admin, from a client that has not written in the last
``DATABASE_READ_YOUR_WRITES_SECONDS`` (a write sets a short-lived cookie, so a
curator who saved a case sees it on the public pages at once), while a replica is
usable (config/replicas.py). Everything else — writes, the admin, management
commands (imports, releases, migrations), the shell, anything outside a request —
uses the primary, because the default is the primary and only the middleware can
change it. Sessions, users and the login throttle are always read from the primary
(a session created a moment ago may not have reached a replica), and so is anything
read inside a transaction on the primary (it must see its own uncommitted writes).

The alias is chosen once per request, so all of a page's queries, the data stamp
its cached counts are keyed on included, come from the same database.
"""

import contextvars
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

from .replicas import PRIMARY, ReplicaMonitor

logger = logging.getLogger("atlas.replicas")

READ_YOUR_WRITES_COOKIE = "atlas_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Apps whose rows must be current for every request (sign-in, sessions, throttling).
PRIMARY_ONLY_APPS = frozenset({"admin", "auth", "axes", "contenttypes", "sessions"})

_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "atlas_read_alias", default=None
)
_monitor: tuple[tuple, ReplicaMonitor] | None = None


def replica_monitor() -> ReplicaMonitor | None:
    """The process's monitor of settings.DATABASE_REPLICAS, None without replicas."""
    global _monitor
    aliases = tuple(getattr(settings, "DATABASE_REPLICAS", ()))
    if not aliases:
        return None
    config = (
        aliases,
        settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
        settings.DATABASE_REPLICA_CHECK_SECONDS,
    )
    if _monitor is None or _monitor[0] != config:  # settings changed (tests do that)
        _monitor = (config, ReplicaMonitor(list(aliases), config[1], config[2]))
    return _monitor[1]


def current_read_alias() -> str:
    """The database this request's public reads use."""
    return _read_alias.get() or PRIMARY


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A replica is migrated by replaying the primary's changes, never directly.
        return False if db in getattr(settings, "DATABASE_REPLICAS", ()) else None


def _wrote_recently(request) -> bool:
    raw = request.COOKIES.get(READ_YOUR_WRITES_COOKIE, "")
    try:
        until = float(raw)
    except ValueError:
        return False
    now = time.time()
    # A value further ahead than one window was not set by us: ignore it.
    return now < until <= now + settings.DATABASE_READ_YOUR_WRITES_SECONDS + 1


class ReplicaReadMiddleware:
    """Choose the database of the request's reads; remember a client's recent write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        monitor = replica_monitor()
        token = _read_alias.set(self._read_alias(request, monitor))
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        if monitor is not None and request.method not in SAFE_METHODS:
            window = settings.DATABASE_READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                READ_YOUR_WRITES_COOKIE,
                f"{time.time() + window:.0f}",
                max_age=window,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    @staticmethod
    def _read_alias(request, monitor) -> str | None:
        if monitor is None or request.method not in SAFE_METHODS:
            return None
        if request.path_info.startswith("/admin/") or _wrote_recently(request):
            return None
        return monitor.choose()

    def process_exception(self, request, exception):
        """A replica failed during a read-only request: mark it and answer from the primary."""
        alias = _read_alias.get()
        if alias is None or not isinstance(exception, OperationalError | InterfaceError):
            return None
        replica_monitor().mark_failed(alias, exception)
        match = request.resolver_match
        if match is None:
            return None
        path = request.path
        logger.warning("replica %s failed during %s, answering from the primary", alias, path)
        _read_alias.set(None)  # reset with the rest of the request by __call__
        return match.func(request, *match.args, **match.kwargs)
