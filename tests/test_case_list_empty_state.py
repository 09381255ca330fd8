"""The case list's empty state: every active filter, with what removing it would give."""

import re
from html import unescape

import pytest

from . import factories

pytestmark = pytest.mark.django_db

URL = "/cases/"


@pytest.fixture
def atlas():
    se = factories.CountryFactory(code="SE", name="Sweden")
    de = factories.CountryFactory(code="DE", name="Germany")
    coprod = factories.ParticipationFormFactory(slug="co-production", label="Co-production")
    cogov = factories.ParticipationFormFactory(slug="co-governance", label="Co-governance")
    factories.CaseFactory(title="Parent co-ops", countries=[se], participation_forms=[coprod])
    factories.CaseFactory(title="Swedish clinics", countries=[se], participation_forms=[coprod])
    factories.CaseFactory(title="Tenant boards", countries=[de], participation_forms=[cogov])


def removals(client, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "0 cases match these filters" in page
    block = page.split('class="no-results"', 1)[1].split("</div>", 1)[0]
    # (chip text, what removing it gives), in chip order
    items = re.findall(
        r'<li><a class="chip" href="\?([^"]*)">.*?</a>\s*<span[^>]*>([^<]*)</span>', block, re.S
    )
    return {unescape(href): result.strip() for href, result in items}, block


def test_each_filter_says_how_many_cases_removing_it_gives(client, atlas):
    found, block = removals(client, "country=DE&participation_form=co-production")
    # Without the country: the two Swedish co-production cases; without the form: Tenant boards.
    assert found == {"participation_form=co-production": "→ 2 cases", "country=DE": "→ 1 case"}
    assert "Clear all filters" in block


def test_removing_one_of_several_ticked_values_still_gives_nothing(client, atlas):
    found, _ = removals(client, "country=DE&q=parent")
    assert found == {"q=parent": "→ 1 case", "country=DE": "→ 1 case"}
    found, _ = removals(client, "country=DE&country=SE&participation_form=co-production&q=zzz")
    # Dropping Germany leaves Sweden OR-ed in, which matched nothing either.
    assert found["country=SE&participation_form=co-production&q=zzz"] == "still no case"
    assert found["country=DE&country=SE&participation_form=co-production"] == "→ 2 cases"


def test_the_empty_state_costs_one_count_per_removable_filter(
    client, atlas, django_assert_max_num_queries
):
    client.get(URL)  # per-process look-ups happen once
    with django_assert_max_num_queries(30):
        client.get(f"{URL}?country=DE&participation_form=co-production")


def test_phone_filter_panel_says_how_many_filters_are_active(client, atlas):
    page = client.get(f"{URL}?country=SE&participation_form=co-production&q=co").content.decode()
    # The search is not in the panel, so it is not counted among its filters.
    assert re.search(r'class="facets-toggle">.*?\(2 active\)', page, re.S)
