"""The map: countries shaded by cases or by a share, every number its list's count."""

import html
import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.reads.choropleth import GEOMETRY, geometry

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
SVG_LINK = re.compile(r'<a href="(/cases/\?[^"]+)"><title>([^<]+)</title><path class="([^"]+)"')


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.FACET_CACHE_SECONDS = 0


@pytest.fixture
def spread():
    se = CountryFactory(code="SE", name="Sweden")
    de = CountryFactory(code="DE", name="Germany")
    CountryFactory(code="NO", name="Norway")  # in the atlas, no case
    cp = ParticipationFormFactory(slug="co-production", label="Co-production")
    cm = ParticipationFormFactory(slug="co-management", label="Co-management")
    childcare = PolicyFieldFactory(slug="childcare")
    CaseFactory.create_batch(3, countries=[se], participation_forms=[cp], policy_fields=[childcare])
    CaseFactory(countries=[se], participation_forms=[cm])
    CaseFactory(countries=[se])  # no participation form: outside the shares
    CaseFactory(countries=[se, de], participation_forms=[cp])
    CaseFactory(countries=[de], participation_forms=[cm], policy_fields=[childcare])
    CaseFactory(countries=[])
    CaseFactory(countries=[se], status="draft")


def _regions(response):
    return {r.code: r for r in response.context["map"].regions}


def test_counts_by_country_and_neutral_countries_without_cases(client, spread):
    response = client.get("/map/")
    regions = _regions(response)
    assert {code: r.count for code, r in regions.items()} == {"SE": 6, "DE": 2}
    page = response.content.decode()
    assert "<title>Norway: no published case</title>" in page  # in the atlas, no case
    assert "<title>France: no published case</title>" in page  # not in the atlas at all
    assert 'class="country no-case"' in page
    assert response.context["map"].total == 8


def test_every_link_of_the_map_page_lists_as_many_cases(client, spread):
    for query in ("", "?policy_field=childcare", "?share_of=participation_form:co-production"):
        page = client.get(f"/map/{query}").content.decode()
        svg_links = SVG_LINK.findall(page)
        assert {title.split(":")[0] for _, title, _ in svg_links} == {"Sweden", "Germany"}
        for href, title, _ in svg_links:
            listing = client.get(html.unescape(href))
            count = listing.context["page"].paginator.count
            # The link lists the country's cases: the count, or in shares "N cases in all".
            plural = "s" if count != 1 else ""
            ends = (f": {count} case{plural}", f"; {count} case{plural} in all")
            assert title.endswith(ends), title
        for href, count in re.findall(r'<a href="(/cases/\?[^"]+)">(\d+)', page):
            listing = client.get(html.unescape(href))
            assert listing.context["page"].paginator.count == int(count), href


def test_the_list_filters_apply_and_the_country_links_keep_them(client, spread):
    response = client.get("/map/?policy_field=childcare")
    regions = _regions(response)
    assert {code: r.count for code, r in regions.items()} == {"SE": 3, "DE": 1}
    assert regions["SE"].query == "policy_field=childcare&country=SE"


def test_share_of_a_coded_value_among_the_cases_that_state_it(client, spread):
    response = client.get("/map/?share_of=participation_form:co-production")
    regions = _regions(response)
    sweden, germany = regions["SE"], regions["DE"]
    # Sweden: 6 cases, 5 state a participation form, 4 of them co-production.
    assert (sweden.cases, sweden.base, sweden.count) == (6, 5, 4)
    assert sweden.percent == "80%" and not sweden.is_small
    assert (germany.base, germany.count, germany.percent) == (2, 1, "50%")
    assert germany.is_small
    listing = client.get(f"/cases/?{sweden.value_query}")
    assert listing.context["page"].paginator.count == 4
    page = response.content.decode()
    assert "<title>Germany: 50%, 1 of 2 cases (small sample); 2 cases in all</title>" in page


def test_share_of_an_outcome(client, spread):
    quality = OutcomeDimensionFactory(slug="quality", label="Service quality")
    improved = OutcomeDirectionFactory(slug="improved", label="Improved")
    case = CaseFactory(countries=[CountryFactory(code="BE", name="Belgium")])
    OutcomeFactory(case=case, dimension=quality, direction=improved)
    regions = _regions(client.get("/map/?share_of=outcome:quality:improved"))
    assert (regions["BE"].count, regions["BE"].base) == (1, 1)
    assert regions["SE"].base == 0 and regions["SE"].bucket < 0  # none states it


@pytest.mark.parametrize(
    "value",
    ["country:SE", "participation_form:nope", "nonsense", "participation_form:", "outcome:x:y"],
)
def test_bad_share_is_a_clear_400(client, spread, value):
    response = client.get("/map/", {"share_of": value})
    assert response.status_code == 400
    assert "<code>share_of</code>" in response.content.decode() or "outcome" in (
        response.content.decode()
    )


def test_home_shows_the_map(client, spread):
    page = client.get("/").content.decode()
    assert 'id="home-map-heading"' in page
    assert "<title>Sweden: 6 cases</title>" in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/map/", "/map/?share_of=participation_form:co-production&policy_field=childcare"]
)
def test_query_count_is_pinned_and_constant(client, spread, url):
    before = _queries(client, url)
    # The counts (one statement), country names, the value's term, the form's
    # vocabularies (one look-up each: 11 facets since citizen roles and methods are
    # facets) and filters' look-ups: constant in the number of cases.
    assert before <= 18
    cp = ParticipationFormFactory(slug="co-production")
    for _ in range(6):
        CaseFactory(countries=[CountryFactory()], participation_forms=[cp])
    assert _queries(client, url) == before


def test_every_country_of_the_book_is_drawn():
    countries = yaml.safe_load((ROOT / "fixtures" / "countries.yaml").read_text())
    codes = {c["pk"] for c in countries}
    data = geometry()
    assert codes <= set(data["world"]["paths"])
    assert {"SE", "DK", "BE", "DE", "NL"} <= set(data["europe"]["paths"])


def test_the_committed_geometry_is_what_the_script_makes(tmp_path, monkeypatch):
    if not (ROOT / "node_modules" / "world-atlas").exists():
        pytest.skip("node_modules/world-atlas is missing: run `npm ci`")
    spec = importlib.util.spec_from_file_location("build_map", ROOT / "scripts" / "build_map.py")
    build_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_map)
    monkeypatch.setattr(build_map, "OUT", tmp_path / "countries.json")
    monkeypatch.setattr(build_map, "ROOT", tmp_path)
    assert build_map.main() == 0
    assert json.loads((tmp_path / "countries.json").read_text()) == json.loads(GEOMETRY.read_text())
