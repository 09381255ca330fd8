"""/health/ answers quickly: 200 when the database answers, 503 within 2 s when it does not.

The database that does not answer is a server on loopback that accepts connections
and never says a word (what a paused PostgreSQL looks like to a client: the kernel
completes the handshake, nobody answers the startup message).
"""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_server():
    """A loopback TCP server that accepts and never answers. Yields its port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def site_on_a_hung_database(silent_server):
    """gunicorn serving the site, its database the silent server. Yields the site's URL."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://atlas@127.0.0.1:{silent_server}/atlas",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "",
    }
    server = subprocess.Popen(
        # --preload: the app is loaded before the port opens, so the first probe is timed
        # against the database, not against a worker still importing Django.
        [*GUNICORN, "--preload", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_health_is_503_within_two_seconds_when_the_database_does_not_answer(
    site_on_a_hung_database,
):
    def probe() -> tuple[int, float]:
        started = time.monotonic()
        try:
            with urlopen(f"{site_on_a_hung_database}/health/", timeout=10) as response:
                status = response.status
        except HTTPError as error:
            status = error.code
        return status, time.monotonic() - started

    status, elapsed = probe()
    assert status == 503
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
    # Again, while the first check may still be waiting for the database: as quick.
    status, elapsed = probe()
    assert status == 503
    assert elapsed < 2.0, f"took {elapsed:.2f} s"


def test_health_is_503_at_once_when_the_database_refuses(client, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the connection is refused
    refused = {
        **connections.settings["default"],
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NAME": "atlas",
        "USER": "atlas",
        "OPTIONS": {},
    }
    monkeypatch.setitem(connections.settings, "default", refused)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["detail"] == "OperationalError"
