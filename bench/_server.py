"""What the benchmark scripts share: gunicorn's environment, waiting for it, percentiles.

The scripts run as `python bench/<name>.py`, so this module is imported from the
script's own folder.
"""

import http.client
import os
import secrets
import time


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def server_env(database_url: str, port: int, static_root: str, cache_seconds: int) -> dict:
    """gunicorn with the production settings on loopback, quiet logs, a throw-away key.

    ``cache_seconds`` 0 measures the counting itself; more lets PostgreSQL serve
    repeats from the count cache kept under the data stamp.
    """
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        # Plain HTTP on loopback: no proxy in front to terminate TLS.
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": static_root,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_LOG_LEVEL": "warning",
        "LOG_LEVEL": "WARNING",
        "FACET_CACHE_SECONDS": str(cache_seconds),
    }


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on port {port}")
