"""The case list in a real browser: tick facets, read counts and chips, page, search."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def atlas():
    se = factories.CountryFactory(code="SE", name="Sweden")
    de = factories.CountryFactory(code="DE", name="Germany")
    coprod = factories.ParticipationFormFactory(slug="co-production", label="Co-production")
    cogov = factories.ParticipationFormFactory(slug="co-governance", label="Co-governance")
    for i in range(27):
        factories.CaseFactory(
            title=f"Swedish parent co-op {i:02d}", countries=[se], participation_forms=[coprod]
        )
    factories.CaseFactory(title="Swedish council", countries=[se], participation_forms=[cogov])
    factories.CaseFactory(
        title="German allotment gardens", countries=[de], participation_forms=[coprod]
    )


def test_filter_page_remove_chip_and_search(page, atlas):
    page.goto("/cases/")
    count = page.locator("#result-count")
    expect(count).to_contain_text("29 cases published")

    page.locator("#f-country-SE").check()  # facets.js submits the form on change
    page.wait_for_url(re.compile(r"country=SE"))
    expect(count).to_contain_text("28 cases match")
    expect(page.locator(".chip")).to_have_text([re.compile(r"Country:\s+Sweden")])

    page.locator("#f-participation_form-co-production").check()
    page.wait_for_url(re.compile(r"participation_form=co-production"))
    expect(count).to_contain_text("27 cases match")
    expect(page.locator(".chip")).to_have_count(2)
    # Disjunctive: Germany still shows the one case it would add under co-production.
    expect(page.locator("label[for=f-country-DE] .count")).to_contain_text("1")

    page.get_by_role("link", name=re.compile("Next")).click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(count).to_contain_text("page 2 of 2")
    expect(page.locator("table.results-table tbody tr")).to_have_count(2)
    assert "country=SE" in page.url and "participation_form=co-production" in page.url

    page.locator(".chip", has_text="Sweden").click()
    expect(page.locator(".chip")).to_have_count(1)
    expect(count).to_contain_text("28 cases match")
    expect(page.locator("#f-country-SE")).not_to_be_checked()

    page.locator("#cases-q").fill("allotment")
    page.locator("#cases-q").press("Enter")
    page.wait_for_url(re.compile(r"q=allotment"))
    expect(count).to_contain_text("1 case matches")
    expect(page.locator("table.results-table tbody th")).to_have_text(["German allotment gardens"])
