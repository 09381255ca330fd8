"""Test settings: development settings tuned for speed."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Lockouts would leak between tests that log in with wrong passwords on purpose.
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False}

# A replica alias that mirrors the test database, so that routing can be tested
# (tests/test_replicas.py switches reads to it with DATABASE_REPLICAS); off by default.
if "replica_1" not in DATABASES:  # noqa: F405
    DATABASES["replica_1"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_REPLICAS = []
