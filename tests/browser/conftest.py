"""Real-browser tests: Playwright driving Debian's Chromium against a live server.

Playwright's own browser download does not work on these machines, so the tests
use /usr/bin/chromium. Without it they skip, unless REQUIRE_BROWSER=1 (as in
`make test` and CI), where a missing browser is a failure.
"""

import os
import shutil

import pytest

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS

# Playwright runs an event loop in the test thread; Django's async-safety guard
# would otherwise refuse the ORM calls the tests make to set up data.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package.")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def site_pages(transactional_db):
    """A small published data set (factories) and every public page it fills."""
    from .pages import make_demo_data, public_pages

    make_demo_data()
    return public_pages()
