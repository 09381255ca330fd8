"""Security policies a visitor's browser and an attacker would meet.

Pages are enumerated from the URLconf (tests/public_urls.py), so a page added
later is checked for CSP-safe markup and escaping without editing this file.
"""

import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from .factories import CaseFactory, ChapterFactory, CountryFactory, OutcomeFactory
from .public_urls import RealObjects, concrete_paths

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = "<script>alert(1)</script>"
ESCAPED_TITLE = "&lt;script&gt;alert(1)&lt;/script&gt;"
PASSWORD = "correct horse battery staple"  # the factories' password


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP (no 'unsafe-inline') would block."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= attribute on <{tag}>")
        self.problems += [f"{name}= handler on <{tag}>" for name in names if name.startswith("on")]
        for name, value in attrs:
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")


@pytest.fixture
def real(db, request):
    country = CountryFactory(code="SE", name="Sweden")
    case = CaseFactory(title="Parent co-operatives", countries=[country])
    OutcomeFactory(case=case)
    request.getfixturevalue("release_1_0")
    return RealObjects(case.slug, case.chapter.number, country.code)


@pytest.fixture
def hostile(db, request):
    """A case whose curator-entered text is markup, on every kind of page that lists cases."""
    country = CountryFactory(code="NL", name="Netherlands")
    chapter = ChapterFactory(title=f"Chapter {HOSTILE_TITLE}")
    case = CaseFactory(
        title=HOSTILE_TITLE,
        slug="hostile",
        chapter=chapter,
        summary=f"Summary {HOSTILE_TITLE}",
        countries=[country],
    )
    OutcomeFactory(case=case, finding=f"Finding {HOSTILE_TITLE}")
    request.getfixturevalue("release_1_0")
    return RealObjects(case.slug, chapter.number, country.code)


def _html_pages(client, real):
    for name, path in concrete_paths(real):
        response = client.get(path)
        if response.get("Content-Type", "").startswith("text/html"):
            yield name, path, response


def test_every_public_html_page_has_csp_and_no_inline_code(client, real):
    checked = []
    for _name, path, response in _html_pages(client, real):
        assert response.status_code == 200, path
        csp = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], f"{path}: {finder.problems}"
        checked.append(path)
    # The walk really reached the pages (an empty URLconf walk would pass vacuously).
    assert {"/", "/cases/", f"/cases/{real.case_slug}/"} <= set(checked)


def test_error_pages_have_csp_and_no_inline_code(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "default-src 'self'" in response["Content-Security-Policy"]
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    assert finder.problems == []


def test_hostile_case_text_is_escaped_on_every_page(client, hostile):
    shown_on = []
    for _name, path, response in _html_pages(client, hostile):
        html = response.content.decode()
        assert HOSTILE_TITLE not in html, f"unescaped markup on {path}"
        if ESCAPED_TITLE in html:
            shown_on.append(path)
    # The pages that show case titles did show it, escaped.
    for path in ["/cases/", f"/cases/{hostile.case_slug}/", f"/countries/{hostile.country_code}/"]:
        assert path in shown_on


def test_hostile_case_text_is_escaped_in_the_admin(client, superuser, hostile):
    client.force_login(superuser)
    response = client.get(reverse("admin:casestudies_case_changelist"))
    assert response.status_code == 200
    assert HOSTILE_TITLE not in response.content.decode()
    assert ESCAPED_TITLE in response.content.decode()


def test_admin_login_requires_csrf_token(superuser):
    client = Client(enforce_csrf_checks=True)
    login = reverse("admin:login")
    credentials = {"username": superuser.username, "password": PASSWORD}
    assert client.post(login, credentials).status_code == 403
    # With the token the form hands out, the same login succeeds: the 403 was the CSRF check.
    client.get(login)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(login, {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_admin_login_locks_out_after_repeated_failures(client, superuser):
    login = reverse("admin:login")
    for _ in range(3):
        response = client.post(login, {"username": superuser.username, "password": "wrong"})
        assert response.status_code in {200, 429}
    # Locked out: even the right password is refused now.
    response = client.post(login, {"username": superuser.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_works_below_the_lockout_limit(client, superuser):
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
        client.post(reverse("admin:login"), {"username": superuser.username, "password": "x"})
        response = client.post(
            reverse("admin:login"), {"username": superuser.username, "password": PASSWORD}
        )
    assert response.status_code == 302


def test_no_debug_page_under_production_settings(tmp_path):
    """A server error under production settings shows the plain 500 page, no internals.

    The database is an empty SQLite file, so every page that reads cases fails with a
    real 'no such table' error, which must stay in the logs. Static files are collected
    first, as in production, because the pages link hashed file names.
    """
    script = (
        "import sys, django; django.setup()\n"
        "from pathlib import Path\n"
        "from django.core.management import call_command\n"
        "from django.test import Client\n"
        "call_command('collectstatic', interactive=False, verbosity=0)\n"
        "c = Client(raise_request_exception=False)\n"
        "h = {'HTTP_HOST': 'atlas.example.org', 'HTTP_X_FORWARDED_PROTO': 'https'}\n"
        "for name, path in [('error', '/cases/'), ('missing', '/no-such-page/')]:\n"
        "    r = c.get(path, **h)\n"
        "    Path(sys.argv[1], name).write_text(f'{r.status_code}\\n' + r.content.decode())\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "test-only-" + "x" * 50,
        "ALLOWED_HOSTS": "atlas.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # The error is logged with its context...
    assert "no such table" in result.stdout
    assert "path=/cases/" in result.stdout
    # ...and the visitor sees none of it.
    error_page = (tmp_path / "error").read_text()
    missing_page = (tmp_path / "missing").read_text()
    assert error_page.startswith("500\n")
    assert "Something went wrong" in error_page
    assert missing_page.startswith("404\n")
    for page in (error_page, missing_page):
        for leak in ["Traceback", "no such table", "OperationalError", "SECRET_KEY", "DEBUG"]:
            assert leak not in page
