"""The search index holds what a case is coded with, and the database keeps it current.

Every change goes through the ORM's ordinary writes (or ``.update()``, which no
signal sees): only the triggers can keep up. Runs on SQLite and PostgreSQL.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from casestudies.facets import CaseQuery
from casestudies.models import Case, PolicyField, SearchSynonym
from casestudies.reads import search
from casestudies.reads.search import uses_fts

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_the_index(db):
    if not uses_fts(connection):
        pytest.skip("no full-text index (SQLite without FTS5)")


def found(q: str) -> list[str]:
    params = QueryDict(mutable=True)
    params["q"] = q
    return sorted(CaseQuery(params).cases.values_list("slug", flat=True))


@pytest.fixture
def case():
    region = factories.WorldRegionFactory(slug="western-europe", label="Western Europe")
    belgium = factories.CountryFactory(code="BE", name="Belgium", world_region=region)
    field = factories.PolicyFieldFactory(slug="policing", label="Policing")
    return factories.CaseFactory(
        slug="watch",
        title="Watch",
        summary="Nothing here.",
        countries=[belgium],
        policy_fields=[field],
    )


def test_coded_labels_find_the_case(case):
    assert found("Belgium") == ["watch"]
    assert found("western europe") == ["watch"]
    assert found("police") == ["watch"]  # stemmed: the term is "Policing"


def test_linking_and_unlinking_a_term_reindexes(case):
    housing = factories.PolicyFieldFactory(slug="housing", label="Housing")
    case.policy_fields.add(housing)
    assert found("housing") == ["watch"]
    case.policy_fields.remove(housing)
    assert found("housing") == []
    case.countries.clear()
    assert found("Belgium") == []


def test_a_relabelled_term_reindexes_its_cases(case):
    PolicyField.objects.filter(slug="policing").update(label="Community safety")
    assert found("safety") == ["watch"]
    assert found("policing") == []


def test_a_terms_synonyms_are_searched_and_kept_current(case):
    PolicyField.objects.filter(slug="policing").update(synonyms="law enforcement, constabulary")
    assert found("constabulary") == ["watch"]
    assert found('"law enforcement"') == ["watch"]


def test_a_countrys_region_and_name_changes_reach_its_cases(case):
    from casestudies.models import Country, WorldRegion

    WorldRegion.objects.filter(slug="western-europe").update(label="Benelux")
    assert found("benelux") == ["watch"]
    Country.objects.filter(code="BE").update(name="Belgique")
    assert found("belgique") == ["watch"]
    assert found("belgium") == []


def test_outcomes_findings_influence_and_notes_are_searched(case):
    outcome = factories.OutcomeFactory(case=case, finding="Burglaries fell sharply.")
    assert found("burglary") == ["watch"]
    outcome.dimension.label = "Trust"
    outcome.dimension.save()
    assert found("trust") == ["watch"]
    outcome.delete()
    assert found("burglary") == []
    influence = factories.InfluenceLevelFactory(slug="partnership", label="Partnership")
    Case.objects.filter(pk=case.pk).update(users_influence=influence, coder_note="Pages unclear.")
    assert found("partnership") == ["watch"]
    assert found("unclear") == ["watch"]


def test_unpublished_cases_never_appear(case):
    factories.CaseFactory(slug="draft", title="Belgium draft", status="draft")
    factories.CaseFactory(slug="review", title="Belgium in review", status="review")
    assert found("Belgium") == ["watch"]
    Case.objects.filter(pk=case.pk).update(status="draft")
    assert found("Belgium") == []


def test_spelling_is_folded_both_ways():
    factories.CaseFactory(slug="coop", title="Housing co-operatives in Québec")
    factories.CaseFactory(slug="nbh", title="Neighborhood programs", summary="Non-profit care.")
    SearchSynonym.objects.create(variants="neighbourhood, neighborhood")
    SearchSynonym.objects.create(variants="programme, program")
    SearchSynonym.objects.create(variants="cooperative, co operative")
    for q in ["cooperative", "co-operative", "co operative", "cooperatives", "quebec", "QUÉBEC"]:
        assert found(q) == ["coop"], q
    for q in ["neighbourhood programme", "nonprofit", "non-profit", "non profit"]:
        assert found(q) == ["nbh"], q


def test_a_synonym_edit_applies_to_the_next_search():
    factories.CaseFactory(slug="tb", title="A timebank in Leeds")
    assert found("time bank") == []
    synonym = SearchSynonym.objects.create(variants="timebank, time bank")
    assert found("time bank") == ["tb"]
    # Read once while they stay the same (stemming every variant is the cost) ...
    assert search.load_synonyms() is search.load_synonyms()
    # ... and afresh after any edit, even one that keeps their number.
    synonym.variants = "timebank, hour bank"
    synonym.save()
    assert found("time bank") == []
    assert found("hour bank") == ["tb"]


def test_all_words_then_any_word(client):
    factories.CaseFactory(slug="a", title="Parent cooperatives")
    factories.CaseFactory(slug="b", title="Parent councils")
    assert found("parent cooperatives") == ["a"]
    response = client.get("/cases/", {"q": "parent unicorns"})
    assert [c.slug for c in response.context["cases"]] == ["a", "b"]
    assert b"No case has all of these words" in response.content
    response = client.get("/cases/", {"q": "parent cooperatives"})
    assert b"No case has all of these words" not in response.content
