"""Researchers' journeys not covered elsewhere: copy a citation, download a filtered CSV."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def atlas():
    se = factories.CountryFactory(code="SE", name="Sweden")
    no = factories.CountryFactory(code="NO", name="Norway")
    chapter = factories.ChapterFactory(number=16, authors="Vamstad", title="")
    cases = {
        "se": [
            factories.CaseFactory(title=f"Swedish case {i}", countries=[se], chapter=chapter)
            for i in range(3)
        ],
        "no": [factories.CaseFactory(title="Norwegian case", countries=[no])],
    }
    return cases


def test_read_a_case_and_copy_its_apa_citation(browser, live_server, atlas):
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    case = atlas["se"][0]
    page.goto("/cases/")
    page.get_by_role("link", name=case.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(case.title)

    # exact: the record's own citation has a "Copy APA citation of this record" button too.
    button = page.get_by_role("button", name="Copy APA citation", exact=True)
    button.click()
    expect(page.locator(".copy-row", has=button).locator(".copy-status")).to_have_text("Copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#citation-apa").inner_text().strip()
    assert copied.startswith("Vamstad (2012). [Chapter 16]. In ")
    context.close()


def test_download_the_csv_of_a_filtered_view(page, atlas):
    page.goto("/cases/")
    page.locator("#f-country-SE").check()
    page.wait_for_url(re.compile(r"country=SE"))
    expect(page.locator("#result-count")).to_contain_text("3 cases match")

    link = page.locator("#download a", has_text=re.compile(r"^CSV$"))
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"coproduction-cases-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert sorted(row["slug"] for row in rows) == sorted(c.slug for c in atlas["se"])
    assert {row["countries"] for row in rows} == {"SE"}
