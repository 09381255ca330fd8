"""?lang= on the extracts: translated label columns added beside the codes, nothing else.

docs/extracts.md: without ``lang`` every extract is byte for byte what it always was;
with it each column of codebook or country codes is followed by
``<column>_label_<lang>``, the labels in that language (English where no translation
is written), and every other column, name and value stays as it was.
"""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.extracts import records
from casestudies.importing import cases_import

from .factories import (
    CaseFactory,
    CountryFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    PolicyFieldFactory,
    WorldRegionFactory,
)

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_body(response).decode("utf-8"), newline="")))


@pytest.fixture
def atlas():
    europe = WorldRegionFactory(slug="europe", label="Europe", label_in_de="Europa")
    sweden = CountryFactory(code="SE", name="Sweden", world_region=europe)
    germany = CountryFactory(code="DE", name="Germany", world_region=europe)
    childcare = PolicyFieldFactory(
        slug="childcare", label="Childcare", label_in_de="Kinderbetreuung"
    )
    bees = PolicyFieldFactory(slug="beekeeping", label="Beekeeping")  # no translation
    quality = OutcomeDimensionFactory(slug="quality", label="Quality", label_in_de="Qualität")
    better = OutcomeDirectionFactory(slug="improved", label="Improved", label_in_de="verbessert")
    first = CaseFactory(
        slug="first", title="First", countries=[sweden, germany], policy_fields=[childcare, bees]
    )
    OutcomeFactory(case=first, dimension=quality, direction=better)
    CaseFactory(slug="second", title="Second", countries=[germany], policy_fields=[])
    return first


def test_without_lang_the_extracts_are_unchanged(client, atlas):
    """Adding the option changed no byte of an extract that does not ask for it."""
    for url in ("/cases.csv", "/outcomes.csv", "/cases/first.csv"):
        plain = _body(client.get(url))
        assert b"_label_" not in plain
        assert _body(client.get(url, {"sort": "title"})) == _body(client.get(url + "?sort=title"))


def test_label_columns_follow_their_code_columns(client, atlas):
    plain = _rows(client.get("/cases.csv"))
    german = _rows(client.get("/cases.csv", {"lang": "de"}))
    added = [name for name in german[0] if name not in plain[0]]
    assert added[:4] == [
        "countries_label_de",
        "world_regions_label_de",
        "welfare_traditions_label_de",
        "policy_fields_label_de",
    ]
    assert "outcome_quality_label_de" in added and "users_influence_label_de" in added
    names = list(german[0])
    for name in added:
        code_column = name.removesuffix("_label_de")
        assert names.index(name) == names.index(code_column) + 1
    # Every original column keeps its name, order and values.
    assert [n for n in names if n not in added] == list(plain[0])
    for before, after in zip(plain, german, strict=True):
        assert {k: after[k] for k in before} == before


def test_labels_are_translated_with_english_where_missing(client, atlas):
    first = {r["slug"]: r for r in _rows(client.get("/cases.csv", {"lang": "de"}))}["first"]
    assert first["countries"] == "DE|SE"
    assert first["countries_label_de"] == "Deutschland|Schweden"
    assert first["world_regions_label_de"] == "Europa"
    # "Beekeeping" has no German label: English, as the code column's term.
    codes = first["policy_fields"].split("|")
    labels = first["policy_fields_label_de"].split("|")
    assert dict(zip(codes, labels, strict=True)) == {
        "childcare": "Kinderbetreuung",
        "beekeeping": "Beekeeping",
    }
    assert first["outcome_quality"] == "improved"
    assert first["outcome_quality_label_de"] == "verbessert"
    french = {r["slug"]: r for r in _rows(client.get("/cases.csv", {"lang": "fr"}))}["first"]
    assert french["countries_label_fr"] == "Allemagne|Suède"
    assert set(french["policy_fields_label_fr"].split("|")) == {"Beekeeping", "Childcare"}
    english = {r["slug"]: r for r in _rows(client.get("/cases.csv", {"lang": "en"}))}["first"]
    assert english["countries_label_en"] == "Germany|Sweden"


def test_outcomes_and_json_extracts_take_lang_too(client, atlas):
    row = _rows(client.get("/outcomes.csv", {"lang": "de"}))[0]
    assert (row["dimension"], row["dimension_label_de"]) == ("quality", "Qualität")
    assert (row["direction"], row["direction_label_de"]) == ("improved", "verbessert")
    assert row["countries_label_de"] == "Deutschland|Schweden"
    data = json.loads(_body(client.get("/cases.json", {"lang": "es", "sort": "title"})))
    first = data["cases"][0]
    assert first["countries"] == ["DE", "SE"]
    assert first["countries_label_es"] == ["Alemania", "Suecia"]
    assert data["query"] == "sort=title"  # lang is no filter of the list
    single = _rows(client.get("/cases/first.csv", {"lang": "de"}))[0]
    assert single["policy_fields_label_de"]


def test_an_unknown_language_is_a_clear_400(client, atlas):
    for url in ("/cases.csv", "/outcomes.csv", "/cases.json", "/cases/first.csv"):
        for value in ("xx", "", "DE"):
            response = client.get(url, {"lang": value})
            assert response.status_code == 400, (url, value)
            text = response.content.decode()
            assert "Parameter 'lang'" in text and "Allowed values: en, de, fr, es." in text
    response = client.get("/extract.zip", {"lang": "de"})
    assert response.status_code == 400
    assert "extract.zip has no label columns" in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        _body(client.get(url))
    return len(captured)


def test_constant_queries_and_one_more_for_the_labels(client, atlas, monkeypatch):
    """N+1 guard: the labels cost one query (every vocabulary at once), whatever the
    number of rows; the rows are read in chunks by the Python writer."""
    monkeypatch.setattr(records, "CHUNK_SIZE", 1000)
    monkeypatch.setattr(records, "PG_CHUNK_SIZE", 1000)
    few = _queries(client, "/cases.csv?lang=de")
    CaseFactory.create_batch(15)
    assert _queries(client, "/cases.csv?lang=de") == few
    # The Python writer's queries (tests/test_csv_export.py: the chunk's relations one
    # query each on SQLite, in one query on PostgreSQL) plus the labels' one.
    assert few == (6 if connection.vendor == "postgresql" else 15)


def test_the_import_takes_an_extract_made_with_lang(client, atlas, superuser):
    data = _body(client.get("/cases.csv", {"lang": "de"}))
    report = cases_import(data, user=superuser, commit=False)
    assert report.errors == []
    assert len(report.unchanged) == 2
