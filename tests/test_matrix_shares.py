"""The matrix in shares: bases, hidden "not stated", small-sample marks, headline, CSV."""

import csv
import io

import pytest

from casestudies.reads.matrix import SMALL_SAMPLE

from .factories import CaseFactory, CountryFactory, ParticipationFormFactory
from .test_matrix import expected_counts, make_atlas

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.FACET_CACHE_SECONDS = 0  # as in test_matrix: count every time


@pytest.fixture
def atlas():
    return make_atlas()


def _matrix(client, query):
    response = client.get(f"/matrix/?{query}")
    assert response.status_code == 200
    return response.context["matrix"]


def test_row_shares_are_of_the_cases_that_state_the_column_dimension(client, atlas):
    matrix = _matrix(client, "rows=country&cols=participation_form&measure=row_share")
    cells, row_totals, _ = expected_counts(atlas, "country", "participation_form")
    assert not matrix.show_not_stated  # hidden by default in shares
    assert all(not col.is_not_stated for col in matrix.columns)
    for line in matrix.lines:
        code = line.header.code or None
        base = row_totals[code] - cells.get((code, None), 0)
        assert line.header.n == line.total.base == base
        for col, cell in zip(matrix.columns, line.cells, strict=True):
            assert cell.count == cells.get((code, col.code), 0)
            assert cell.share == pytest.approx(100 * cell.count / base)


def test_column_shares_and_not_stated_shown(client, atlas):
    matrix = _matrix(
        client, "rows=country&cols=participation_form&measure=col_share&not_stated=show"
    )
    _, _, col_totals = expected_counts(atlas, "country", "participation_form")
    assert matrix.lines[-1].header.is_not_stated and matrix.columns[-1].is_not_stated
    for index, col in enumerate(matrix.columns):
        base = col_totals[col.code or None]
        assert col.n == matrix.column_totals[index].base == base
        shares = [line.cells[index].share for line in matrix.lines]
        if base:
            assert sum(line.cells[index].count for line in matrix.lines) >= base
            assert all(
                s == pytest.approx(100 * line.cells[index].count / base)
                for s, line in zip(shares, matrix.lines, strict=True)
            )


def test_share_links_still_select_exactly_the_counted_cases(client, atlas):
    matrix = _matrix(client, "rows=policy_field&cols=provider_type&measure=row_share")
    followed = 0
    for line in matrix.lines:
        for cell in line.cells:
            if cell.query:
                listing = client.get(f"/cases/?{cell.query}")
                assert listing.context["page"].paginator.count == cell.count
                followed += 1
    assert followed >= 3


def test_the_headline_is_never_a_not_stated_cell(client, db):
    se = CountryFactory(code="SE", name="Sweden")
    cp = ParticipationFormFactory(slug="co-production", label="Co-production")
    CaseFactory.create_batch(4, countries=[se])  # Sweden × not stated: the largest cell
    CaseFactory(countries=[se], participation_forms=[cp])
    counts = _matrix(client, "rows=country&cols=participation_form")
    assert counts.largest == ("Sweden", "Co-production", "1 case")
    html = client.get("/matrix/").content.decode()
    assert "the largest cell is Sweden × Co-production: 1 case" in html


def test_in_shares_the_headline_needs_enough_cases(client, db):
    se = CountryFactory(code="SE", name="Sweden")
    be = CountryFactory(code="BE", name="Belgium")
    cp = ParticipationFormFactory(slug="co-production", label="Co-production")
    cm = ParticipationFormFactory(slug="co-management", label="Co-management")
    CaseFactory.create_batch(2, countries=[be], participation_forms=[cm])  # 100% of 2
    CaseFactory.create_batch(3, countries=[se], participation_forms=[cp])
    CaseFactory.create_batch(2, countries=[se], participation_forms=[cm])
    matrix = _matrix(client, "rows=country&cols=participation_form&measure=row_share")
    assert matrix.largest == ("Sweden", "Co-production", "60% of 5 cases")
    belgium = next(line for line in matrix.lines if line.header.code == "BE")
    assert belgium.header.is_small and belgium.header.n == 2 < SMALL_SAMPLE
    html = client.get("/matrix/?measure=row_share").content.decode()
    assert '<span class="caution-marker">n = 2<span class="visually-hidden">' in html
    assert '<span class="heading-n">n = 5</span>' in html


def test_the_csv_follows_the_measure(client, atlas):
    query = "rows=country&cols=participation_form&measure=row_share"
    matrix = _matrix(client, query)
    response = client.get(f"/matrix.csv?{query}")
    assert "row-share" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][-1] == "Cases (n)"
    assert rows[0][2].endswith("(% of row)")
    for line, row in zip(matrix.lines, rows[1:-1], strict=True):
        expected = ["" if c.share is None else str(round(c.share, 1)) for c in line.cells]
        assert row[2:-1] == expected
        assert int(row[-1]) == line.header.n
    assert rows[-1][0] == "All selected cases"


def test_the_csv_of_column_shares_ends_with_the_columns_bases(client, atlas):
    matrix = _matrix(client, "measure=col_share")
    rows = list(
        csv.reader(io.StringIO(client.get("/matrix.csv?measure=col_share").content.decode()))
    )
    assert rows[-1][0] == "Cases (n)"
    assert [int(v) for v in rows[-1][2:-1]] == [col.n for col in matrix.columns]
