from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from config.db_router import replica_monitor


@never_cache
def health(request):
    """Liveness and database readiness for load balancers and compose health checks.

    503 only when the primary does not answer: without a replica the site still
    serves every page from the primary, so a replica that is down or behind makes
    the status "degraded" (and is named) while the answer stays 200.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "error", "database": "unreachable", "databases": {"default": "unreachable"}},
            status=503,
        )
    databases = {"default": {"status": "ok"}}
    monitor = replica_monitor()
    if monitor is not None:
        databases |= monitor.report()
    degraded = any(state["status"] != "ok" for state in databases.values())
    return JsonResponse(
        {"status": "degraded" if degraded else "ok", "database": "ok", "databases": databases}
    )
