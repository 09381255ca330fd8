"""Read replicas: which database each request reads, fallback, health, read-your-writes.

The test settings define ``replica_1``, a second connection to the test database
(Django's test mirror). ``replicas`` switches reads to it; the tests run outside a
transaction (``transaction=True``) because the replica's connection, like a real
replica, sees only what the primary has committed. tests/test_replica_stamp.py
covers the cached counts; tests/test_streaming_replica.py a real streaming replica.
"""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext

from casestudies.models import Case
from config import db_router, replicas
from config.db_router import READ_YOUR_WRITES_COOKIE, PrimaryReplicaRouter

from .factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica_1"])
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def replicas_on(settings):
    settings.DATABASE_REPLICAS = ["replica_1"]
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 10
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    settings.DATABASE_READ_YOUR_WRITES_SECONDS = 30
    db_router._monitor = None
    yield
    db_router._monitor = None


@pytest.fixture
def case(db):
    return CaseFactory(title="Routed case")


def _reads(client, url, **kwargs):
    """(status, casestudies queries on the primary, on the replica) of one GET."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica_1"]) as replica,
    ):
        response = client.get(url, **kwargs)

    def ours(captured):
        return [q["sql"] for q in captured if "casestudies_" in q["sql"]]

    return response.status_code, ours(primary), ours(replica)


def test_public_pages_read_from_the_replica(client, replicas_on, case):
    for url in ["/", "/cases/", f"/cases/{case.slug}/", "/cases.csv"]:
        status, on_primary, on_replica = _reads(client, url)
        assert status == 200, url
        assert on_replica, url
        assert on_primary == [], url


def test_without_replicas_everything_reads_the_primary(client, case):
    status, on_primary, on_replica = _reads(client, f"/cases/{case.slug}/")
    assert status == 200
    assert on_primary and on_replica == []


def test_the_admin_and_writes_use_the_primary(client, replicas_on, case, curator):
    client.force_login(curator)
    status, on_primary, on_replica = _reads(client, f"/admin/casestudies/case/{case.pk}/change/")
    assert status == 200
    assert on_primary and on_replica == []
    response = client.post("/admin/logout/")
    assert response.status_code == 200


def test_outside_a_request_the_primary_is_used(replicas_on, case):
    # Management commands (imports, releases, migrations) and the shell.
    assert Case.objects.all().db == "default"
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("replica_1", "casestudies") is False
    assert router.allow_migrate("default", "casestudies") is None


def test_reads_inside_a_transaction_on_the_primary_stay_on_it(replicas_on, case):
    token = db_router._read_alias.set("replica_1")
    try:
        assert Case.objects.all().db == "replica_1"
        with transaction.atomic():
            assert Case.objects.all().db == "default"
    finally:
        db_router._read_alias.reset(token)


def test_sessions_and_users_are_always_read_from_the_primary(client, replicas_on, curator, case):
    client.force_login(curator)
    with CaptureQueriesContext(connections["replica_1"]) as replica:
        assert client.get(f"/cases/{case.slug}/").status_code == 200
    sqls = " ".join(q["sql"] for q in replica)
    assert "casestudies_case" in sqls
    assert "django_session" not in sqls and "auth_user" not in sqls


def test_a_client_reads_its_own_writes_from_the_primary(client, replicas_on, case, curator):
    client.force_login(curator)
    response = client.post(
        f"/admin/casestudies/case/{case.pk}/delete/", {"post": "yes"}, follow=False
    )
    assert response.status_code == 302
    cookie = response.cookies[READ_YOUR_WRITES_COOKIE]
    assert cookie["max-age"] == 30 and cookie["httponly"]
    client.logout()  # the test client's logout drops every cookie; a browser keeps this one
    client.cookies[READ_YOUR_WRITES_COOKIE] = cookie.value
    status, on_primary, on_replica = _reads(client, "/cases/")
    assert status == 200
    assert on_primary and on_replica == []


def test_a_forged_far_future_write_cookie_is_ignored(client, replicas_on, case):
    client.cookies[READ_YOUR_WRITES_COOKIE] = "99999999999"
    _, on_primary, on_replica = _reads(client, "/cases/")
    assert on_replica and on_primary == []
    client.cookies[READ_YOUR_WRITES_COOKIE] = "not a number"
    _, on_primary, on_replica = _reads(client, "/cases/")
    assert on_replica and on_primary == []


def test_an_unreachable_replica_is_skipped_with_a_warning(
    client, replicas_on, case, monkeypatch, caplog
):
    def refuse(alias, wal):
        raise OperationalError("connection refused")

    monkeypatch.setattr(replicas, "measure_lag", refuse)
    with caplog.at_level(logging.WARNING, logger="atlas.replicas"):
        status, on_primary, on_replica = _reads(client, "/cases/")
        _reads(client, "/cases/")
    assert status == 200
    assert on_primary and on_replica == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "atlas.replicas"]
    # Said once when it happens, not on every request.
    assert warnings == [
        "replica replica_1 not used, reads go to the primary (unreachable: connection refused)"
    ]


def test_a_lagging_replica_is_skipped_until_it_catches_up(
    client, replicas_on, case, monkeypatch, caplog, settings
):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0  # ask at every request
    lag = {"seconds": 11.0}
    monkeypatch.setattr(replicas, "measure_lag", lambda alias, wal: lag["seconds"])
    with caplog.at_level(logging.WARNING, logger="atlas.replicas"):
        _, on_primary, on_replica = _reads(client, "/cases/")
        assert on_primary and on_replica == []
        lag["seconds"] = 2.0
        _, on_primary, on_replica = _reads(client, "/cases/")
        assert on_replica and on_primary == []
    messages = [r.getMessage() for r in caplog.records if r.name == "atlas.replicas"]
    assert messages == [
        "replica replica_1 not used, reads go to the primary (lag 11.0 s > 10 s)",
        "replica replica_1 is usable again (lag 2.0 s)",
    ]


def test_a_replica_failing_mid_request_is_answered_from_the_primary(
    client, replicas_on, case, tmp_path, caplog
):
    assert client.get("/cases/").status_code == 200  # checked once: usable for 60 s
    replica = connections["replica_1"]
    # SQLite's close() keeps an in-memory test database open; the base close() does not.
    BaseDatabaseWrapper.close(replica)
    good = replica.settings_dict
    if replica.vendor == "postgresql":
        broken = {**good, "NAME": "atlas_no_such_database"}
    else:
        broken = {**good, "NAME": str(tmp_path / "missing" / "db.sqlite3")}
    replica.settings_dict = broken  # the replica goes away between two checks
    try:
        with caplog.at_level(logging.WARNING, logger="atlas.replicas"):
            response = client.get(f"/cases/{case.slug}/")
            assert response.status_code == 200
            assert "Routed case" in response.content.decode()
            with CaptureQueriesContext(connections["default"]) as primary:
                assert client.get("/cases/").status_code == 200  # no second try on it
            assert any("casestudies_case" in q["sql"] for q in primary)
    finally:
        BaseDatabaseWrapper.close(replica)
        replica.settings_dict = good
    messages = [r.getMessage() for r in caplog.records if r.name == "atlas.replicas"]
    assert messages[0].startswith("replica replica_1 not used, reads go to the primary")
    assert messages[1] == (
        f"replica replica_1 failed during /cases/{case.slug}/, answering from the primary"
    )


def test_health_reports_each_database(client, replicas_on, monkeypatch):
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["databases"] == {
        "default": {"status": "ok"},
        "replica_1": {"status": "ok", "lag_seconds": 0.0},
    }
    monkeypatch.setattr(replicas, "measure_lag", lambda alias, wal: 42.0)
    response = client.get("/health/")
    assert response.status_code == 200  # the primary serves everything meanwhile
    assert response.json()["status"] == "degraded"
    assert response.json()["databases"]["replica_1"] == {"status": "lagging", "lag_seconds": 42.0}


def test_health_without_replicas_names_the_primary_only(client):
    assert client.get("/health/").json() == {
        "status": "ok",
        "database": "ok",
        "databases": {"default": {"status": "ok"}},
    }


PRIMARY = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "atlas",
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
    "OPTIONS": {"options": "-c jit=off"},
}


def test_each_replica_url_becomes_an_alias_with_the_primary_options():
    databases = replicas.replica_databases(
        ["postgres://reader@10.0.0.2:5432/atlas", "postgres://reader@10.0.0.3/atlas"], PRIMARY
    )
    assert list(databases) == ["replica_1", "replica_2"]
    first = databases["replica_1"]
    assert (first["HOST"], first["USER"], first["NAME"]) == ("10.0.0.2", "reader", "atlas")
    assert first["OPTIONS"] == {"options": "-c jit=off"}
    assert first["OPTIONS"] is not PRIMARY["OPTIONS"]
    assert first["CONN_MAX_AGE"] == 60 and first["CONN_HEALTH_CHECKS"] is True
    assert first["TEST"] == {"MIRROR": "default"}


def test_a_replica_of_another_kind_of_database_is_refused():
    with pytest.raises(ImproperlyConfigured, match=r"replica 1 is django\.db\.backends\.sqlite3"):
        replicas.replica_databases(["sqlite:////tmp/x.sqlite3"], PRIMARY)


def test_a_replica_is_dated_by_the_newest_primary_position_it_has_replayed():
    now = {"t": 100.0}
    wal = replicas.PrimaryWal(keep_seconds=30, clock=lambda: now["t"])
    wal.samples.extend([(90.0, replicas._position("0/100")), (95.0, replicas._position("0/200"))])
    assert replicas._position("1/0") == 1 << 32
    assert wal.seconds_behind(replicas._position("0/250")) == 5.0  # has what 95.0 saw
    assert wal.seconds_behind(replicas._position("0/150")) == 10.0
    assert wal.seconds_behind(replicas._position("0/50")) is None  # older than any sample


def test_health_hides_why_a_replica_is_unreachable():
    state = replicas.ReplicaState(False, None, "connection to server at 10.0.0.3 failed")
    assert state.as_json() == {"status": "unreachable"}
    assert replicas.ReplicaState(False, float("inf")).as_json() == {
        "status": "lagging",
        "lag_seconds": None,
    }


def _databases_with(**env_vars) -> dict:
    """settings.DATABASES as a fresh process builds it from ``env_vars`` (dev settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "DJANGO", "PG_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.dev", **env_vars})
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'databases': settings.DATABASES, "
        "'replicas': settings.DATABASE_REPLICAS}, default=str))"
    )
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_replica_urls_in_the_environment_become_replica_databases():
    found = _databases_with(
        DATABASE_URL="postgres://app@db1:5432/atlas",
        DATABASE_REPLICA_URLS="postgres://app@db2:5432/atlas, postgres://app@db3:5432/atlas",
    )
    assert found["replicas"] == ["replica_1", "replica_2"]
    replica = found["databases"]["replica_2"]
    assert replica["HOST"] == "db3"
    assert replica["OPTIONS"] == {
        # The primary's options, its statement timeout included; a connect timeout of its own.
        "options": "-c jit=off -c statement_timeout=30000",
        "connect_timeout": 3,
        "application_name": "atlas:replica_2",
    }
    assert not replica.get("DISABLE_SERVER_SIDE_CURSORS")


def test_transaction_pooling_turns_off_what_cannot_outlive_a_transaction():
    found = _databases_with(
        DATABASE_URL="postgres://app@pooler:6432/atlas",
        DATABASE_REPLICA_URLS="postgres://app@pooler-replica:6432/atlas",
        DATABASE_TRANSACTION_POOLING="1",
    )
    for alias in ("default", "replica_1"):
        settings = found["databases"][alias]
        assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True, alias
        assert "options" not in settings["OPTIONS"], alias


def test_without_replica_urls_there_is_only_the_primary():
    found = _databases_with(DATABASE_URL="postgres://app@db1:5432/atlas")
    assert found["replicas"] == []
    assert list(found["databases"]) == ["default"]
