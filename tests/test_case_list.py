"""The case list page /cases/: what a visitor sees, bad input, and the query budget."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.models import CaseStatus

from . import factories

pytestmark = pytest.mark.django_db

URL = "/cases/"


@pytest.fixture
def small_atlas():
    se = factories.CountryFactory(code="SE", name="Sweden")
    de = factories.CountryFactory(code="DE", name="Germany")
    coprod = factories.ParticipationFormFactory(slug="co-production", label="Co-production")
    cogov = factories.ParticipationFormFactory(slug="co-governance", label="Co-governance")
    factories.CaseFactory(
        slug="parent-coops", title="Parent co-ops", countries=[se], participation_forms=[coprod]
    )
    factories.CaseFactory(
        slug="tenant-boards", title="Tenant boards", countries=[de], participation_forms=[cogov]
    )
    factories.CaseFactory(
        slug="draft", title="Hidden draft", countries=[se], status=CaseStatus.DRAFT
    )


def html(client, query=""):
    response = client.get(URL + ("?" + query if query else ""))
    return response, response.content.decode()


def test_lists_published_cases_with_count_and_facets(client, small_atlas):
    response, page = html(client)
    assert response.status_code == 200
    assert "2 cases published" in page
    assert "Parent co-ops" in page and "Tenant boards" in page
    assert "Hidden draft" not in page
    # Facet values with their counts, as checkboxes of the filter form.
    assert re.search(r'name="country" value="SE" id="f-country-SE"', page)
    assert re.search(r"Sweden <span class=\"count\">1<", page)


def test_filtering_shows_chips_and_disjunctive_counts(client, small_atlas):
    _, page = html(client, "country=SE")
    assert "1 case matches these filters" in page
    assert "Parent co-ops" in page and "Tenant boards" not in page
    # The ticked value stays checked; Germany keeps its count (1) for OR-ing in.
    assert re.search(r'value="SE" id="f-country-SE" checked', page)
    assert re.search(r"Germany <span class=\"count\">1<", page)
    # A removable chip and a clear-all link.
    assert 'class="chip" href="?"' in page
    assert "Clear all filters" in page


def test_chip_removes_only_its_value(client, small_atlas):
    _, page = html(client, "country=SE&country=DE&participation_form=co-production")
    assert 'href="?country=DE&amp;participation_form=co-production"' in page
    assert 'href="?country=SE&amp;participation_form=co-production"' in page
    assert 'href="?country=SE&amp;country=DE"' in page


def test_zero_count_values_are_collapsed_with_their_zero(client, small_atlas):
    _, page = html(client, "participation_form=co-governance")
    # Under co-governance no Swedish case: Sweden goes into the collapsed list, with 0.
    collapsed = page.split('class="facet-empty"', 1)[1].split("</details>", 1)[0]
    assert "Sweden" in collapsed and 'class="count">0<' in collapsed


def test_rows_have_compare_checkboxes_and_download_links(client, small_atlas):
    _, page = html(client)
    assert '<form class="compare-form" method="get" action="/compare/">' in page
    assert (
        '<input type="checkbox" name="cases" value="parent-coops" id="pick-parent-coops">' in page
    )
    assert '<label for="pick-parent-coops"' in page
    assert "Compare selected" in page
    assert 'id="download"' in page


def test_sort_select_offers_relevance_only_when_searching(client, small_atlas):
    _, page = html(client)
    assert 'value="relevance"' not in page
    assert re.search(r'<option value="title" selected>', page)
    _, page = html(client, "q=parent")
    assert re.search(r'<option value="relevance" selected>', page)


def test_pagination_keeps_filters(client):
    se = factories.CountryFactory(code="SE", name="Sweden")
    factories.CaseFactory.create_batch(30, countries=[se])
    response, page = html(client, "country=SE&sort=start_year")
    assert "page 1 of 2" in page
    assert 'href="?country=SE&amp;sort=start_year&amp;page=2"' in page
    response, page = html(client, "country=SE&sort=start_year&page=2")
    assert response.status_code == 200
    assert page.count('name="cases"') == 5


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("country=XX", "country"),
        ("outcome=quality", "outcome"),
        ("year_from=nineteen", "year_from"),
        ("year_from=2001&year_to=2000", "year_from"),
        ("sort=random", "sort"),
        ("page=two", "page"),
        ("chapter=" + "9" * 400, "chapter"),  # would overflow a database integer
        ("country=S%00E", "country"),  # PostgreSQL refuses NUL characters
        ("q=a%00b", "q"),
    ],
)
def test_bad_parameters_are_400_in_the_layout(client, small_atlas, query, param):
    response, page = html(client, query)
    assert response.status_code == 400
    assert f"<code>{param}</code>" in page
    assert 'class="site-header"' in page  # the page keeps its layout


def test_search_without_words_is_an_empty_list_not_an_error(client, small_atlas):
    response, page = html(client, "q=!!!")
    assert response.status_code == 200
    assert "0 cases match" in page


def test_unknown_sort_lists_the_allowed_values(client, small_atlas):
    _, page = html(client, "sort=random")
    assert "<code>start_year</code>" in page


def test_page_past_the_end_is_404(client, small_atlas):
    assert client.get(URL + "?page=3").status_code == 404


def test_empty_and_unknown_parameters_are_ignored(client, small_atlas):
    response, page = html(client, "country=&q=&year_from=&fbclid=abc&sort=")
    assert response.status_code == 200
    assert "2 cases published" in page


def test_no_inline_script_or_style(client, small_atlas):
    _, page = html(client, "country=SE&q=parent")
    assert "<style" not in page
    assert " style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None


def test_search_text_is_escaped(client, small_atlas):
    _, page = html(client, "q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


def _many_cases(n):
    """n cases over many values of every facet, with outcomes."""
    countries = [factories.CountryFactory() for _ in range(12)]
    fields = factories.PolicyFieldFactory.create_batch(10)
    providers = factories.ProviderTypeFactory.create_batch(6)
    forms = factories.ParticipationFormFactory.create_batch(4)
    levels = factories.LevelFactory.create_batch(3)
    phases = factories.PhaseFactory.create_batch(4)
    dims = factories.ParticipationDimensionFactory.create_batch(4)
    outcome_dims = factories.OutcomeDimensionFactory.create_batch(4)
    directions = factories.OutcomeDirectionFactory.create_batch(3)
    chapters = factories.ChapterFactory.create_batch(4)
    for i in range(n):
        case = factories.CaseFactory(
            chapter=chapters[i % 4],
            start_year=1980 + i % 30,
            countries=[countries[i % 12], countries[(i * 7) % 12]],
            policy_fields=[fields[i % 10], fields[(i * 3) % 10]],
            provider_types=[providers[i % 6]],
            participation_forms=[forms[i % 4], forms[(i + 1) % 4]],
            levels=[levels[i % 3]],
            phases=[phases[i % 4]],
            participation_dimensions=[dims[i % 4]],
        )
        factories.OutcomeFactory(
            case=case, dimension=outcome_dims[i % 4], direction=directions[i % 3]
        )
    # Every facet with two ticked values, a search and a period.
    return "&".join(
        [
            f"country={countries[0].code}&country={countries[1].code}",
            f"welfare_tradition={countries[0].welfare_tradition.slug}",
            f"welfare_tradition={countries[1].welfare_tradition.slug}",
            f"world_region={countries[0].world_region.slug}",
            f"world_region={countries[1].world_region.slug}",
            f"policy_field={fields[0].slug}&policy_field={fields[3].slug}",
            f"provider_type={providers[0].slug}&provider_type={providers[1].slug}",
            f"participation_form={forms[0].slug}&participation_form={forms[1].slug}",
            f"level={levels[0].slug}&level={levels[1].slug}",
            f"phase={phases[0].slug}&phase={phases[1].slug}",
            f"participation_dimension={dims[0].slug}",
            f"outcome={outcome_dims[0].slug}:{directions[0].slug}",
            f"outcome={outcome_dims[1].slug}:{directions[1].slug}",
            f"chapter={chapters[0].number}&chapter={chapters[1].number}",
            "year_from=1980&year_to=2020&q=case",
        ]
    )


def _count_queries(client, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL + "?" + query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# The N+1 guard: validation of ticked values (one per facet with a selection, 11)
# + one count per facet (11) + result count + page + 3 prefetches = 27, the latest
# release with its changes since (the citation and download section), plus the
# data stamp of the count cache on PostgreSQL.
MAX_QUERIES = 29


def test_query_count_is_fixed_whatever_the_data(client, settings, django_assert_max_num_queries):
    settings.FACET_CACHE_SECONDS = 0  # count every query, cached or not
    full_query = _many_cases(30)
    client.get(URL)  # per-process look-ups (does SQLite have FTS5?) happen once
    small_unfiltered = _count_queries(client, "")
    small_filtered = _count_queries(client, full_query)
    _many_cases(170)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(URL + "?" + full_query)
    assert _count_queries(client, full_query) == small_filtered
    assert _count_queries(client, "") == small_unfiltered
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(URL + "?page=3")
    assert response.status_code == 200


# The N+1 guard of the list served from the worker's case index (PostgreSQL): the
# ticked values' look-ups (two here), the data stamp, the page's cases by primary key
# (their cells from the index: no prefetch) and the latest release. Nothing counts.
INDEXED_QUERIES = 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index needs the data stamp")
@pytest.mark.django_db(transaction=True)
def test_query_count_of_a_list_from_the_case_index(client, settings, clock):
    settings.FACET_CACHE_SECONDS = 0
    full_query = _many_cases(30)
    query = "&".join(part for part in full_query.split("&") if part.startswith("country="))
    query += "&" + next(p for p in full_query.split("&") if p.startswith("policy_field="))
    client.get(URL + "?" + query)  # builds the index (kept: no test transaction here)
    small = _count_queries(client, query)
    _many_cases(170)
    clock[0] += 60  # the writes moved the stamp: the next request rebuilds
    client.get(URL + "?" + query)
    assert _count_queries(client, query) == small == INDEXED_QUERIES
    assert _count_queries(client, "page=3&sort=start_year") == INDEXED_QUERIES - 2
    response = client.get(URL + "?page=3&sort=country")
    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="counts are cached on PostgreSQL")
def test_cached_counts_follow_every_write(client, settings, small_atlas):
    settings.FACET_CACHE_SECONDS = 600
    _, page = html(client, "country=DE")
    assert re.search(r"Sweden <span class=\"count\">1<", page)
    warm = _count_queries(client, "country=DE")
    assert warm < _count_queries(client, "country=DE&q=boards")  # counts served from the cache
    se = factories.CountryFactory(code="SE")
    factories.CaseFactory(title="Another Swedish case", countries=[se])
    _, page = html(client, "country=DE")
    assert re.search(r"Sweden <span class=\"count\">2<", page)
    assert "1 case matches" in page
