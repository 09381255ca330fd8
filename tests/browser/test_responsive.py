"""At a phone's 360 px no page scrolls sideways; wide tables scroll in their own box."""

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
