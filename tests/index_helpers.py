"""What the tests of the in-memory case index (casestudies/reads/case_index.py) share:
they run on PostgreSQL only (the index is kept under the data stamp, which SQLite
lacks), and many hold it to SQL over a world of varied cases (``world_of``)."""

import random

import pytest
from django.db import connection

from casestudies.facets import OUTCOME_FACET, TERM_FACETS
from casestudies.models import CaseStatus

from . import factories

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the in-memory index needs the data stamp"
)
# A module's ``pytestmark`` for tests of the index.
INDEX_TESTS = [pytest.mark.django_db, postgres_only]
WORDS = ["harbour", "parents", "river", "garden", "council"]


def world_of(rng: random.Random) -> dict[str, list[str]]:
    """~80 cases (a tenth of them drafts) over a few terms of every facet; the keys
    of each facet's terms, outcome pairs no case has among them."""
    traditions = factories.WelfareTraditionFactory.create_batch(3)
    regions = factories.WorldRegionFactory.create_batch(3)
    countries = [
        factories.CountryFactory(
            welfare_tradition=rng.choice([*traditions, None]),
            world_region=rng.choice([*regions, None]),
        )
        for _ in range(7)
    ]
    terms = {
        "policy_fields": factories.PolicyFieldFactory.create_batch(4),
        "provider_types": factories.ProviderTypeFactory.create_batch(3),
        "participation_forms": factories.ParticipationFormFactory.create_batch(3),
        "levels": factories.LevelFactory.create_batch(3),
        "phases": factories.PhaseFactory.create_batch(3),
        "participation_dimensions": factories.ParticipationDimensionFactory.create_batch(3),
        "citizen_roles": factories.CitizenRoleFactory.create_batch(3),
        "methods": factories.MethodFactory.create_batch(3),
    }
    dims = factories.OutcomeDimensionFactory.create_batch(3)
    directions = factories.OutcomeDirectionFactory.create_batch(2)
    chapters = factories.ChapterFactory.create_batch(3)
    for i in range(80):
        case = factories.CaseFactory(
            title=f"{rng.choice(WORDS)} {rng.choice(['Alpha', 'beta', 'Gamma'])} {i}",
            summary=" ".join(rng.sample(WORDS, 2)),
            chapter=rng.choice(chapters),
            start_year=rng.choice([None, 1990, 1995, 2000, 2005, 2010]),
            status=CaseStatus.PUBLISHED if rng.random() < 0.9 else CaseStatus.DRAFT,
            countries=rng.sample(countries, rng.randint(0, 2)),
            **{field: rng.sample(pool, rng.randint(0, 2)) for field, pool in terms.items()},
        )
        for dim in rng.sample(dims, rng.randint(0, 2)):
            factories.OutcomeFactory(case=case, dimension=dim, direction=rng.choice(directions))
    keys = {facet.param: [facet.key(t) for t in facet.model.objects.all()] for facet in TERM_FACETS}
    keys[OUTCOME_FACET.param] = [f"{d.slug}:{r.slug}" for d in dims for r in directions]
    return keys
