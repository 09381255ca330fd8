"""Every public page in German, French and Spanish, in a real browser.

axe-core finds no serious or critical violation at 1280 and at 360 px in any
language, no page scrolls sideways at 360 px (German's long compounds), and the
language switcher changes the language without JavaScript, from the keyboard,
keeping the page's filters.
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from config.languages import url_in_language

from .a11y import axe_violations, describe
from .test_responsive import _LAYOUT, PHONE_WIDTH

SHIPPED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _in_language(path: str, status: int, language: str) -> str:
    # An address no route serves (the 404 page) has no translation to look up.
    return url_in_language(path, language) if status == 200 else f"/{language}{path}"


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_every_page_in_every_language_is_axe_clean_and_fits_a_phone(request, viewport, site_pages):
    page = request.getfixturevalue(viewport)
    failures = []
    for language in SHIPPED:
        for public_page in site_pages:
            path = _in_language(public_page.path, public_page.status, language)
            response = page.goto(path)
            assert response.status == public_page.status, path
            assert page.evaluate("() => document.documentElement.lang") == language, path
            violations = axe_violations(page)
            if violations:
                failures.append(f"{path}\n{describe(violations)}")
            if viewport == "phone_page":
                layout = page.evaluate(_LAYOUT)
                if layout["scrollWidth"] > min(layout["innerWidth"], PHONE_WIDTH):
                    failures.append(f"{path}: {layout['scrollWidth']} px wide at 360 px")
    assert not failures, "\n\n".join(failures)


def _tick_first_country_and_apply(page) -> str:
    box = page.locator("#facet-country input[type=checkbox]").first
    value = box.get_attribute("value")
    box.check()
    page.locator(".facet-apply button").first.click()
    expect(page).to_have_url(re.compile(rf"/cases/\?(.*&)?country={value}"))
    return value


def test_switching_language_keeps_the_page_and_its_filters(page, site_pages):
    page.goto("/cases/?sort=title")
    country = _tick_first_country_and_apply(page)

    page.select_option("#language-select", "de")
    page.locator(".language-switcher button").click()
    expect(page).to_have_url(re.compile(rf"/de/cases/\?(.*&)?country={country}"))
    expect(page).to_have_url(re.compile(r"sort=title"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator(f"#facet-country input[value='{country}']")).to_be_checked()
    expect(page.locator(".facet-apply button").first).to_have_text("Filter anwenden")

    # From the keyboard: the select, then Tab to its button and Enter.
    page.locator("#language-select").focus()
    page.keyboard.press("ArrowDown")  # Français
    page.keyboard.press("ArrowDown")  # Español
    page.keyboard.press("Tab")
    expect(page.locator(".language-switcher button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/es/cases/\?(.*&)?country={country}"))
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # Remembered: an unprefixed address now opens in Spanish.
    page.goto("/chapters/")
    expect(page).to_have_url(re.compile(r"/es/chapters/$"))


def test_the_switcher_works_without_javascript(browser, live_server, site_pages):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/de/cases/?q=care")
        page.select_option("#language-select", "fr")
        page.locator(".language-switcher button").click()
        expect(page).to_have_url(re.compile(r"/fr/cases/\?q=care$"))
        expect(page.locator("html")).to_have_attribute("lang", "fr")
    finally:
        context.close()
