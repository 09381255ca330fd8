"""Production's cache (config/cache.py): a failing store never fails a page, and the
file cache stays within its limits without listing its directory on every write."""

import errno
import glob
import logging
import os
import runpy

import pytest
from django.core.cache import caches

import config.cache as cache_module
from config.cache import BoundedFileCache, FailSafeRedisCache

from .factories import CaseFactory, CountryFactory, OutcomeFactory, PolicyFieldFactory
from .public_urls import RealObjects, concrete_paths


def production_caches(monkeypatch, cache_dir, **env) -> dict:
    """CACHES as config/settings/prod.py builds them from this environment."""
    monkeypatch.setenv("SECRET_KEY", "test-only-" + "k" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    monkeypatch.setenv("CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("config.settings.prod")["CACHES"]


@pytest.fixture
def clock(monkeypatch):
    """config.cache's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def production_cache(settings, monkeypatch, tmp_path, clock):
    settings.CACHES = production_caches(monkeypatch, tmp_path / "cache")
    return caches["default"]


@pytest.fixture
def real(db):
    country = CountryFactory(code="SE", name="Sweden")
    field = PolicyFieldFactory(slug="childcare")
    case = CaseFactory(countries=[country], policy_fields=[field])
    OutcomeFactory(case=case)
    return RealObjects(case.slug, case.chapter.number, country.code)


def _disk_fails(monkeypatch, code: int) -> None:
    """Every write to the cache directory fails as a full (28) or read-only (30) disk does."""

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("django.core.cache.backends.filebased.tempfile.mkstemp", refuse)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_cache_disk_never_fails_a_page(
    client, real, production_cache, monkeypatch, caplog, code
):
    _disk_fails(monkeypatch, code)
    caplog.set_level(logging.WARNING, logger="atlas.cache")
    for name, path in concrete_paths(real):
        for _ in range(2):  # the second visit reads what the first could not write
            response = client.get(path)
            assert response.status_code < 500, f"{response.status_code} for {name} ({path})"
            if response.streaming:  # an extract: read to the end, where it could fail
                b"".join(response.streaming_content)
    warnings = [r for r in caplog.records if r.name == "atlas.cache"]
    assert len(warnings) == 1  # once per interval, not once per page
    assert os.strerror(code) in warnings[0].getMessage()


def test_the_cache_comes_back_when_the_disk_has_room_again(production_cache, monkeypatch, clock):
    with monkeypatch.context() as failing:
        _disk_fails(failing, errno.ENOSPC)
        production_cache.set("counts", 1)
        assert production_cache.get("counts") is None
    production_cache.set("counts", 2)  # within the retry interval: the store is left alone
    assert production_cache.get("counts") is None
    clock[0] += cache_module.RETRY_SECONDS + 1
    production_cache.set("counts", 3)
    assert production_cache.get("counts") == 3


def test_a_cache_directory_that_cannot_be_created_is_no_cache(
    settings, monkeypatch, tmp_path, clock
):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("django.core.cache.backends.filebased.safe_makedirs", refuse)
    settings.CACHES = production_caches(monkeypatch, tmp_path / "missing")
    cache = caches["default"]
    cache.set("a", 1)
    assert cache.get("a", "miss") == "miss"
    assert cache.get_many(["a", "b"]) == {}


def test_a_damaged_entry_is_a_miss_and_is_removed(production_cache):
    production_cache.set("counts", {"SE": 3})
    (path,) = glob.glob(os.path.join(production_cache._dir, "*.djcache"))
    with open(path, "r+b") as f:  # the expiry stays readable, the value is cut short
        f.truncate(os.path.getsize(path) - 5)
    assert production_cache.get("counts", "miss") == "miss"
    assert not os.path.exists(path)


def test_file_cache_stays_within_its_entries_and_bytes(settings, monkeypatch, tmp_path, clock):
    settings.CACHES = production_caches(
        monkeypatch, tmp_path / "c", CACHE_MAX_ENTRIES="200", CACHE_MAX_BYTES="300000"
    )
    cache = caches["default"]
    for i in range(2000):
        cache.set(f"k{i}", os.urandom(1000 + i % 1000))  # incompressible, 1-2 kB each
    entries, size = cache.stats()
    # Each check brings it under 90 %; between checks one process adds at most a tenth.
    assert entries <= 200 * 1.1
    assert size <= 300_000 * 1.1
    assert cache.get("k1999") is not None  # the newest entries are kept


def test_a_write_does_not_list_the_cache_directory(production_cache, monkeypatch):
    listings = []
    real_scandir, real_glob = os.scandir, glob.glob
    monkeypatch.setattr(os, "scandir", lambda *a: listings.append(a) or real_scandir(*a))
    monkeypatch.setattr(glob, "glob", lambda *a, **k: listings.append(a) or real_glob(*a, **k))
    for i in range(1000):
        production_cache.set(f"counts:{i}", {"n": i})
    # Django's FileBasedCache listed the directory before each of the 1,000 writes.
    assert len(listings) <= 1000 // 100


def test_redis_that_does_not_answer_is_no_cache(settings, caplog, clock):
    # Nothing listens on port 1 of loopback: every call fails at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSafeRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    cache = caches["default"]
    assert isinstance(cache, FailSafeRedisCache)
    cache.set("a", 1)
    assert cache.get("a", "miss") == "miss"
    assert cache.get_many(["a"]) == {}
    assert [r.name for r in caplog.records].count("atlas.cache") == 1


def test_the_production_file_cache_is_the_bounded_one(monkeypatch, tmp_path):
    config = production_caches(monkeypatch, tmp_path, CACHE_MAX_BYTES="1000000")["default"]
    assert config["BACKEND"] == "config.cache.FailSafeFileCache"
    assert config["OPTIONS"]["MAX_BYTES"] == 1_000_000
    assert issubclass(cache_module.FailSafeFileCache, BoundedFileCache)
