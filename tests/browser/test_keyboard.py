"""The shared frame works from the keyboard alone: skip link, header search, focus."""

from playwright.sync_api import expect

from .pages import make_demo_data


def _active(page, expression):
    return page.evaluate(f"() => {{ const el = document.activeElement; return {expression}; }}")


def _tab_to(page, selector, limit=40):
    """Press Tab until the element matching ``selector`` has focus; fail after ``limit``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page, transactional_db):
    page.goto("/")
    page.keyboard.press("Tab")
    assert _active(page, "el.textContent.trim()") == "Skip to content"
    # Shown when focused: inside the viewport, not parked off-screen.
    box = page.locator(".skip-link").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    page.keyboard.press("Enter")
    assert _active(page, "el.id") == "main"
    # The next Tab continues inside the content, not back at the header.
    page.keyboard.press("Tab")
    assert _active(page, "!!el.closest('main')")


def test_header_search_with_the_keyboard_only(page, transactional_db):
    make_demo_data()
    page.goto("/codebook/")
    _tab_to(page, "#header-q")
    page.keyboard.type("parent co-operative")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/?q=parent+co-operative")
    # Which cases match is the case list's business (tests/test_case_list.py); here:
    # the search arrived, the matching case is listed, and the field keeps the words.
    main = page.locator("main")
    expect(main.get_by_role("link", name="Parent co-operative childcare in Sweden")).to_be_visible()
    expect(page.locator("#header-q")).to_have_value("parent co-operative")


def test_focus_is_visible_on_links_fields_and_buttons(page, transactional_db):
    page.goto("/")
    for selector in (".skip-link", ".nav a", "#header-q", ".header-search button"):
        _tab_to(page, selector)
        style = _active(
            page,
            "{outline: getComputedStyle(el).outlineStyle, "
            "width: getComputedStyle(el).outlineWidth, shadow: getComputedStyle(el).boxShadow}",
        )
        assert style["outline"] != "none" and style["width"] != "0px", (selector, style)
        page.goto("/")
