"""Test settings: development settings tuned for speed."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Lockouts would leak between tests that log in with wrong passwords on purpose.
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
