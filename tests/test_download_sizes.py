"""Long downloads say so: links state the cases and a size; responses the row count."""

import pytest

from casestudies.templatetags.atlas import approx_size

from .factories import CaseFactory, CountryFactory, OutcomeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("count", "kind", "text"),
    [
        (0, "cases_csv", "under 1 kB"),
        (22, "cases_csv", "about 26 kB"),
        (100_000, "cases_csv", "about 120 MB"),
        (3, "outcomes_csv", "under 1 kB"),
        (1, "extract_zip", "about 10 kB"),
    ],
)
def test_approximate_sizes(count, kind, text):
    assert approx_size(count, kind) == text


def test_list_download_links_state_the_cases_and_sizes(client):
    se = CountryFactory(code="SE")
    CaseFactory.create_batch(3, countries=[se])
    CaseFactory()
    html = client.get("/cases/", {"country": "SE"}).content.decode()
    assert "Download these 3 cases" in html
    assert "one row per case (about 3.6 kB)" in html


@pytest.mark.parametrize(
    ("path", "rows"),
    [
        ("/cases.csv", 3),
        ("/cases.json", 3),
        ("/extract.zip", 3),
        ("/outcomes.csv", 2),
        ("/outcomes.json", 2),
    ],
)
def test_downloads_carry_their_row_count(client, path, rows):
    se = CountryFactory(code="SE")
    first, *_ = CaseFactory.create_batch(3, countries=[se])
    other = CaseFactory()
    OutcomeFactory(case=first)
    OutcomeFactory(case=first)
    OutcomeFactory(case=other)  # not selected: not counted
    response = client.get(path, {"country": "SE"})
    assert response.status_code == 200
    assert response["X-Row-Count"] == str(rows)
    body = b"".join(response.streaming_content)
    if path == "/cases.csv":
        assert body.count(b"\n") - 1 == rows  # header plus one line per case


def test_a_single_case_download_has_one_row(client):
    case = CaseFactory()
    assert client.get(f"/cases/{case.slug}.csv")["X-Row-Count"] == "1"
