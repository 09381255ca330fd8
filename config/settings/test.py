"""Test settings: development settings tuned for speed."""

import tempfile

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Lockouts would leak between tests that log in with wrong passwords on purpose.
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
# No download cap: the test client closes a streamed response only once it is read to
# the end, and tests that look at an extract's headers alone would keep their slots.
# tests/test_extract_slots.py sets a cap (and its own directory) where it is the point.
EXTRACT_MAX_CONCURRENT = 0
# The case index is built by the request that needs it: a build thread would not see
# the test's data, which lives in the test's transaction (tests/test_case_index.py
# runs the background builds with an executor of its own).
CASE_INDEX_BACKGROUND = False
EXTRACT_SLOTS_DIR = tempfile.mkdtemp(prefix="atlas-test-extract-slots-")

# A replica alias that mirrors the test database, so that routing can be tested
# (tests/test_replicas.py switches reads to it with DATABASE_REPLICAS); off by default.
if "replica_1" not in DATABASES:  # noqa: F405
    DATABASES["replica_1"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_REPLICAS = []
