"""Cache back-ends for production: a fault degrades to "no cache", and the file cache
is bounded at a cost that does not grow with its size.

Everything the atlas caches (facet counts, crosstabs, home counts) can be computed
again; a cache is an optimisation, never a dependency. Yet Django's back-ends raise
whatever their store raises: with the cache directory on a full or read-only disk
(``OSError`` 28/30) 48 of 83 pages answered 500, and a Redis that is down fails
every page that reads a count. Here each call that fails returns what a miss
returns (``get`` its default, ``set`` nothing), a warning is logged at most once
per ``FAULT_LOG_SECONDS``, and the store is left alone for ``RETRY_SECONDS`` (so a
hung Redis costs one timeout, not one per call) and then tried again: the cache
comes back by itself once the disk has room or Redis answers.

Django's ``FileBasedCache`` lists its whole directory on every ``set`` (``_cull``):
with ~18,000 entries that listing was 70 % of a warm worker's time (issue 18), and
its only bound is a number of entries, whatever their size. ``BoundedFileCache``
instead checks the directory once per tenth of its limits written (entries or
bytes) by this process, and then removes the oldest entries until it is under
90 % of both ``MAX_ENTRIES`` and ``MAX_BYTES``. Between two checks a process adds
at most a tenth of either limit, so the directory never exceeds the limits by
more than a tenth per worker.

Why not diskcache's Django back-end (SQLite-indexed, bounded by bytes): its last
release is from 2023 and an advisory about its pickled values (CVE-2025-69872)
has no fixed release, so ``pip-audit`` in CI would fail on it. Django's file
cache pickles too; the directory is created owner-only (0700), as Django does.
"""

import logging
import os
import pickle
import threading
import time
import zlib

from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("atlas.cache")

FAULT_LOG_SECONDS = 60
RETRY_SECONDS = 10
# A file another worker is still writing is younger than this; older strays (left by
# a killed process between mkstemp and the rename) are removed by the size check.
STRAY_SECONDS = 600


class _Faults:
    """When a store last failed and when that was last logged (one per process and store)."""

    _lock = threading.Lock()
    _by_store: dict[str, "_Faults"] = {}

    def __init__(self):
        self.bypass_until = 0.0
        self.logged_at = -float("inf")
        self.suppressed = 0

    @classmethod
    def of(cls, store: str) -> "_Faults":
        with cls._lock:
            return cls._by_store.setdefault(store, cls())


class FailSafeMixin:
    """Every cache call that fails acts as a miss; see the module's docstring."""

    retry_seconds = RETRY_SECONDS
    fault_log_seconds = FAULT_LOG_SECONDS

    def __init__(self, location, params):
        # A copy: each thread builds its own instance from the same settings.
        options = dict(params.get("OPTIONS", {}))
        params = {**params, "OPTIONS": options}
        self.retry_seconds = options.pop("RETRY_SECONDS", self.retry_seconds)
        self.fault_log_seconds = options.pop("FAULT_LOG_SECONDS", self.fault_log_seconds)
        self._faults = _Faults.of(f"{type(self).__name__}:{location}")
        try:
            super().__init__(location, params)
        except OSError as exc:  # the file cache creates its directory here
            self._failed("open", exc)

    def _failed(self, operation: str, exc: BaseException) -> None:
        faults = self._faults
        now = time.monotonic()
        faults.bypass_until = now + self.retry_seconds
        if now - faults.logged_at >= self.fault_log_seconds:
            logger.warning(
                "cache %s failed (%s: %s); serving without the cache, retrying in %ss%s",
                operation,
                type(exc).__name__,
                exc,
                self.retry_seconds,
                f" ({faults.suppressed} more failures not logged)" if faults.suppressed else "",
            )
            faults.logged_at = now
            faults.suppressed = 0
        else:
            faults.suppressed += 1

    def _call(self, operation: str, miss, *args, **kwargs):
        if time.monotonic() < self._faults.bypass_until:
            return miss
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except Exception as exc:
            self._failed(operation, exc)
            return miss

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def set(self, key, value, *args, **kwargs):
        return self._call("set", None, key, value, *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        return self._call("set_many", list(data), data, *args, **kwargs)

    def add(self, key, value, *args, **kwargs):
        return self._call("add", False, key, value, *args, **kwargs)

    def touch(self, key, *args, **kwargs):
        return self._call("touch", False, key, *args, **kwargs)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", None)


class BoundedFileCache(FileBasedCache):
    """Django's file cache, bounded in entries and bytes at an amortised constant cost."""

    def __init__(self, location, params):
        options = dict(params.get("OPTIONS", {}))
        params = {**params, "OPTIONS": options}
        self._max_bytes = int(options.pop("MAX_BYTES", 256 * 1024 * 1024))
        self._sets_since_check = 0
        self._bytes_since_check = 0
        super().__init__(location, params)  # last: it may fail to create the directory

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except (EOFError, pickle.UnpicklingError, zlib.error, ValueError):
            # A damaged entry (a disk that filled up mid-write, a crash) is a miss,
            # and is removed so that it is not read again.
            self.delete(key, version)
            return default

    def _write_content(self, file, timeout, value):
        super()._write_content(file, timeout, value)
        self._bytes_since_check += file.tell()

    def _cull(self):
        # Called by set() before each write: check only now and then (see the module).
        self._sets_since_check += 1
        if self._sets_since_check < max(
            1, self._max_entries // 10
        ) and self._bytes_since_check < max(1, self._max_bytes // 10):
            return
        self._sets_since_check = self._bytes_since_check = 0
        self.shrink()

    def shrink(self) -> None:
        """Remove the oldest entries until under 90 % of both limits. One directory scan."""
        entries, now = [], time.time()
        with os.scandir(self._dir) as listing:
            for item in listing:
                try:
                    stat = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed meanwhile by another worker
                if item.name.endswith(self.cache_suffix):
                    entries.append((stat.st_mtime, stat.st_size, item.path))
                elif item.is_file(follow_symlinks=False) and now - stat.st_mtime > STRAY_SECONDS:
                    self._delete(item.path)
        count, total = len(entries), sum(size for _, size, _ in entries)
        if count <= self._max_entries and total <= self._max_bytes:
            return
        entries.sort()
        keep_entries, keep_bytes = self._max_entries * 9 // 10, self._max_bytes * 9 // 10
        for _, size, path in entries:
            if count <= keep_entries and total <= keep_bytes:
                break
            self._delete(path)
            count, total = count - 1, total - size

    def stats(self) -> tuple[int, int]:
        """(entries, bytes) in the directory now: one scan, for tests and operators."""
        count = total = 0
        with os.scandir(self._dir) as listing:
            for item in listing:
                if item.name.endswith(self.cache_suffix):
                    count += 1
                    total += item.stat(follow_symlinks=False).st_size
        return count, total


class FailSafeFileCache(FailSafeMixin, BoundedFileCache):
    """Production's cache on one host (``CACHE_DIR``)."""


class FailSafeRedisCache(FailSafeMixin, RedisCache):
    """Production's cache shared by several hosts (``REDIS_URL``)."""
