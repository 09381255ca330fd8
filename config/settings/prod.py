"""Production settings: everything from the environment, nothing secret by default.

Refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``; with them,
``manage.py check --deploy`` is clean.
"""

from config.env import env_bool, env_int, env_list, env_required, env_str

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production (comma-separated).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, content-hashed files that can be cached for ever.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "releases": RELEASES_STORAGE,  # noqa: F405
}

# One cache for every gunicorn worker, so facet counts, crosstabs and home counts are
# computed once per change of the data rather than once per worker (with 4 workers each
# keeping its own, the load test missed the cache four times per filter combination).
# Several hosts share Redis (REDIS_URL); one host shares files (CACHE_DIR). Either way a
# failing store is no cache, never a failing page, and the files are bounded in number
# and bytes without listing the directory on each write (config/cache.py).
if env_str("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSafeRedisCache",
            "LOCATION": env_str("REDIS_URL"),
            # A Redis that does not answer costs a page this much once, then is skipped.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSafeFileCache",
            "LOCATION": env_str("CACHE_DIR") or "/tmp/coproduction-atlas-cache",  # noqa: S108
            "OPTIONS": {
                "MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20_000),
                "MAX_BYTES": env_int("CACHE_MAX_BYTES", 256 * 1024 * 1024),
            },
        }
    }

# HTTPS is terminated by the proxy in front of gunicorn, which sets this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
# /health/ is probed over plain HTTP by the container's health check.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload is what check --deploy asks for; set SECURE_HSTS_PRELOAD=0 for a host not yet ready.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
