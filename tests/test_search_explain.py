"""Why a case matched, did-you-mean, and ``q`` meaning the same on every page and extract."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.reads.search import uses_fts
from casestudies.reads.search_explain import _Matcher, snippet
from casestudies.reads.search_query import parse
from casestudies.reads.search_suggest import corrected_text, edit_distance

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_the_index(db):
    if not uses_fts(connection):
        pytest.skip("no full-text index (SQLite without FTS5)")


@pytest.fixture
def atlas():
    be = factories.CountryFactory(code="BE", name="Belgium")
    se = factories.CountryFactory(code="SE", name="Sweden")
    childcare = factories.PolicyFieldFactory(slug="childcare", label="Childcare / preschool")
    chapter = factories.ChapterFactory(authors="Vamstad", title="Parents and staff")
    return {
        "flemish": factories.CaseFactory(
            slug="flemish",
            title="Flemish network",
            summary="Private <b>organisations</b> provide childcare in Flanders & Brussels.",
            countries=[be],
            policy_fields=[childcare],
        ),
        "swedish": factories.CaseFactory(
            slug="swedish",
            title="Parent co-operatives",
            summary="Parents run co-operative childcare together with staff.",
            countries=[se],
            policy_fields=[childcare],
            chapter=chapter,
        ),
    }


def test_snippet_highlights_matched_forms_and_escapes_the_data():
    matcher = _Matcher(parse("organisation"), connection.vendor)
    html = snippet("Private <b>organisations</b> & co.", matcher)
    assert html == "Private &lt;b&gt;<mark>organisations</mark>&lt;/b&gt; &amp; co."
    assert snippet("Nothing to see.", matcher) is None


def test_snippet_is_a_window_around_the_matches():
    matcher = _Matcher(parse("needle"), connection.vendor)
    text = " ".join(["hay"] * 50 + ["needle"] + ["hay"] * 50)
    html = snippet(text, matcher)
    assert html.startswith("… ") and html.endswith(" …") and "<mark>needle</mark>" in html
    assert len(html.split()) <= 34


def test_hyphenated_words_highlight_by_any_form():
    for q in ["cooperative", "co-operative", "co operative"]:
        matcher = _Matcher(parse(q), connection.vendor)
        html = snippet("Parents run co-operative childcare.", matcher)
        assert "<mark>co-operative</mark>" in html, q


def test_the_list_says_why_a_case_matched(client, atlas):
    response = client.get("/cases/", {"q": "Belgium"})
    assert b"coded: Belgium (country)" in response.content
    response = client.get("/cases/", {"q": "organisations"})
    body = response.content.decode()
    assert "&lt;b&gt;<mark>organisations</mark>&lt;/b&gt;" in body
    assert "<b>organisations</b>" not in body
    response = client.get("/cases/", {"q": "Vamstad"})
    assert b"chapter: Vamstad" in response.content


def test_the_coded_line_lists_a_dimensions_values_by_label(client, atlas):
    zebra = factories.PolicyFieldFactory(slug="zebra", label="Zebra crossings care")
    adult = factories.PolicyFieldFactory(slug="adult", label="Adult care")
    factories.CaseFactory(slug="two", summary="Nothing.", policy_fields=[zebra, adult])
    body = client.get("/cases/", {"q": "care"}).content.decode()
    assert "coded: Adult care (policy field); Zebra crossings care (policy field)" in body


def test_the_coded_line_speaks_the_visitors_language(client, atlas):
    """The search reads English labels; the line shows the page's language: a country
    from the ISO catalogues, a term's translation, else its English label, marked."""
    bees = factories.PolicyFieldFactory(slug="beekeeping", label="Beekeeping")
    childcare = atlas["swedish"].policy_fields.get()
    childcare.label_in_de = "Kinderbetreuung"
    childcare.save()
    factories.CaseFactory(slug="bees", summary="Hives.", policy_fields=[bees])
    body = client.get("/de/cases/", {"q": "Belgium"}).content.decode()
    assert "kodiert: Belgien (Land)" in body
    body = client.get("/de/cases/", {"q": "childcare"}).content.decode()
    assert "Kinderbetreuung (Politikfeld)" in body
    body = client.get("/de/cases/", {"q": "beekeeping"}).content.decode()
    assert (
        '<span lang="en">Beekeeping</span> <span class="fallback-mark">(auf Englisch)</span> '
        "(Politikfeld)"
    ) in body
    french = client.get("/fr/cases/", {"q": "Belgium"}).content.decode()
    assert "Belgique (pays)" in french
    # The English page as before.
    assert (
        b"coded: Childcare / preschool (policy field)"
        in client.get("/cases/", {"q": "preschool"}).content
    )


def test_the_query_language_is_documented_on_the_page(client, atlas):
    body = client.get("/cases/").content.decode()
    assert "all of them (else any, ranked lower)" in body
    assert "<code>-word</code>" in body and "<code>or</code>" in body


def test_explaining_costs_one_query_however_many_cases(client, atlas):
    def queries(q):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cases/", {"q": q}).status_code == 200
        return len(ctx.captured_queries)

    few = queries("childcare")
    for i in range(30):
        factories.CaseFactory(slug=f"more-{i}", title=f"Childcare {i}", summary="Childcare.")
    assert queries("childcare") == few


def test_did_you_mean_offers_the_closest_indexed_spelling(client, atlas):
    # (Two words would fall back to cases with either: one word finds nothing.)
    response = client.get("/cases/", {"q": "Belgum", "country": "BE"})
    assert response.context["page"].paginator.count == 0
    assert response.context["suggestion"]["q"] == "belgium"
    assert b"Did you mean" in response.content
    assert "country=BE" in response.context["suggestion"]["query"]
    # Words already indexed are kept; nothing closer, no suggestion.
    assert corrected_text("Belgium") is None
    assert client.get("/cases/", {"q": "zzzqqxx"}).context["suggestion"] is None


def test_did_you_mean_keeps_the_query_syntax(atlas):
    assert corrected_text('"Swedn" -Belgum') == '"sweden" -belgium'


def test_edit_distance():
    assert edit_distance("belgum", "belgium") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


def test_q_means_the_same_on_the_list_extracts_matrix_and_country_page(client, atlas):
    factories.CaseFactory(slug="other", title="Housing", summary="Not childcare at all? Yes.")
    q = {"q": "childcare -housing"}
    listed = [c.slug for c in client.get("/cases/", q).context["cases"]]
    assert listed and "other" not in listed
    body = b"".join(client.get("/cases.csv", q).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["slug"] for r in rows] == listed
    response = client.get("/cases.json", q)
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    extract = json.loads(raw)
    cases = extract["cases"] if isinstance(extract, dict) else extract
    assert [c["slug"] for c in cases] == listed
    matrix = client.get("/matrix/", q)
    assert matrix.status_code == 200
    assert matrix.context["matrix"].grand_total.count == len(listed)
    country = client.get("/countries/SE/", q)
    in_sweden = [c.slug for c in client.get("/cases/", {**q, "country": "SE"}).context["cases"]]
    assert [c.slug for c in country.context["cases"]] == in_sweden == ["swedish"]
