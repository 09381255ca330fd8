"""The cross-country matrix: counts, totals, cell links, filters, CSV, bad input, queries."""

import csv
import io
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.models import CaseStatus
from casestudies.reads import case_index

from .factories import (
    CaseFactory,
    CountryFactory,
    LevelFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
    ProviderTypeFactory,
    WelfareTraditionFactory,
    WorldRegionFactory,
)

pytestmark = pytest.mark.django_db

# N+1 guard: outcome dimensions, the counts (one statement for cells and totals),
# row labels, column labels, and on PostgreSQL the data stamp the cache keys on and
# (axes the case index holds) the stamp read to find the index.
MATRIX_MAX_QUERIES = 6
# From the case index (PostgreSQL, axes it holds): the counting statement gives way to
# the index's build, which tests run in the request (a server builds in the background
# and then runs one query fewer).
MATRIX_INDEXED_MAX_QUERIES = 6


@pytest.fixture(autouse=True)
def uncached(settings):
    """Count every time: a test's rolled-back writes can bring the data stamp back to
    a value an earlier test cached under. ``test_counts_are_cached_...`` turns it on."""
    settings.FACET_CACHE_SECONDS = 0


@pytest.fixture
def atlas():
    return make_atlas()


def make_atlas():
    """A small atlas with overlaps and gaps, and the codes a test needs to read it."""
    nordic = WelfareTraditionFactory(slug="nordic", label="Nordic")
    continental = WelfareTraditionFactory(slug="continental", label="Continental")
    europe = WorldRegionFactory(slug="europe", label="Europe")
    se = CountryFactory(code="SE", name="Sweden", welfare_tradition=nordic, world_region=europe)
    dk = CountryFactory(code="DK", name="Denmark", welfare_tradition=nordic, world_region=europe)
    be = CountryFactory(
        code="BE", name="Belgium", welfare_tradition=continental, world_region=europe
    )
    xx = CountryFactory(code="XQ", name="Unclassified", welfare_tradition=None, world_region=None)
    cp = ParticipationFormFactory(slug="co-production", label="Co-production")
    cm = ParticipationFormFactory(slug="co-management", label="Co-management")
    ParticipationFormFactory(slug="co-governance", label="Co-governance")  # no case: zeros
    childcare = PolicyFieldFactory(slug="childcare", label="Childcare")
    health = PolicyFieldFactory(slug="health", label="Health")
    quality = OutcomeDimensionFactory(slug="quality", label="Service quality")
    trust = OutcomeDimensionFactory(slug="trust", label="Trust")
    improved = OutcomeDirectionFactory(slug="improved", label="Improved")
    worsened = OutcomeDirectionFactory(slug="worsened", label="Worsened")

    third = ProviderTypeFactory(slug="third-sector", label="Third sector")
    public = ProviderTypeFactory(slug="public", label="Public")
    specs = [
        {
            "countries": [se],
            "participation_forms": [cp],
            "policy_fields": [childcare],
            "provider_types": [third],
        },
        # Two Nordic countries and two forms: one case, counted once per total.
        {
            "countries": [se, dk],
            "participation_forms": [cp, cm],
            "policy_fields": [childcare],
            "provider_types": [third, public],
        },
        {
            "countries": [be],
            "participation_forms": [cm],
            "policy_fields": [health],
            "provider_types": [public],
        },
        {"countries": [be], "participation_forms": [cp], "policy_fields": [childcare, health]},
        {"countries": [], "participation_forms": [cp], "policy_fields": []},
        {"countries": [dk, xx], "participation_forms": [], "policy_fields": [health]},
    ]
    cases = [CaseFactory(**spec) for spec in specs]
    OutcomeFactory(case=cases[0], dimension=quality, direction=improved)
    OutcomeFactory(case=cases[1], dimension=quality, direction=worsened)
    OutcomeFactory(case=cases[2], dimension=quality, direction=improved)
    OutcomeFactory(case=cases[2], dimension=trust, direction=worsened)
    OutcomeFactory(case=cases[3], dimension=trust, direction=improved)
    # Never counted: not published.
    CaseFactory(countries=[se], participation_forms=[cp], status=CaseStatus.DRAFT)
    CaseFactory(countries=[be], participation_forms=[cm], status=CaseStatus.REVIEW)
    return cases


def _values(case, axis, dimension="quality"):
    """The codes a case has on an axis of the matrix, or {None} when it has none."""
    countries = list(case.countries.all())
    if axis == "country":
        values = {c.code for c in countries}
    elif axis in ("welfare_tradition", "world_region"):
        values = {getattr(c, axis).slug if getattr(c, axis) else None for c in countries}
    elif axis == "outcome":
        found = {f"{o.dimension.slug}:{o.direction.slug}" for o in case.outcomes.all()}
        values = {v for v in found if v.startswith(f"{dimension}:")}
    elif axis == "chapter":
        values = {str(case.chapter.number)}
    else:
        values = {t.slug for t in getattr(case, f"{axis}s").all()}
    return values or {None}


def expected_counts(cases, rows, cols):
    """The matrix computed independently, in Python, from the factory data."""
    cells, row_totals, col_totals = Counter(), Counter(), Counter()
    for case in cases:
        row_values, col_values = _values(case, rows), _values(case, cols)
        for r in row_values:
            row_totals[r] += 1
            for c in col_values:
                cells[r, c] += 1
        for c in col_values:
            col_totals[c] += 1
    return cells, row_totals, col_totals


def shown_counts(matrix):
    cells, row_totals, col_totals = {}, {}, {}
    for line in matrix.lines:
        row = line.header.code or None
        row_totals[row] = line.total.count
        for col, cell in zip(matrix.columns, line.cells, strict=True):
            if cell.count:
                cells[row, col.code or None] = cell.count
    for col, cell in zip(matrix.columns, matrix.column_totals, strict=True):
        if cell.count:
            col_totals[col.code or None] = cell.count
    return cells, row_totals, col_totals


@pytest.mark.parametrize(
    ("rows", "cols"),
    [
        ("country", "participation_form"),
        ("welfare_tradition", "participation_form"),
        ("world_region", "policy_field"),
        ("country", "outcome"),
        ("policy_field", "provider_type"),
        ("participation_form", "welfare_tradition"),  # a column repeating per case
        ("outcome", "world_region"),
        ("chapter", "policy_field"),
        ("level", "country"),
    ],
)
def test_cells_and_totals_match_counts_computed_in_python(client, atlas, rows, cols):
    response = client.get("/matrix/", {"rows": rows, "cols": cols, "outcome_dimension": "quality"})
    assert response.status_code == 200
    matrix = response.context["matrix"]
    cells, row_totals, col_totals = expected_counts(atlas, rows, cols)
    shown_cells, shown_rows, shown_cols = shown_counts(matrix)
    assert shown_cells == dict(cells)
    assert shown_rows == dict(row_totals)
    assert shown_cols == dict(col_totals)
    assert matrix.grand_total.count == len(atlas)


def test_a_case_in_two_countries_of_one_tradition_counts_once(client, atlas):
    matrix = client.get("/matrix/?rows=welfare_tradition").context["matrix"]
    nordic = next(line for line in matrix.lines if line.header.code == "nordic")
    # Cases 0, 1 and 5 have a Nordic country; case 1 has two of them.
    assert nordic.total.count == 3
    # Column total for co-production: cases 0, 1, 3, 4 — case 1 once although in SE and DK.
    co_production = [c.code for c in matrix.columns].index("co-production")
    assert matrix.column_totals[co_production].count == 4


def test_not_stated_row_and_column_are_shown_without_links(client, atlas):
    response = client.get("/matrix/?rows=country&cols=participation_form")
    matrix = response.context["matrix"]
    assert matrix.lines[-1].header.is_not_stated
    assert matrix.columns[-1].is_not_stated
    assert matrix.lines[-1].total.count == 1  # the case with no country
    assert matrix.column_totals[-1].count == 1  # the case with no participation form
    for line in matrix.lines:
        assert line.cells[-1].query is None
    assert all(cell.query is None for cell in matrix.lines[-1].cells)
    assert "Not stated (no country recorded)" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "rows=country&cols=participation_form",
        "rows=welfare_tradition&cols=policy_field",
        "rows=world_region&cols=outcome&outcome_dimension=quality",
        "rows=country&cols=policy_field&participation_form=co-production",
    ],
)
def test_every_cell_link_lands_on_a_list_with_the_same_count(client, atlas, query):
    matrix = client.get(f"/matrix/?{query}").context["matrix"]
    followed = 0
    for line in matrix.lines:
        for cell in [*line.cells, line.total]:
            if cell.query is None:
                continue
            listing = client.get(f"/cases/?{cell.query}")
            assert listing.status_code == 200
            assert listing.context["page"].paginator.count == cell.count, cell.query
            followed += 1
    for cell in [*matrix.column_totals, matrix.grand_total]:
        if cell.query is not None:
            assert client.get(f"/cases/?{cell.query}").context["page"].paginator.count == (
                cell.count
            )
    assert followed >= 3


def test_cell_links_are_written_in_the_page_with_the_number(client, atlas):
    html = client.get("/matrix/?rows=country&cols=participation_form").content.decode()
    assert 'href="/cases/?country=SE&amp;participation_form=co-production"' in html
    assert "heat-5" in html  # the largest cell gets the darkest shade
    assert 'class="visually-hidden"> cases: Sweden, Co-production' in html


def test_filters_narrow_the_matrix(client, atlas):
    everything = client.get("/matrix/").context["matrix"]
    childcare = client.get("/matrix/?policy_field=childcare").context["matrix"]
    assert everything.grand_total.count == 6
    assert childcare.grand_total.count == 3
    cells, _, _ = expected_counts(
        [c for c in atlas if "childcare" in {t.slug for t in c.policy_fields.all()}],
        "country",
        "participation_form",
    )
    assert shown_counts(childcare)[0] == dict(cells)


def test_form_keeps_the_filters_as_hidden_inputs(client, atlas):
    html = client.get("/matrix/?policy_field=childcare&rows=world_region&page=2").content.decode()
    assert '<input type="hidden" name="policy_field" value="childcare">' in html
    assert 'name="page"' not in html
    assert '<label for="matrix-rows">Rows</label>' in html
    assert '<option value="world_region" selected>' in html


def test_a_filter_on_the_row_dimension_leaves_other_rows_unlinked(client, atlas):
    # Cases in Sweden that are also in Denmark: the list (OR within a facet) cannot show
    # "both", so the Denmark cell has no link, while the Sweden cells keep theirs.
    matrix = client.get("/matrix/?country=se").context["matrix"]
    by_code = {line.header.code: line for line in matrix.lines}
    assert by_code["DK"].total.count == 1
    assert by_code["DK"].total.query is None
    assert all(cell.query is None for cell in by_code["DK"].cells)
    assert by_code["SE"].total.query is not None


def test_page_offers_the_csv_and_the_filtered_cases_downloads(client, atlas):
    html = client.get("/matrix/?rows=world_region&policy_field=childcare").content.decode()
    assert 'href="/matrix.csv?rows=world_region&amp;policy_field=childcare"' in html
    assert "Download this matrix as CSV" in html
    assert 'href="/cases.csv?policy_field=childcare"' in html  # the cases behind it


def test_csv_holds_the_same_numbers_as_the_table(client, atlas):
    query = "rows=welfare_tradition&cols=participation_form"
    matrix = client.get(f"/matrix/?{query}").context["matrix"]
    response = client.get(f"/matrix.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][2:] == [c.label for c in matrix.columns] + ["Total (distinct cases)"]
    for line, row in zip(matrix.lines, rows[1:-1], strict=True):
        assert row[0] == line.header.label
        assert [int(v) for v in row[2:]] == [c.count for c in line.cells] + [line.total.count]
    assert rows[-1][0] == "Total (distinct cases)"
    assert [int(v) for v in rows[-1][2:]] == [c.count for c in matrix.column_totals] + [6]


def test_csv_neutralises_spreadsheet_formulas(client):
    CaseFactory(countries=[CountryFactory(code="ZZ", name="=HYPERLINK(1)")])
    rows = list(csv.reader(io.StringIO(client.get("/matrix.csv").content.decode())))
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][-1] == "1"  # numbers stay numbers


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/matrix/?rows=chapters", "rows"),
        ("/matrix/?rows=country&cols=country", "cols"),
        ("/matrix/?measure=percent", "measure"),
        ("/matrix/?not_stated=maybe", "not_stated"),
        ("/matrix/?cols=countries", "cols"),
        ("/matrix/?cols=outcome&outcome_dimension=nope", "outcome_dimension"),
        ("/matrix/?rows=%00", "rows"),
    ],
)
def test_bad_shape_parameters_are_a_clear_400(client, atlas, url, param):
    response = client.get(url)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"<code>{param}</code>" in html
    assert "Allowed values" in html


def test_bad_parameter_in_the_csv_is_plain_text_400(client, atlas):
    response = client.get("/matrix.csv?rows=nope")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "welfare_tradition" in response.content.decode()


def test_outcome_columns_default_to_the_first_dimension(client, atlas):
    matrix = client.get("/matrix/?cols=outcome").context["matrix"]
    assert matrix.outcome_dimension.slug == "quality"
    assert [c.code for c in matrix.columns][:2] == ["quality:improved", "quality:worsened"]


def test_empty_matrix_says_so(client, db):
    response = client.get("/matrix/")
    assert response.status_code == 200
    assert "No published case matches" in response.content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("indexed", [True, False], ids=["index", "sql"])
@pytest.mark.parametrize(
    "url", ["/matrix/", "/matrix/?rows=welfare_tradition&cols=outcome", "/matrix.csv"]
)
def test_query_count_is_pinned_and_constant_as_data_grows(
    client, atlas, url, indexed, monkeypatch, django_assert_max_num_queries
):
    # N+1 guard: a fixed number of GROUP BY queries, never one per cell or row.
    if not indexed:
        monkeypatch.setattr(case_index, "current", lambda *a: None)
    limit = MATRIX_INDEXED_MAX_QUERIES if indexed else MATRIX_MAX_QUERIES
    with django_assert_max_num_queries(limit):
        client.get(url)
    before = _queries(client, url)
    level = LevelFactory()
    for n in range(8):
        country = CountryFactory(welfare_tradition=WelfareTraditionFactory())
        CaseFactory(
            countries=[country],
            participation_forms=[ParticipationFormFactory()],
            levels=[level],
        )
        OutcomeFactory(case__countries=[country], dimension=OutcomeDimensionFactory(slug=f"d{n}"))
    assert _queries(client, url) == before


@pytest.mark.postgres
def test_counts_are_cached_under_the_data_stamp_and_never_stale(
    client, atlas, settings, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("the data stamp (and so the cache) exists on PostgreSQL only")
    # The SQL path's cache (the index's counts are no query: tests/test_matrix_index.py).
    monkeypatch.setattr(case_index, "current", lambda *a: None)
    settings.FACET_CACHE_SECONDS = 600
    cache.clear()
    first = _queries(client, "/matrix/")
    assert _queries(client, "/matrix/") == first - 1  # the counting statement is saved
    CaseFactory(countries=[CountryFactory(code="NO", name="Norway")])
    fresh = client.get("/matrix/").context["matrix"]
    assert fresh.grand_total.count == len(atlas) + 1
    assert "NO" in {line.header.code for line in fresh.lines}


@pytest.mark.parametrize("q", ["'", '"', "%", "🙂", "!!!"])
@pytest.mark.parametrize("url", ["/matrix/", "/matrix.csv"])
def test_search_without_words_is_an_empty_matrix_not_an_error(client, atlas, url, q):
    # As on the list (test_case_list.py): a search with no searchable term finds nothing.
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    if url == "/matrix/":
        assert "No published case matches" in response.content.decode()
    else:
        total = list(csv.reader(io.StringIO(response.content.decode())))[-1]
        assert total[-1] == "0"
