"""/health/: liveness and database readiness for load balancers and compose health checks.

A database that does not answer (paused, a network that drops packets, a server at
its limits) must get a 503 quickly, not a request that hangs until the prober gives
up: a health check that hangs tells nobody anything. The query runs on a connection
of its own in a helper thread, and the view waits ``settings.HEALTH_CHECK_TIMEOUT``
seconds for it. Neither the connect timeout (libpq's minimum is 2 s) nor a statement
timeout (enforced by the server, which may be the thing that hangs) could promise that.

One check at a time per process: while a check is still waiting for the database,
the next probe answers 503 at once instead of starting another thread.
"""

import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config.db_router import replica_monitor

_one_check_at_a_time = threading.Lock()


def _check(outcome: dict, done: threading.Event) -> None:
    try:
        connection = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            outcome["ok"] = True
        finally:
            connection.close()
    except Exception as exc:
        outcome["error"] = type(exc).__name__
    finally:
        done.set()
        _one_check_at_a_time.release()


def database_answers(timeout: float) -> tuple[bool, str]:
    """(whether the database answered ``SELECT 1`` within ``timeout`` seconds, why not)."""
    if not _one_check_at_a_time.acquire(blocking=False):
        return False, "a previous check is still waiting for the database"
    outcome: dict = {}
    done = threading.Event()
    threading.Thread(target=_check, args=(outcome, done), daemon=True, name="health").start()
    if not done.wait(timeout):
        return False, f"no answer within {timeout:g} s"
    if not outcome.get("ok"):
        return False, outcome.get("error", "error")
    return True, ""


@never_cache
def health(request):
    """Liveness and database readiness for load balancers and compose health checks.

    503 only when the primary does not answer (within HEALTH_CHECK_TIMEOUT): without
    a replica the site still serves every page from the primary, so a replica that is
    down or behind makes the status "degraded" (and is named) while the answer stays 200.
    """
    ok, problem = database_answers(settings.HEALTH_CHECK_TIMEOUT)
    if not ok:
        body = {
            "status": "error",
            "database": "unreachable",
            "databases": {"default": "unreachable"},
            "detail": problem,
        }
        return JsonResponse(body, status=503)
    databases = {"default": {"status": "ok"}}
    monitor = replica_monitor()
    if monitor is not None:
        databases |= monitor.report()
    degraded = any(state["status"] != "ok" for state in databases.values())
    return JsonResponse(
        {"status": "degraded" if degraded else "ok", "database": "ok", "databases": databases}
    )
