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


@pytest.fixture
def comparison():
    """Cases in two countries with outcomes, policy fields and provider types."""
    se = factories.CountryFactory(code="SE", name="Sweden")
    de = factories.CountryFactory(code="DE", name="Germany")
    childcare = factories.PolicyFieldFactory(slug="childcare", label="Childcare")
    coop = factories.ProviderTypeFactory(slug="cooperative", label="Co-operative")
    public = factories.ProviderTypeFactory(slug="public", label="Public")
    quality = factories.OutcomeDimensionFactory(slug="quality", label="Service quality")
    improved = factories.OutcomeDirectionFactory(slug="improved", label="Improved")
    cases = [
        factories.CaseFactory(
            title=f"Swedish co-op {n}",
            countries=[se],
            policy_fields=[childcare],
            provider_types=[coop],
        )
        for n in range(3)
    ]
    factories.CaseFactory(
        title="German public", countries=[de], policy_fields=[childcare], provider_types=[public]
    )
    for case in cases[:2]:
        factories.OutcomeFactory(case=case, dimension=quality, direction=improved)


def _listed(page) -> int:
    return page.locator("table.results-table tbody tr").count()


def test_map_to_a_country_to_its_filtered_list(page, comparison):
    page.goto("/map/")
    sweden = page.locator(".map-world a").filter(has=page.locator("title", has_text="Sweden"))
    expect(sweden).to_have_count(1)
    sweden.focus()  # keyboard-reachable
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\?country=SE"))
    assert _listed(page) == 3


def test_outcomes_to_a_bar_to_its_cases(page, comparison):
    page.goto("/outcomes/?by=country")
    bar = page.locator("svg.diverging-bar a").filter(
        has=page.locator("title", has_text="Sweden, Service quality: improved, 2 cases")
    )
    expect(bar).to_have_count(1)
    bar.click()
    page.wait_for_url(re.compile(r"outcome=quality%3Aimproved"))
    assert _listed(page) == 2


def test_matrix_policy_field_by_provider_type_in_row_shares_to_a_cell(page, comparison):
    page.goto("/matrix/")
    page.get_by_label("Rows", exact=True).select_option("policy_field")
    page.get_by_label("Columns", exact=True).select_option("provider_type")
    page.get_by_label("Numbers", exact=True).select_option("row_share")
    page.get_by_role("button", name="Show matrix").click()
    page.wait_for_url(re.compile(r"measure=row_share"))
    cell = page.locator("table.matrix tbody tr", has_text="Childcare").locator("td.heat").first
    expect(cell).to_contain_text("75%")
    cell.get_by_role("link").click()
    page.wait_for_url(re.compile(r"provider_type=cooperative"))
    assert _listed(page) == 3


def test_outcome_bars_share_one_zero_line(page, phone_page, comparison):
    # A diverging chart is read against its zero line: in every row (the bold
    # "All selected cases" one too) it must sit at the same x, or equal bars look unequal.
    axes = """() => [...document.querySelectorAll('.outcome-block')].map((block) =>
        [...block.querySelectorAll('.diverging-bar')].map((svg) => {
            const box = svg.getBoundingClientRect();
            return [Math.round(box.left + box.width / 2), Math.round(box.width)];
        }))"""
    for browser_page in (page, phone_page):
        browser_page.goto("/outcomes/?by=country")
        charts = browser_page.evaluate(axes)
        assert charts and all(len(rows) > 1 for rows in charts)
        for rows in charts:
            assert len(set(map(tuple, rows))) == 1, rows
