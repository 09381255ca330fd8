"""A real browser through the comparative pages: matrix form, a cell, then compare."""

import re

import pytest

from tests.factories import (
    CaseFactory,
    CountryFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
    WelfareTraditionFactory,
)


@pytest.fixture
def data(transactional_db):
    nordic = WelfareTraditionFactory(slug="nordic", label="Nordic")
    continental = WelfareTraditionFactory(slug="continental", label="Continental")
    se = CountryFactory(code="SE", name="Sweden", welfare_tradition=nordic)
    be = CountryFactory(code="BE", name="Belgium", welfare_tradition=continental)
    cp = ParticipationFormFactory(slug="co-production", label="Co-production")
    childcare = PolicyFieldFactory(slug="childcare", label="Childcare")
    health = PolicyFieldFactory(slug="health", label="Health")
    cases = [
        CaseFactory(
            slug="swedish-coops",
            title="Swedish parent co-ops",
            countries=[se],
            policy_fields=[childcare],
            participation_forms=[cp],
        ),
        CaseFactory(
            slug="swedish-health",
            title="Swedish health centres",
            countries=[se],
            policy_fields=[health],
            participation_forms=[cp],
        ),
        CaseFactory(
            slug="belgian-coops",
            title="Belgian childcare",
            countries=[be],
            policy_fields=[childcare],
            participation_forms=[cp],
        ),
    ]
    return cases


def _count(text: str) -> int:
    return int(re.search(r"\d+", text).group())


def test_matrix_form_cell_and_compare(page, data):
    page.goto("/matrix/")
    assert page.locator("table.matrix").is_visible()
    assert (
        page.get_by_role("link", name="Matrix", exact=True).get_attribute("aria-current") == "page"
    )

    # Change rows and columns with the labelled form; the URL keeps the state.
    page.get_by_label("Rows", exact=True).select_option("welfare_tradition")
    page.get_by_label("Columns", exact=True).select_option("policy_field")
    page.get_by_role("button", name="Show matrix").click()
    page.wait_for_url(re.compile(r"rows=welfare_tradition.*cols=policy_field"))
    headers = page.locator("table.matrix tbody th").all_inner_texts()
    # Each row is named, then marked "n = …" where it has fewer than 5 cases.
    assert sorted(re.sub(r"\s*n = \d+.*", "", h, flags=re.S) for h in headers) == [
        "Continental",
        "Nordic",
    ]
    assert all("fewer than 5 cases" in h for h in headers)

    # Follow the Nordic × Childcare cell: the list shows the same number of cases.
    nordic = page.locator("table.matrix tbody tr", has_text="Nordic")
    cell = nordic.locator("td.heat a").first
    expected = _count(cell.inner_text())
    assert expected == 1
    cell.click()
    page.wait_for_url(re.compile(r"/cases/\?.*welfare_tradition=nordic"))
    assert _count(page.locator(".result-count").first.inner_text()) == expected

    # Compare two cases through the list's checkboxes and its Compare button.
    page.goto("/cases/?sort=title")
    boxes = page.locator("input[type=checkbox][name=cases]")
    picked = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name=re.compile("Compare")).first.click()
    page.wait_for_url(re.compile(r"/compare/\?"))
    table = page.locator("table.compare")
    assert table.is_visible()
    assert table.locator("thead th a").count() == 2
    for slug in picked:
        assert table.locator(f'thead a[href="/cases/{slug}/"]').count() == 1
    differing = table.locator("tr.differs th").all_inner_texts()
    assert any(text.startswith("Countries") and "≠ differs" in text for text in differing)
