"""/outcomes.csv: the long form, one row per case x outcome, for the same cases as /cases.csv."""

import csv
import io

import pytest

from casestudies.models import CaseStatus

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
)

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body, newline="")))


@pytest.fixture
def outcomes():
    se = CountryFactory(code="SE", name="Sweden")
    de = CountryFactory(code="DE", name="Germany")
    quality = OutcomeDimensionFactory(slug="service-quality", order=1)
    trust = OutcomeDimensionFactory(slug="trust", order=2)
    improved = OutcomeDirectionFactory(slug="improved")
    mixed = OutcomeDirectionFactory(slug="mixed")
    alpha = CaseFactory(title="Alpha", countries=[se, de])
    OutcomeFactory(case=alpha, dimension=trust, direction=mixed, finding="Trust, mostly.")
    OutcomeFactory(case=alpha, dimension=quality, direction=improved, pages="12-14")
    bravo = CaseFactory(title="Bravo", countries=[de])
    OutcomeFactory(case=bravo, dimension=quality, direction=mixed)
    CaseFactory(title="Charlie without outcomes", countries=[se])
    draft = CaseFactory(title="Draft", countries=[se], status=CaseStatus.DRAFT)
    OutcomeFactory(case=draft, dimension=quality, direction=improved)
    return alpha, bravo


def test_one_row_per_case_and_outcome_in_list_then_dimension_order(client, outcomes):
    alpha, bravo = outcomes
    rows = rows_of(client.get("/outcomes.csv"))
    assert [(r["case_slug"], r["dimension"], r["direction"]) for r in rows] == [
        (alpha.slug, "service-quality", "improved"),
        (alpha.slug, "trust", "mixed"),
        (bravo.slug, "service-quality", "mixed"),
    ]
    assert rows[0]["case_id"] == str(alpha.pk)
    assert rows[0]["countries"] == "DE|SE"
    assert rows[0]["pages"] == "12-14"
    assert rows[1]["finding"] == "Trust, mostly."


def test_columns(client, outcomes):
    body = b"".join(client.get("/outcomes.csv").streaming_content).decode()
    assert body.splitlines()[0] == (
        "case_id,case_slug,case_title,countries,dimension,direction,finding,pages"
    )


def test_follows_the_list_filters(client, outcomes):
    alpha, _bravo = outcomes
    rows = rows_of(client.get("/outcomes.csv?country=SE"))
    assert {r["case_slug"] for r in rows} == {alpha.slug}


def test_filename_and_bad_parameter(client, outcomes):
    response = client.get("/outcomes.csv")
    assert 'filename="coproduction-outcomes-' in response["Content-Disposition"]
    assert client.get("/outcomes.csv?country=ZZ").status_code == 400


def test_query_count_is_fixed(client, outcomes, django_assert_max_num_queries):
    CaseFactory.create_batch(10)
    # N+1 guard: dimensions + the X-Row-Count + cases + 2 prefetches (countries,
    # outcomes) for the chunk.
    with django_assert_max_num_queries(5):
        b"".join(client.get("/outcomes.csv").streaming_content)
