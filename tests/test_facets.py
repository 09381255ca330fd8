"""Facet semantics: OR within a facet, AND across, no duplicates, disjunctive counts.

The counts are checked against counts computed here in Python from the cases'
own attributes, over random data and random selections.
"""

import random

import pytest
from django.http import QueryDict

from casestudies.facets import CaseQuery
from casestudies.models import CaseStatus
from casestudies.plumbing.bad_parameter import BadParameter

from . import factories

pytestmark = pytest.mark.django_db


def q(query: str):
    return list(CaseQuery(QueryDict(query)).cases.values_list("slug", flat=True))


@pytest.fixture
def atlas():
    """Five published cases and a draft over a few countries and terms."""
    sd = factories.WelfareTraditionFactory(slug="social-democratic", label="Social democratic")
    cons = factories.WelfareTraditionFactory(slug="conservative", label="Conservative")
    north = factories.WorldRegionFactory(slug="northern-europe", label="Northern Europe")
    west = factories.WorldRegionFactory(slug="western-europe", label="Western Europe")
    se = factories.CountryFactory(
        code="SE", name="Sweden", welfare_tradition=sd, world_region=north
    )
    no = factories.CountryFactory(
        code="NO", name="Norway", welfare_tradition=sd, world_region=north
    )
    de = factories.CountryFactory(
        code="DE", name="Germany", welfare_tradition=cons, world_region=west
    )
    br = factories.CountryFactory(
        code="BR", name="Brazil", welfare_tradition=None, world_region=None
    )
    child = factories.PolicyFieldFactory(slug="childcare", label="Childcare")
    health = factories.PolicyFieldFactory(slug="health", label="Health")
    coprod = factories.ParticipationFormFactory(slug="co-production", label="Co-production")
    cogov = factories.ParticipationFormFactory(slug="co-governance", label="Co-governance")
    quality = factories.OutcomeDimensionFactory(slug="quality", label="Service quality")
    improved = factories.OutcomeDirectionFactory(slug="improved", label="Improved")
    worsened = factories.OutcomeDirectionFactory(slug="worsened", label="Worsened")
    ch3 = factories.ChapterFactory(number=3)
    c = {
        "a": factories.CaseFactory(
            slug="a",
            title="A",
            countries=[se, no],
            policy_fields=[child, health],
            participation_forms=[coprod],
            start_year=1995,
            chapter=ch3,
        ),
        "b": factories.CaseFactory(
            slug="b",
            title="B",
            countries=[se, de],
            policy_fields=[child],
            participation_forms=[coprod, cogov],
            start_year=2005,
        ),
        "c": factories.CaseFactory(
            slug="c",
            title="C",
            countries=[de],
            policy_fields=[health],
            participation_forms=[cogov],
            start_year=1990,
            chapter=ch3,
        ),
        "d": factories.CaseFactory(slug="d", title="D", countries=[br], policy_fields=[child]),
        "e": factories.CaseFactory(slug="e", title="E", start_year=2010),
    }
    factories.CaseFactory(
        slug="draft",
        title="Draft",
        countries=[se],
        policy_fields=[child],
        status=CaseStatus.DRAFT,
    )
    factories.OutcomeFactory(case=c["a"], dimension=quality, direction=improved)
    factories.OutcomeFactory(case=c["c"], dimension=quality, direction=worsened)
    return c


def test_or_within_a_facet_and_across_facets(atlas):
    assert q("country=NO") == ["a"]
    assert q("country=NO&country=DE") == ["a", "b", "c"]
    assert q("country=NO&country=DE&participation_form=co-governance") == ["b", "c"]
    assert q("policy_field=childcare&policy_field=health&country=SE") == ["a", "b"]


def test_many_to_many_matches_never_duplicate_a_case(atlas):
    # "a" has both ticked countries and both ticked fields: still one row.
    assert q("country=SE&country=NO&policy_field=childcare&policy_field=health") == ["a", "b"]
    assert q("welfare_tradition=social-democratic") == ["a", "b"]
    assert CaseQuery(QueryDict("country=SE&country=NO")).cases.count() == 2


def test_country_groups_outcomes_chapters_and_period(atlas):
    assert q("welfare_tradition=conservative") == ["b", "c"]
    assert q("world_region=northern-europe&world_region=western-europe") == ["a", "b", "c"]
    assert q("outcome=quality:improved") == ["a"]
    assert q("outcome=quality:improved&outcome=quality:worsened") == ["a", "c"]
    assert q("chapter=3") == ["a", "c"]
    assert q("year_from=1995") == ["a", "b", "e"]
    assert q("year_from=1991&year_to=2005") == ["a", "b"]
    assert q("year_to=1990") == ["c"]  # "d" has no start year: left out, not guessed


def test_lower_case_country_empty_and_unknown_keys(atlas):
    assert q("country=se&q=&policy_field=&utm_source=newsletter") == ["a", "b"]


def test_drafts_never_appear(atlas):
    assert "draft" not in q("country=SE")
    assert "draft" not in q("")


def test_sorts(atlas):
    assert q("sort=title") == ["a", "b", "c", "d", "e"]
    assert q("sort=start_year") == ["c", "a", "b", "e", "d"]  # not stated last
    # Country: by the first country's name; cases without a country last.
    assert q("sort=country") == ["d", "b", "c", "a", "e"]  # Brazil, Germany×2, Norway
    # Relevance without a search is meaningless: title order.
    assert q("sort=relevance") == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("country=XX", "country"),
        ("country=S", "country"),
        ("policy_field=nope", "policy_field"),
        ("welfare_tradition=nope", "welfare_tradition"),
        ("outcome=quality", "outcome"),
        ("outcome=quality:sideways", "outcome"),
        ("outcome=nope:improved", "outcome"),
        ("chapter=x", "chapter"),
        ("chapter=77", "chapter"),
        ("year_from=abc", "year_from"),
        ("year_to=1700", "year_to"),
        ("year_from=2200", "year_from"),
        ("year_from=1999.5", "year_from"),
        ("year_from=2000&year_to=1990", "year_from"),
        ("sort=price", "sort"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_parameters_name_the_parameter(atlas, query, param):
    with pytest.raises(BadParameter) as exc:
        CaseQuery(QueryDict(query))
    assert exc.value.param == param


def test_bad_values_list_the_allowed_ones(atlas):
    with pytest.raises(BadParameter) as exc:
        CaseQuery(QueryDict("country=XX"))
    assert {"SE", "NO", "DE", "BR"} <= set(exc.value.allowed)
    with pytest.raises(BadParameter) as exc:
        CaseQuery(QueryDict("outcome=quality:sideways"))
    assert "quality:improved" in exc.value.allowed
    with pytest.raises(BadParameter) as exc:
        CaseQuery(QueryDict("sort=price"))
    assert exc.value.allowed == ["relevance", "title", "country", "start_year", "updated"]


def _counts(query: str) -> dict:
    panels = CaseQuery(QueryDict(query)).facet_panels()
    return {panel.param: {v.key: v.count for v in panel.values + panel.empty} for panel in panels}


def test_counts_are_disjunctive(atlas):
    counts = _counts("country=NO&participation_form=co-governance")
    # Country counts ignore the country filter but apply co-governance (b, c).
    assert counts["country"] == {"SE": 1, "NO": 0, "DE": 2, "BR": 0}
    # Participation form counts apply country=NO only (a).
    assert counts["participation_form"] == {"co-production": 1, "co-governance": 0}
    # Other facets apply both filters: nothing is both Norwegian and co-governance.
    assert counts["policy_field"] == {"childcare": 0, "health": 0}


def test_selected_zero_count_value_stays_visible(atlas):
    panels = {
        p.param: p
        for p in CaseQuery(QueryDict("country=NO&participation_form=co-governance")).facet_panels()
    }
    countries = {v.key: v for v in panels["country"].values}
    assert countries["NO"].selected and countries["NO"].count == 0
    assert [v.key for v in panels["country"].empty] == ["BR"]  # collapsed, not selected


def test_country_group_counts_count_cases_not_countries(atlas):
    # "a" is in Sweden and Norway, both social democratic: it counts once.
    assert _counts("")["welfare_tradition"]["social-democratic"] == 2


def test_outcome_counts_and_selected_outcome_with_no_cases(atlas):
    counts = _counts("")
    assert counts["outcome"] == {"quality:improved": 1, "quality:worsened": 1}
    assert _counts("outcome=quality:improved&country=BR")["outcome"] == {"quality:improved": 0}


ATTRS = ["country", "policy_field", "participation_form", "provider_type", "phase"]


def _matches(case, selection, skip=None):
    for facet, wanted in selection.items():
        if facet != skip and not case[facet] & wanted:
            return False
    return True


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_counts_computed_independently(seed):
    rng = random.Random(seed)
    terms = {
        "country": [factories.CountryFactory() for _ in range(4)],
        "policy_field": factories.PolicyFieldFactory.create_batch(4),
        "participation_form": factories.ParticipationFormFactory.create_batch(3),
        "provider_type": factories.ProviderTypeFactory.create_batch(3),
        "phase": factories.PhaseFactory.create_batch(3),
    }
    fields = {
        "country": "countries",
        "policy_field": "policy_fields",
        "participation_form": "participation_forms",
        "provider_type": "provider_types",
        "phase": "phases",
    }
    key = {"country": lambda t: t.code}
    cases = []
    for _ in range(40):
        chosen = {f: rng.sample(terms[f], rng.randint(0, 2)) for f in ATTRS}
        status = CaseStatus.PUBLISHED if rng.random() < 0.9 else CaseStatus.DRAFT
        factories.CaseFactory(status=status, **{fields[f]: chosen[f] for f in ATTRS})
        if status == CaseStatus.PUBLISHED:
            cases.append({f: {key.get(f, lambda t: t.slug)(t) for t in chosen[f]} for f in ATTRS})
    for _ in range(5):
        selection = {
            f: {key.get(f, lambda t: t.slug)(t) for t in rng.sample(terms[f], rng.randint(1, 2))}
            for f in rng.sample(ATTRS, rng.randint(1, 3))
        }
        query = QueryDict(mutable=True)
        for facet, values in selection.items():
            query.setlist(facet, sorted(values))
        result = CaseQuery(query)
        assert result.cases.count() == sum(_matches(c, selection) for c in cases)
        counts = _counts(query.urlencode())
        for facet in ATTRS:
            for term in terms[facet]:
                k = key.get(facet, lambda t: t.slug)(term)
                expected = sum(
                    1 for c in cases if k in c[facet] and _matches(c, selection, skip=facet)
                )
                assert counts[facet][k] == expected, (facet, k, selection)
