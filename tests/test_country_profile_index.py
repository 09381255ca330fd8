"""The country page's profile from the in-memory case index: the SQL's counts, always.

casestudies/views/countries.py takes each profile dimension's counts from the case
index's bitmaps when it was built under the data stamp as committed now, else from
the SQL crosstab; these tests hold the one to the other over varied data (cases in
several countries, cases without a country or without a term, drafts).
"""

import random

import pytest

from casestudies.models import CaseStatus, Country
from casestudies.reads import case_index
from casestudies.views.countries import PROFILE_AXES, country_profile

from . import factories
from .index_helpers import INDEX_TESTS

pytestmark = [*INDEX_TESTS, pytest.mark.usefixtures("uncached_counts")]


@pytest.fixture
def world():
    """~90 cases (a tenth drafts) in 0–3 of 6 countries, with 0–2 terms of each profile
    dimension; one country with a draft only, one with none."""
    rng = random.Random(18)
    countries = factories.CountryFactory.create_batch(6)
    terms = {
        "policy_fields": factories.PolicyFieldFactory.create_batch(4),
        "provider_types": factories.ProviderTypeFactory.create_batch(3),
        "participation_forms": factories.ParticipationFormFactory.create_batch(3),
    }
    for i in range(90):
        factories.CaseFactory(
            title=f"Case {rng.choice('ABC')} {i}",
            status=CaseStatus.PUBLISHED if rng.random() < 0.9 else CaseStatus.DRAFT,
            countries=rng.sample(countries, rng.choice([0, 1, 1, 2, 3])),
            **{field: rng.sample(pool, rng.choice([0, 1, 1, 2])) for field, pool in terms.items()},
        )
    drafted = factories.CountryFactory(code="ZD")
    factories.CaseFactory(countries=[drafted], status=CaseStatus.DRAFT)
    factories.CountryFactory(code="ZN")
    return Country.objects.all()


def test_the_index_profile_is_the_sql_profile_for_every_country(world):
    index = case_index.current("default")
    assert index is not None
    for country in world:
        in_memory = country_profile(country, index)
        by_sql = country_profile(country)
        assert in_memory == by_sql, country.code
        assert [axis.key for axis, _ in in_memory[2]] == list(PROFILE_AXES)
    # The data set exercises what the index computes apart: several countries per
    # case, "not stated", a country without published cases.
    labels = {row.slug for _, rows in country_profile(world[0], index)[2] for row in rows}
    assert "" in labels
    assert country_profile(Country.objects.get(code="ZD"), index)[0] == 0


def test_the_page_uses_the_index_when_built_and_counts_alike(world, client, monkeypatch):
    url = f"/countries/{world[0].code.lower()}/"
    built = []
    real = case_index.current
    monkeypatch.setattr(case_index, "current", lambda *a: built.append(real(*a)) or built[-1])
    in_memory = client.get(url).context
    assert built and built[0] is not None
    monkeypatch.setattr(case_index, "current", lambda *a: None)
    by_sql = client.get(url).context
    assert in_memory["profile"] == by_sql["profile"]
    assert (in_memory["here_total"], in_memory["atlas_total"]) == (
        by_sql["here_total"],
        by_sql["atlas_total"],
    )
    assert [c.pk for c in in_memory["cases"]] == [c.pk for c in by_sql["cases"]]


# The country page's queries, pinned on each path (FACET_CACHE_SECONDS=0, so the SQL
# crosstab reads no stamp): the country (twice: the page's, the list's filter), the
# stamp, per profile dimension its terms, the first cases and their three prefetches;
# on the SQL path one counting query per dimension, with the index its build (one
# query, here in the request: tests build synchronously; a server builds in the
# background and then runs one query fewer than this).
INDEXED_QUERIES = 11
SQL_QUERIES = 13


def test_the_page_queries_fewer_with_the_index(
    world, client, monkeypatch, django_assert_num_queries
):
    url = f"/countries/{world[0].code.lower()}/"
    with django_assert_num_queries(INDEXED_QUERIES):
        client.get(url)
    monkeypatch.setattr(case_index, "current", lambda *a: None)
    with django_assert_num_queries(SQL_QUERIES):
        client.get(url)
