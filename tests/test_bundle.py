"""/extract.zip: both CSVs, a Frictionless data package that validates, and a README."""

import io
import json
import zipfile

import pytest
from frictionless import validate

from casestudies.models import CaseStatus

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    PolicyFieldFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    se = CountryFactory(code="SE", name="Sweden")
    de = CountryFactory(code="DE", name="Germany")
    field = PolicyFieldFactory(slug="childcare")
    quality = OutcomeDimensionFactory(slug="service-quality")
    improved = OutcomeDirectionFactory(slug="improved")
    book = SourceFactory(slug="book", title="New Public Governance", authors="Pestoff, Brandsen")
    article = SourceFactory(slug="article", kind="article", year=2009)
    a = CaseFactory(
        title='=Parent co-ops, "Sweden"',
        countries=[se, de],
        policy_fields=[field],
        chapter__source=book,
        sources=[book, article],
        start_year=1990,
        end_year=2005,
        units_studied=4,
    )
    OutcomeFactory(case=a, dimension=quality, direction=improved, finding="Better, 日本語.")
    CaseFactory(title="Second", countries=[de], chapter__source=book, sources=[book])
    CaseFactory(title="Hidden", status=CaseStatus.DRAFT, chapter__source=book)


def open_zip(client, url="/extract.zip"):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="coproduction-extract-' in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_bundle_contents(client, data):
    archive = open_zip(client, "/extract.zip?country=SE&country=DE")
    assert sorted(archive.namelist()) == [
        "README.txt",
        "cases.csv",
        "datapackage.json",
        "outcomes.csv",
    ]
    assert archive.testzip() is None
    cases = archive.read("cases.csv").decode().splitlines()
    assert len(cases) == 3  # header + two published cases
    readme = archive.read("README.txt").decode()
    assert "country=SE&country=DE" in readme
    assert "2 cases in cases.csv, 1 outcomes in outcomes.csv" in readme
    assert "How to cite" in readme
    # The book in APA 7: editors, (Eds.), year, title in sentence case, publisher.
    assert "Pestoff & Brandsen (Eds.). (2012). New public governance. Routledge." in readme
    # The extract itself as an atlas record, with the date it was retrieved.
    assert "[Data set, extract of " in readme
    assert "Retrieved " in readme
    assert "from http://testserver/cases/?country=SE&country=DE" in readme


def test_data_package_describes_every_column(client, data):
    archive = open_zip(client)
    package = json.loads(archive.read("datapackage.json"))
    cases_schema = package["resources"][0]["schema"]
    header = archive.read("cases.csv").decode().splitlines()[0].split(",")
    assert [f["name"] for f in cases_schema["fields"]] == header
    fields = {f["name"]: f for f in cases_schema["fields"]}
    assert all(f["description"] for f in fields.values())
    assert fields["countries"]["separator"] == "|"
    assert "SE" in fields["countries"]["allowedValues"]
    assert fields["outcome_service_quality"]["constraints"]["enum"] == ["improved"]
    assert fields["start_year"]["type"] == "integer"


def test_package_validates_with_frictionless(client, data, tmp_path):
    open_zip(client).extractall(tmp_path)
    report = validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_catches_a_code_outside_the_codebook(client, data, tmp_path):
    # The validation has teeth: a country code the codebook lacks is reported.
    open_zip(client).extractall(tmp_path)
    path = tmp_path / "cases.csv"
    path.write_text(path.read_text().replace("DE|SE", "DE|XX"))
    report = validate(tmp_path / "datapackage.json")
    assert not report.valid
    assert "countries" in {e[0] for e in report.flatten(["fieldName"])}


def test_bad_parameter_is_a_400(client, data):
    response = client.get("/extract.zip?country=ZZ")
    assert response.status_code == 400
    assert not response.streaming


def test_data_package_homepage_is_the_site_that_served_it(client, data, settings):
    # Not settings.SITE_URL, which production may leave at its localhost default:
    # the README in the same bundle already links to the host the request came to.
    settings.ALLOWED_HOSTS = ["atlas.example.org"]
    settings.SITE_URL = "http://localhost:8000"
    response = client.get("/extract.zip", HTTP_HOST="atlas.example.org", secure=True)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    package = json.loads(archive.read("datapackage.json"))
    assert package["homepage"] == "https://atlas.example.org/"
    assert "https://atlas.example.org/cases/" in archive.read("README.txt").decode()


def test_bundle_states_the_data_licence(client, data):
    archive = open_zip(client)
    package = json.loads(archive.read("datapackage.json"))
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "title": "Creative Commons Attribution 4.0 International",
            "path": "https://creativecommons.org/licenses/by/4.0/",
        }
    ]
    assert "paraphrase" in package["rights"]
    readme = archive.read("README.txt").decode()
    assert "Creative Commons Attribution 4.0 International (CC-BY-4.0)" in readme
    assert "paraphrase" in readme
