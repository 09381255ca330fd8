"""Configuration from the environment: production refuses to start half-configured.

Settings modules are imported once per process, so production settings are
tried in a subprocess with exactly the environment under test.
"""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_required

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-only-" + "k" * 50
# Variables that would let a subprocess pass or fail for the wrong reason (the browser
# tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for their own process).
CONFIG_VARS = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PG_MAX_PARALLEL_WORKERS_PER_GATHER",
    "REDIS_URL",
    "CACHE_DIR",
]


def _run(args: list[str], **env_vars: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.prod", **env_vars})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _setup(**env_vars: str) -> subprocess.CompletedProcess:
    return _run(["-c", "import django; django.setup(); print('started')"], **env_vars)


def test_production_refuses_to_start_without_secret_key():
    result = _setup(ALLOWED_HOSTS="atlas.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_a_blank_secret_key():
    result = _setup(SECRET_KEY="   ", ALLOWED_HOSTS="atlas.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _setup(SECRET_KEY=SECRET)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_refuses_a_malformed_value():
    result = _setup(SECRET_KEY=SECRET, ALLOWED_HOSTS="atlas.example.org", SECURE_HSTS_SECONDS="1y")
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr


def test_production_starts_with_key_and_hosts_and_debug_stays_off():
    result = _run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print('debug', settings.DEBUG)",
        ],
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="atlas.example.org",
        DJANGO_DEBUG="1",  # production ignores it: DEBUG can never be switched on there
    )
    assert result.returncode == 0, result.stderr
    assert "debug False" in result.stdout


def test_production_cache_is_shared_between_processes(tmp_path):
    """gunicorn's workers are processes: what one caches, the others must find."""
    prod = {"SECRET_KEY": SECRET, "ALLOWED_HOSTS": "atlas.example.org", "CACHE_DIR": str(tmp_path)}
    setup = "import django; django.setup(); from django.core.cache import cache; "
    written = _run(["-c", setup + "cache.set('counts', {'SE': 3}, 60)"], **prod)
    assert written.returncode == 0, written.stderr
    read = _run(["-c", setup + "print('read', cache.get('counts'))"], **prod)
    assert read.returncode == 0, read.stderr
    assert "read {'SE': 3}" in read.stdout


def test_production_cache_uses_redis_when_given_its_url():
    result = _run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])",
        ],
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="atlas.example.org",
        REDIS_URL="redis://cache.internal:6379/1",
    )
    assert result.returncode == 0, result.stderr
    assert "RedisCache redis://cache.internal:6379/1" in result.stdout


def test_check_deploy_is_clean_under_production_settings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="atlas.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_notices_a_weak_configuration():
    # The check above can fail: without HSTS, check --deploy complains.
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="atlas.example.org",
        SECURE_HSTS_SECONDS="0",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_env_bool_fails_loudly(monkeypatch, raw):
    monkeypatch.setenv("ATLAS_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="ATLAS_TEST_FLAG"):
        env_bool("ATLAS_TEST_FLAG")


@pytest.mark.parametrize(("raw", "expected"), [("1", True), (" Yes ", True), ("off", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("ATLAS_TEST_FLAG", raw)
    assert env_bool("ATLAS_TEST_FLAG", default=not expected) is expected


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("ATLAS_TEST_FLAG", raising=False)
    assert env_bool("ATLAS_TEST_FLAG", default=True) is True


@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10"])
def test_env_int_fails_loudly(monkeypatch, raw):
    monkeypatch.setenv("ATLAS_TEST_INT", raw)
    with pytest.raises(ImproperlyConfigured, match="ATLAS_TEST_INT"):
        env_int("ATLAS_TEST_INT", 3)


def test_env_int_reads_and_defaults(monkeypatch):
    monkeypatch.setenv("ATLAS_TEST_INT", "42")
    assert env_int("ATLAS_TEST_INT", 3) == 42
    monkeypatch.setenv("ATLAS_TEST_INT", "")
    assert env_int("ATLAS_TEST_INT", 3) == 3


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("ATLAS_TEST_LIST", " a.example.org, ,b.example.org ")
    assert env_list("ATLAS_TEST_LIST") == ["a.example.org", "b.example.org"]


def test_env_required_fails_when_blank(monkeypatch):
    monkeypatch.setenv("ATLAS_TEST_REQUIRED", "  ")
    with pytest.raises(ImproperlyConfigured, match="ATLAS_TEST_REQUIRED"):
        env_required("ATLAS_TEST_REQUIRED")


def test_env_choice_fails_loudly(monkeypatch):
    monkeypatch.setenv("ATLAS_TEST_CHOICE", "xml")
    with pytest.raises(ImproperlyConfigured, match="ATLAS_TEST_CHOICE"):
        env_choice("ATLAS_TEST_CHOICE", ["logfmt", "json"], "logfmt")
    monkeypatch.setenv("ATLAS_TEST_CHOICE", "json")
    assert env_choice("ATLAS_TEST_CHOICE", ["logfmt", "json"], "logfmt") == "json"


def _gunicorn_config(monkeypatch, **env_vars):
    for key in ["GUNICORN_BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_MAX_REQUESTS"]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env_vars.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_runs_at_least_two_workers_and_logs_access_to_stdout(monkeypatch):
    config = _gunicorn_config(monkeypatch, WEB_CONCURRENCY="1", PORT="8123")
    assert config["workers"] == 2
    assert config["bind"] == "0.0.0.0:8123"
    assert config["accesslog"] == "-"
    assert _gunicorn_config(monkeypatch, WEB_CONCURRENCY="5")["workers"] == 5


def test_gunicorn_recycles_workers_rarely_and_not_together(monkeypatch):
    # A new worker rebuilds its case index and counts in SQL meanwhile (gunicorn.conf.py).
    config = _gunicorn_config(monkeypatch)
    assert config["max_requests"] >= 10_000
    assert config["max_requests_jitter"] >= config["max_requests"] // 20
    assert _gunicorn_config(monkeypatch, GUNICORN_MAX_REQUESTS="0")["max_requests"] == 0


def test_gunicorn_workers_keep_the_loaded_app_out_of_the_garbage_collector(monkeypatch):
    import gc

    config = _gunicorn_config(monkeypatch)
    threshold = gc.get_threshold()
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= 10 * 700
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_gunicorn_config_fails_loudly_on_bad_values(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY"):
        _gunicorn_config(monkeypatch, WEB_CONCURRENCY="many")


def test_postgresql_connections_turn_jit_off_and_take_the_parallel_setting():
    show_options = (
        "import django; django.setup(); from django.conf import settings; "
        "print('options', settings.DATABASES['default'].get('OPTIONS', {}).get('options'))"
    )
    base = {"SECRET_KEY": SECRET, "ALLOWED_HOSTS": "atlas.example.org"}
    on_pg = _run(
        ["-c", show_options],
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/atlas",
        PG_MAX_PARALLEL_WORKERS_PER_GATHER="0",
        **base,
    )
    assert "options -c jit=off -c max_parallel_workers_per_gather=0" in on_pg.stdout, on_pg.stderr
    default = _run(
        ["-c", show_options], DATABASE_URL="postgres://postgres@127.0.0.1:5432/atlas", **base
    )
    assert "options -c jit=off -c statement_timeout=30000\n" in default.stdout, default.stderr
    bad = _run(
        ["-c", show_options],
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/atlas",
        PG_MAX_PARALLEL_WORKERS_PER_GATHER="none",
        **base,
    )
    assert bad.returncode != 0
    assert "PG_MAX_PARALLEL_WORKERS_PER_GATHER" in bad.stderr


def test_postgresql_connections_have_a_connect_and_a_statement_timeout():
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "o = settings.DATABASES['default']['OPTIONS']; "
        "print('got', o['connect_timeout'], o['options'])"
    )
    base = {
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "atlas.example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/atlas",
    }
    default = _run(["-c", show], **base)
    assert "got 5 -c jit=off -c statement_timeout=30000" in default.stdout, default.stderr
    tuned = _run(
        ["-c", show], DATABASE_CONNECT_TIMEOUT="3", DATABASE_STATEMENT_TIMEOUT="120", **base
    )
    assert "got 3 -c jit=off -c statement_timeout=120000" in tuned.stdout, tuned.stderr
    bad = _run(["-c", show], DATABASE_STATEMENT_TIMEOUT="30s", **base)
    assert bad.returncode != 0
    assert "DATABASE_STATEMENT_TIMEOUT" in bad.stderr


@pytest.mark.postgres
def test_the_statement_timeout_reaches_the_server(db, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (value,) = cursor.fetchone()
    assert value == f"{settings.DATABASE_STATEMENT_TIMEOUT}s"
