"""Development settings: a laptop on SQLite. Never used by the WSGI entry point."""

from config.env import env_list, env_str

from .base import *  # noqa: F403

DEBUG = True
# A fixed, clearly non-secret key for local work only; production.py never reads it.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
