"""/cases.json and /outcomes.json: the same rows as the CSVs, in a documented shape."""

import json

import pytest

from casestudies.models import CaseStatus

from .factories import CaseFactory, CountryFactory, OutcomeFactory

pytestmark = pytest.mark.django_db


def json_of(response) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(b"".join(response.streaming_content))


def test_cases_json_shape_and_rows(client):
    se = CountryFactory(code="SE", name="Sweden")
    CaseFactory(title="Beta", countries=[se], locality="", start_year=2001)
    CaseFactory(title="Alpha", countries=[])
    CaseFactory(title="Draft", status=CaseStatus.DRAFT)
    data = json_of(client.get("/cases.json"))
    assert set(data) == {
        "query",
        "generated_at",
        "note",
        "how_to_cite",
        "license",
        "cases",
        "count",
    }
    assert data["count"] == 2
    # The atlas record in APA 7, with the date retrieved, and the data licence.
    assert data["how_to_cite"].startswith("Co-production Case Atlas. (")
    assert "[Data set, extract of " in data["how_to_cite"]
    assert data["how_to_cite"].endswith("from http://testserver/cases/")
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert [c["title"] for c in data["cases"]] == ["Alpha", "Beta"]
    beta = data["cases"][1]
    assert beta["countries"] == ["SE"]  # many-valued fields are arrays
    assert beta["country_names"] == ["Sweden"]
    assert beta["locality"] is None  # not stated is null
    assert beta["start_year"] == 2001  # numbers are numbers
    assert beta["end_year"] is None
    assert data["cases"][0]["countries"] == []


def test_json_rows_equal_csv_rows(client):
    se = CountryFactory(code="SE")
    CaseFactory.create_batch(3, countries=[se])
    CaseFactory.create_batch(2)
    query = "country=SE"
    slugs = [c["slug"] for c in json_of(client.get(f"/cases.json?{query}"))["cases"]]
    csv_body = b"".join(client.get(f"/cases.csv?{query}").streaming_content).decode()
    csv_slugs = [line.split(",")[1] for line in csv_body.splitlines()[1:]]
    assert slugs == csv_slugs and len(slugs) == 3
    assert json_of(client.get(f"/cases.json?{query}"))["query"] == query


def test_outcomes_json(client):
    case = CaseFactory()
    OutcomeFactory(case=case, finding='A "quoted" finding, in Ελληνικά.')
    data = json_of(client.get("/outcomes.json"))
    assert data["count"] == 1
    (outcome,) = data["outcomes"]
    assert outcome["case_slug"] == case.slug
    assert outcome["finding"] == 'A "quoted" finding, in Ελληνικά.'


def test_single_case_json(client):
    case = CaseFactory(title="Only me")
    data = json_of(client.get(f"/cases/{case.slug}.json"))
    assert data["count"] == 1 and data["cases"][0]["title"] == "Only me"
    # Cites the case record, at the case's page.
    assert "Only me [Data set, extract of " in data["how_to_cite"]
    assert data["how_to_cite"].endswith(f"from http://testserver/cases/{case.slug}/")
    draft = CaseFactory(status=CaseStatus.DRAFT)
    assert client.get(f"/cases/{draft.slug}.json").status_code == 404


def test_bad_parameter_is_400_plain_text(client):
    response = client.get("/cases.json?country=ZZ")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
