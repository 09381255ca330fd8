"""The site with a real streaming replica: a second PostgreSQL cluster on this machine.

Needs the local PostgreSQL (5432) and its server programs; runs when
ATLAS_REPLICA_TEST=1 (.ci/extra sets it), since it copies the whole cluster and
runs for a minute or two. scripts/pg_replica.py makes the replica (``pg_basebackup
-R`` into a throw-away directory, port 5433) and removes it however the test ends.

The production server (gunicorn, production settings) runs with the primary and
the replica, and the test shows, from PostgreSQL's own views and the pages:

1. public pages are read from the replica (``pg_stat_activity`` on each cluster);
2. a curator's write goes to the primary (a hot standby refuses writes) and the
   curator sees it at once, while the replica, paused, still serves the old page to
   others;
3. a replica that is further behind than the bound is not used (and it is said so);
4. with the replica stopped the site keeps answering and /health/ names the replica.
"""

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.pg_replica import HOST, StreamingReplica, _psql

ROOT = Path(__file__).resolve().parent.parent
PRIMARY_PORT = 5432
REPLICA_PORT = int(os.environ.get("ATLAS_REPLICA_PORT", "5433"))
WEB_PORT = int(os.environ.get("ATLAS_REPLICA_WEB_PORT", "8119"))
MAX_LAG = 5  # seconds: DATABASE_REPLICA_MAX_LAG_SECONDS of the server under test

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(
        os.environ.get("ATLAS_REPLICA_TEST") != "1",
        reason="a real streaming replica: set ATLAS_REPLICA_TEST=1 (.ci/extra does)",
    ),
]


class Browser:
    """Cookies kept by hand: the production session cookie is Secure, and this is HTTP."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):
        connection = http.client.HTTPConnection(HOST, WEB_PORT, timeout=60)
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value.strip()
        return response.status, text

    def get(self, path: str):
        return self.request("GET", path)

    def csrf_post(self, path: str, fields: dict):
        status, page = self.get(path)
        assert status == 200, (path, status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **fields})


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _sql(port: int, db: str, sql: str) -> str:
    return _psql(port, sql, db=db)


def _count_case(port: int, db: str, pk: int) -> str:
    return _sql(port, db, f"SELECT count(*) FROM casestudies_case WHERE id = {int(pk)}")  # noqa: S608


def _app_queries(port: int, db: str, application: str) -> list[str]:
    """The last statement of each of the web server's connections to ``db`` on ``port``."""
    rows = _sql(
        port,
        db,
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() "  # noqa: S608
        f"AND pid <> pg_backend_pid() AND application_name = '{application}'",
    )
    return rows.splitlines()


def _wait(predicate, timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def site():
    db = f"atlas_replica_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="atlas-replica-test-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": f"postgres://postgres@{HOST}:{PRIMARY_PORT}/{db}",
        "SECRET_KEY": "replica-test-" + "k" * 50,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(work / "static"),
        "CACHE_DIR": str(work / "cache"),
        "LOG_LEVEL": "WARNING",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    _psql(PRIMARY_PORT, f"CREATE DATABASE {db}")
    replica = StreamingReplica(port=REPLICA_PORT, primary_port=PRIMARY_PORT)
    server = log = None
    try:
        _manage(env, "migrate", "--noinput", "-v0")
        _manage(env, "load_book", "-v0")
        _manage(env, "collectstatic", "--noinput", "-v0")
        _manage(
            env,
            "shell",
            "-c",
            "from casestudies.plumbing.roles import curators_group_sync; "
            "from django.contrib.auth.models import User; "
            "u = User.objects.create_user('curator', password='replica-test-pw', is_staff=True); "
            "u.groups.add(curators_group_sync())",
        )
        replica.__enter__()
        server_env = {
            **env,
            "DATABASE_REPLICA_URLS": replica.url(db),
            "DATABASE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
            "DATABASE_REPLICA_CHECK_SECONDS": "1",
            "DATABASE_READ_YOUR_WRITES_SECONDS": "60",
            "GUNICORN_BIND": f"{HOST}:{WEB_PORT}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESS_LOG": "",
        }
        log = (work / "server.log").open("wb")
        server = subprocess.Popen(
            [ROOT / "bin/docker-entrypoint.sh"], cwd=ROOT, env=server_env, stdout=log, stderr=log
        )
        _wait(lambda: _up(), timeout=90, what="gunicorn")
        yield {"db": db, "replica": replica, "log": work / "server.log"}
    finally:
        started = time.monotonic()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                server.kill()
        if log is not None:
            log.close()
        print(f"server stopped after {time.monotonic() - started:.1f} s", file=sys.stderr)
        replica.__exit__(None, None, None)
        print(f"replica removed after {time.monotonic() - started:.1f} s", file=sys.stderr)
        _psql(PRIMARY_PORT, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        subprocess.run(["rm", "-rf", str(work)], check=False)


def _up() -> bool:
    try:
        return Browser().get("/health/")[0] == 200
    except OSError:
        return False


def _a_case(browser, db: str) -> tuple[str, int]:
    """(slug, pk) of a published case linked from the public list."""
    status, page = browser.get("/cases/")
    assert status == 200
    slug = re.search(r'href="/cases/([a-z0-9-]+)/"', page).group(1)
    # The slug matched [a-z0-9-]+: safe to write into the statement.
    pk = _sql(PRIMARY_PORT, db, f"SELECT id FROM casestudies_case WHERE slug = '{slug}'")  # noqa: S608
    return slug, int(pk)


def _replayed_up_to_now(db: str) -> bool:
    lsn = _sql(PRIMARY_PORT, db, "SELECT pg_current_wal_lsn()")
    return _sql(REPLICA_PORT, db, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'") == "t"


def test_public_pages_read_the_replica_and_writes_go_to_the_primary(site):
    db = site["db"]
    visitor = Browser()
    health = visitor.get("/health/")
    assert health[0] == 200 and '"replica_1": {"status": "ok"' in health[1], health

    for path in ["/", "/cases/", "/cases/?country=DE", "/matrix/"]:
        assert visitor.get(path)[0] == 200, path
    # Every web connection to the replica last ran one of the site's queries; none of the
    # connections to the primary did (they only read its WAL position for the lag check).
    on_replica = _app_queries(REPLICA_PORT, db, "atlas:replica_1")
    assert any("casestudies_" in q for q in on_replica), on_replica
    assert _sql(REPLICA_PORT, db, "SELECT pg_is_in_recovery()") == "t"
    primary_rows = _sql(
        PRIMARY_PORT,
        db,
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()",
    ).splitlines()
    assert primary_rows and not any("casestudies_" in q for q in primary_rows), primary_rows

    # A curator deletes a case while the replica is paused (its replay, not its
    # connections): the curator sees the deletion at once, a visitor still the case.
    slug, pk = _a_case(visitor, db)
    curator = Browser()
    status, _ = curator.csrf_post(
        "/admin/login/?next=/admin/",
        {"username": "curator", "password": "replica-test-pw", "next": "/admin/"},
    )
    assert status == 302, "the curator could not sign in"
    _, delete_page = curator.get(f"/admin/casestudies/case/{pk}/delete/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', delete_page).group(1)
    # A fresh transaction replayed just before the pause: the lag starts from zero.
    _sql(PRIMARY_PORT, db, "UPDATE casestudies_facet_stamp SET n = n")
    _wait(lambda: _replayed_up_to_now(db), what="the replica to catch up")
    _sql(REPLICA_PORT, db, "SELECT pg_wal_replay_pause()")
    try:
        status, _ = curator.request(
            "POST",
            f"/admin/casestudies/case/{pk}/delete/",
            {"csrfmiddlewaretoken": token, "post": "yes"},
        )
        assert status == 302, "the deletion was refused"
        # The write is on the primary (a hot standby refuses every write)...
        assert _count_case(PRIMARY_PORT, db, pk) == "0"
        assert _count_case(REPLICA_PORT, db, pk) == "1"
        # ...the curator reads it back at once, from the primary...
        assert curator.get(f"/cases/{slug}/")[0] == 404
        # ...while a visitor is served by the replica, within the lag bound.
        assert visitor.get(f"/cases/{slug}/")[0] == 200

        # Further behind than the bound: nobody reads the replica any more.
        time.sleep(MAX_LAG + 1.5)
        _wait(lambda: visitor.get(f"/cases/{slug}/")[0] == 404, timeout=10, what="fallback")
        assert "replica replica_1 not used" in site["log"].read_text()
        health = visitor.get("/health/")
        assert health[0] == 200 and '"status": "lagging"' in health[1], health
    finally:
        _sql(REPLICA_PORT, db, "SELECT pg_wal_replay_resume()")
    _wait(lambda: '"replica_1": {"status": "ok"' in visitor.get("/health/")[1], what="catch-up")
    assert visitor.get(f"/cases/{slug}/")[0] == 404


def test_the_site_keeps_answering_when_the_replica_stops(site):
    visitor = Browser()
    assert visitor.get("/cases/")[0] == 200
    site["replica"].stop()
    for path in ["/", "/cases/", "/cases/?country=DE", "/matrix/", "/cases.csv?country=DE"]:
        for _ in range(3):  # both workers, each with a connection to the stopped replica
            status, _ = visitor.get(path)
            assert status == 200, path
    health = visitor.get("/health/")
    assert health[0] == 200
    assert '"status": "degraded"' in health[1] and '"status": "unreachable"' in health[1]
    assert "replica replica_1 not used" in site["log"].read_text()
