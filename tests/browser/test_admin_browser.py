"""A curator adds a case with an outcome in a real browser, through the select2 widgets."""

import re

from playwright.sync_api import expect

from casestudies.models import Case, CaseStatus
from tests import factories


def pick(page, select_id: str, text: str) -> None:
    """Choose ``text`` in a select2 autocomplete as a user does: open, type, click."""
    page.locator(f"#{select_id} + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.press_sequentially(text[:4])
    page.locator(".select2-results__option", has_text=text).first.click()
    expect(page.locator(f"#{select_id} + .select2")).to_contain_text(text)


def test_curator_adds_a_case_with_an_outcome(page, curator, live_server):
    chapter = factories.ChapterFactory(number=7, authors="Vamstad", title="Co-production in Sweden")
    factories.CountryFactory(code="SE", name="Sweden")
    factories.OutcomeDimensionFactory(label="Service quality")
    factories.OutcomeDirectionFactory(label="Improved")

    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("curator")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Cases", exact=True)).to_be_visible()

    page.goto("/admin/casestudies/case/add/")
    # Typed, not filled: the admin's JavaScript fills the slug from the title as one types.
    page.locator("#id_title").press_sequentially("Parent co-ops in Stockholm")
    expect(page.locator("#id_slug")).to_have_value("parent-co-ops-in-stockholm")
    pick(page, "id_chapter", chapter.title)
    pick(page, "id_countries", "Sweden")
    pick(page, "id_outcomes-0-dimension", "Service quality")
    pick(page, "id_outcomes-0-direction", "Improved")
    page.locator("#id_outcomes-0-finding").fill("Parents judged the service better.")
    page.locator("input[name=_save]").click()

    expect(page).to_have_url(re.compile(r"/admin/casestudies/case/$"))
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("Parent co-ops in Stockholm")

    case = Case.objects.get(slug="parent-co-ops-in-stockholm")
    assert case.status == CaseStatus.DRAFT
    assert case.created_by == curator
    assert [c.code for c in case.countries.all()] == ["SE"]
    assert [o.finding for o in case.outcomes.all()] == ["Parents judged the service better."]
