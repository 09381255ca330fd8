"""Test settings: development settings tuned for speed."""

import tempfile

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Lockouts would leak between tests that log in with wrong passwords on purpose.
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Slots of this test run only (another run on the machine must not take them); a few,
# so that a test that leaves a download unread does not refuse the next test's.
EXTRACT_SLOTS_DIR = tempfile.mkdtemp(prefix="atlas-test-extract-slots-")
EXTRACT_MAX_CONCURRENT = 4
