"""gunicorn configuration, read from the environment like the Django settings.

``gunicorn -c gunicorn.conf.py config.wsgi`` (bin/docker-entrypoint.sh does this).
Bad values stop gunicorn at start with the variable's name, via config.env.
"""

import gc

from config.env import env_int, env_str

# 0.0.0.0 inside a container, where the port is published by compose; the smoke
# test and the load test pass 127.0.0.1:<port> so nothing listens beyond loopback.
bind = env_str("GUNICORN_BIND") or f"0.0.0.0:{env_int('PORT', 8000)}"
# Sync workers: each request holds a database connection for its whole life, and
# the pages are short queries. Two or more, so one slow CSV export never blocks the site.
workers = max(2, env_int("WEB_CONCURRENCY", 2))
threads = 1
# Long enough for a whole-database extract to stream; a hung worker is still restarted.
timeout = env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take the site down. Not often:
# a new worker imports the app, builds its case index (~1 s at 100,000 cases) and
# counts in SQL meanwhile, and loses its kept searches, codebook and compiled
# templates. Measured on a filtered list at 100,000 cases (2 workers, 4 connections):
# recycling every 300 requests cost 8 % of the throughput, so every 2,000 about 1 %,
# and a slower request now and then; every 20,000, next to nothing.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 20_000)
max_requests_jitter = 2_000

# Access log and errors on stdout/stderr, where a container's logs are collected.
accesslog = env_str("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = env_str("GUNICORN_LOG_LEVEL", "info")
# logfmt, like Django's own lines (config/logs.py); %(M)s is the duration in milliseconds.
access_log_format = (
    'logger=gunicorn.access remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s '
    'bytes=%(B)s duration_ms=%(M)s agent="%(a)s"'
)
# The proxy in front (which terminates HTTPS) talks to gunicorn; trust its headers only
# from the addresses given, none by default beyond loopback.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):
    """Once the worker has loaded the app: its objects (modules, URL patterns, models'
    metadata: ~150,000) leave the garbage collector's view, and it runs a tenth as often.

    A full collection of a warm worker's heap took ~95 ms, and Django's requests made
    one every ~100 requests on top of the younger generations' ~1 ms each: at 100,000
    cases 9.5 % of a filtered list's time and its p99 (117 ms against a p50 of 19).
    Frozen and with a first threshold of 7,000, 2.7 % and a p99 of 24 ms (in-process,
    400 requests). Nothing is lost: the app's own objects live as long as the worker.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(7_000, 10, 10)
