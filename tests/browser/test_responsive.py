"""At a phone's 360 px no page scrolls sideways, wide tables scroll in their own box, and
the header and the case list's filters fold into disclosures."""

import re

from playwright.sync_api import expect

PHONE_WIDTH = 360

_LAYOUT = """() => ({
  scrollWidth: document.scrollingElement.scrollWidth,
  innerWidth: window.innerWidth,
  looseTables: [...document.querySelectorAll('main table')]
    .filter((t) => !t.closest('.table-scroll')).length,
})"""


def test_no_page_scrolls_sideways_on_a_phone(phone_page, site_pages):
    failures = []
    for public_page in site_pages:
        phone_page.goto(public_page.path)
        layout = phone_page.evaluate(_LAYOUT)
        if layout["scrollWidth"] > min(layout["innerWidth"], PHONE_WIDTH):
            failures.append(f"{public_page.path}: {layout['scrollWidth']} px wide")
        if layout["looseTables"]:
            failures.append(
                f"{public_page.path}: {layout['looseTables']} table(s) outside .table-scroll"
            )
    assert not failures, "\n".join(failures)


def test_a_wide_table_scrolls_inside_its_box(phone_page, site_pages):
    phone_page.goto("/codebook/")
    box = phone_page.evaluate(
        """() => { const s = document.querySelector('.table-scroll');
                   return {scroll: s.scrollWidth, client: s.clientWidth}; }"""
    )
    # The codebook's four columns do not fit 360 px: the box, not the page, scrolls.
    assert box["scroll"] > box["client"]
    assert phone_page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE_WIDTH


def test_phone_header_folds_search_and_navigation_into_a_menu(phone_page, site_pages):
    phone_page.goto("/")
    assert phone_page.locator(".site-header").bounding_box()["height"] < 80
    nav = phone_page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    # Keyboard order: skip link, brand, then the menu, which opens with Enter.
    for expected in ("Skip to content", "Co-production Case Atlas", "Menu"):
        phone_page.keyboard.press("Tab")
        focused = phone_page.evaluate("() => document.activeElement.textContent.trim()")
        assert focused == expected
    phone_page.keyboard.press("Enter")
    expect(nav.get_by_role("link", name="Codebook")).to_be_visible()
    phone_page.keyboard.press("Tab")
    assert phone_page.evaluate("() => document.activeElement.id") == "header-q"


def test_phone_case_list_shows_results_first_with_filters_in_a_panel(phone_page, site_pages):
    phone_page.goto("/cases/")
    toggle = phone_page.locator(".facets-toggle")
    expect(toggle).to_be_visible()
    expect(phone_page.locator("#f-country-SE")).to_be_hidden()
    first_row = phone_page.locator("table.results-table tbody tr").first
    assert first_row.bounding_box()["y"] < 740  # the first result is on the first screen

    toggle.click()
    phone_page.locator("#f-country-SE").check()  # facets.js submits the form on change
    phone_page.wait_for_url(re.compile(r"country=SE"))
    # Back from the reload: the panel is still open, says one filter is active,
    # and the ticked box keeps the focus.
    expect(phone_page.locator("#f-country-SE")).to_be_visible()
    expect(toggle).to_contain_text("1 active")
    assert phone_page.evaluate("() => document.activeElement.id") == "f-country-SE"


def test_desktop_shows_the_filters_and_navigation_without_disclosures(page, site_pages):
    page.goto("/cases/")
    expect(page.locator(".facets-toggle")).to_be_hidden()
    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.locator("#f-country-SE")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_case_tables_become_cards_on_a_phone(phone_page, site_pages):
    """Each case is a card with its values after their column names: nothing to scroll."""
    for path in ("/cases/", "/countries/SE/"):
        phone_page.goto(path)
        table = phone_page.locator("table.cases").first
        region = table.locator("xpath=ancestor::div[contains(@class, 'table-scroll')]")
        box = region.evaluate("(s) => ({scroll: s.scrollWidth, client: s.clientWidth})")
        assert box["scroll"] <= box["client"], f"{path}: the cases table scrolls sideways"
        row = table.locator("tbody tr").first
        assert row.evaluate("(r) => getComputedStyle(r).display") == "block"
        label = row.locator("td[data-label='Countries']").evaluate(
            "(td) => getComputedStyle(td, '::before').content"
        )
        assert label == '"Countries: "'
        # Screen readers still get a table: the roles survive the change of display.
        expect(phone_page.get_by_role("table").first).to_be_visible()
        expect(row.get_by_role("cell").first).to_be_visible()


def test_case_tables_stay_tables_on_a_desktop(page, site_pages):
    page.goto("/cases/")
    row = page.locator("table.cases tbody tr").first
    assert row.evaluate("(r) => getComputedStyle(r).display") == "table-row"
    label = row.locator("td[data-label='Countries']").evaluate(
        "(td) => getComputedStyle(td, '::before').content"
    )
    assert label in ("none", "normal")
