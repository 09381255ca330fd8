"""Production smoke test: what the Docker image runs, proven without Docker.

Creates a throw-away PostgreSQL database next to the one in PG_URL, runs the
image's steps (collectstatic into a temporary STATIC_ROOT, migrate, load_book),
starts bin/docker-entrypoint.sh (migrate again, then gunicorn with production
settings) on 127.0.0.1, fetches the pages an operator and a visitor would, checks
status codes and security headers, then stops the server and drops the database.

Run by .ci/extra with the Python of an environment holding only the runtime
dependencies (as the image does):  python .ci/smoke_test.py
Environment: PG_URL (required), SMOKE_PORT (default 8409).
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HOST = "atlas.example.org"
PORT = int(os.environ.get("SMOKE_PORT", "8409"))
failures: list[str] = []


def check(condition: bool, what: str) -> None:
    print(("  ok   " if condition else "  FAIL ") + what)
    if not condition:
        failures.append(what)


def fetch(path: str, *, https: bool = True, host: str = HOST, headers: dict | None = None):
    """GET without following redirects; https=True sends the proxy's X-Forwarded-Proto."""
    all_headers = {"Host": host, **(headers or {})}
    if https:
        all_headers["X-Forwarded-Proto"] = "https"
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    try:
        connection.request("GET", path, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def run(env: dict, *args: str) -> None:
    print("$ " + " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, env=env, check=True)  # noqa: S603 (our own commands)


def wait_until_up(process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited early with code {process.returncode}")
        try:
            if fetch("/health/", https=False)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer /health/ in time")


def worker_count(master_pid: int) -> int:
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The parent pid is the 2nd field after the parenthesised command name.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            count += 1
    return count


def check_pages(master_pid: int) -> None:
    status, headers, body = fetch("/health/", https=False)
    check(status == 200 and b'"ok"' in body, f"/health/ over plain HTTP is 200 ok (got {status})")

    status, headers, _ = fetch("/", https=False)
    location = headers.get("Location", "")
    check(
        status == 301 and location == f"https://{HOST}/",
        f"plain HTTP / redirects to HTTPS (got {status} {location})",
    )

    status, headers, home = fetch("/")
    check(status == 200, f"/ is 200 over HTTPS (got {status})")
    hsts = headers.get("Strict-Transport-Security", "")
    check("max-age=31536000" in hsts and "includeSubDomains" in hsts, f"HSTS header: {hsts!r}")
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'self'" in csp and "'unsafe-inline'" not in csp, f"CSP header: {csp!r}")
    check(headers.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options: nosniff")
    check(headers.get("X-Frame-Options") == "DENY", "X-Frame-Options: DENY")
    check(headers.get("Referrer-Policy") == "same-origin", "Referrer-Policy: same-origin")

    status, _, cases = fetch("/cases/")
    check(status == 200, f"/cases/ is 200 (got {status})")
    slugs = re.findall(rb'href="/cases/([a-z0-9-]+)/"', cases)
    check(bool(slugs), "/cases/ links to at least one case (load_book loaded the book)")
    if slugs:
        status, _, _ = fetch(f"/cases/{slugs[0].decode()}/")
        check(status == 200, f"case page /cases/{slugs[0].decode()}/ is 200 (got {status})")

    css = re.search(rb'href="(/static/css/atlas\.[0-9a-f]{12}\.css)"', home)
    check(css is not None, "the home page links a content-hashed stylesheet")
    if css:
        status, headers, _ = fetch(css.group(1).decode(), headers={"Accept-Encoding": "gzip"})
        check(status == 200, f"{css.group(1).decode()} is 200 (got {status})")
        check("immutable" in headers.get("Cache-Control", ""), "hashed CSS is cached for ever")
        check(headers.get("Content-Encoding") == "gzip", "hashed CSS is served compressed")

    status, _, body = fetch("/no-such-page/")
    check(status == 404 and b"Traceback" not in body, f"unknown page is a plain 404 ({status})")
    status, _, body = fetch("/", host="evil.example.com")
    check(status == 400 and b"Traceback" not in body, f"a foreign Host is refused ({status})")

    status, headers, _ = fetch("/admin/login/")
    cookie = headers.get("Set-Cookie", "")
    check(
        status == 200 and "Secure" in cookie, f"admin login is 200 with a Secure cookie ({status})"
    )

    workers = worker_count(master_pid)
    check(workers >= 2, f"gunicorn runs {workers} workers (2 or more)")


def main() -> int:
    pg_url = os.environ["PG_URL"]
    parts = urlsplit(pg_url)
    name = f"{parts.path.lstrip('/') or 'atlas'}_smoke_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    database_url = urlunsplit(parts._replace(path=f"/{name}"))
    static_root = tempfile.mkdtemp(prefix="atlas-static-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": static_root,
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "WEB_CONCURRENCY": "2",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    print(f"throw-away database {name}; static files in {static_root}")
    # Not inside STATIC_ROOT: whitenoise would serve anything found there.
    log_path = Path(tempfile.mkdtemp(prefix="atlas-smoke-")) / "server.log"
    server = None
    try:
        run(env, "python", "manage.py", "collectstatic", "--noinput", "-v0")
        run(env, "python", "manage.py", "migrate", "--noinput", "-v0")
        run(env, "python", "manage.py", "load_book")
        with log_path.open("wb") as log:
            entrypoint = [ROOT / "bin/docker-entrypoint.sh"]
            server = subprocess.Popen(entrypoint, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
            wait_until_up(server, time.monotonic() + 60)
            run(env | {"PORT": str(PORT)}, "python", "bin/healthcheck.py")
            check_pages(server.pid)
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=40)
            check(
                server.returncode == 0, f"gunicorn stops cleanly on SIGTERM ({server.returncode})"
            )
        log_text = log_path.read_text(errors="replace")
        check(
            re.search(r"logger=atlas\.request .*path=/cases/ .*status=200", log_text) is not None,
            "Django logs one structured line per request",
        )
        check("logger=gunicorn.access" in log_text, "gunicorn's access log is on stdout")
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        if failures and log_path.exists():
            print("--- server log (last 40 lines) ---")
            print("\n".join(log_path.read_text(errors="replace").splitlines()[-40:]))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(log_path.parent, ignore_errors=True)
        print(f"dropped {name}")
    if failures:
        print(f"smoke test: {len(failures)} check(s) failed")
        return 1
    print("smoke test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
