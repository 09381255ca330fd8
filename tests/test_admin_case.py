"""The case admin: add/change with outcomes inline, autocomplete, filters, actions, completeness."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casestudies.admin.completeness import STATED, coding_complete_q
from casestudies.models import Case, CaseStatus, Outcome
from casestudies.reads.presenters import case_field_rows

from . import factories
from .admin_helpers import add_url, case_form_data, change_url, form_errors, outcome_row, source_row

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/casestudies/case/"


@pytest.fixture
def logged_in(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def terms():
    return {
        "chapter": factories.ChapterFactory(),
        "se": factories.CountryFactory(code="SE", name="Sweden"),
        "quality": factories.OutcomeDimensionFactory(label="Service quality"),
        "trust": factories.OutcomeDimensionFactory(label="Trust"),
        "improved": factories.OutcomeDirectionFactory(label="Improved"),
        "book": factories.SourceFactory(title="The Book"),
    }


def fully_coded_case(**kwargs):
    kwargs.setdefault("units_studied", 3)
    case = factories.CaseFactory(
        locality="Stockholm",
        participants="Parents",
        start_year=1990,
        users_influence=factories.InfluenceLevelFactory(),
        countries=[factories.CountryFactory()],
        policy_fields=[factories.PolicyFieldFactory()],
        provider_types=[factories.ProviderTypeFactory()],
        participation_forms=[factories.ParticipationFormFactory()],
        levels=[factories.LevelFactory()],
        phases=[factories.PhaseFactory()],
        participation_dimensions=[factories.ParticipationDimensionFactory()],
        citizen_roles=[factories.CitizenRoleFactory()],
        methods=[factories.MethodFactory()],
        **kwargs,
    )
    factories.OutcomeFactory(case=case)
    return case


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- add and change pages ---------------------------------------------------------


def test_add_page_renders_with_outcome_inline_and_autocomplete(logged_in):
    response = logged_in.get(add_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="outcomes-TOTAL_FORMS"' in body
    assert 'name="case_sources-TOTAL_FORMS"' in body
    assert "admin-autocomplete" in body


def test_add_with_an_outcome_saves_case_and_outcome(logged_in, curator, terms):
    data = case_form_data(
        title="Elderly care co-ops",
        slug="elderly-care-co-ops",
        chapter=terms["chapter"],
        countries=[terms["se"]],
        outcomes=[
            outcome_row(
                dimension=terms["quality"].pk, direction=terms["improved"].pk, finding="Better."
            )
        ],
        sources=[source_row(source=terms["book"].pk)],
    )
    response = logged_in.post(add_url(), data)
    assert response.status_code == 302, form_errors(response)
    case = Case.objects.get(slug="elderly-care-co-ops")
    assert case.status == CaseStatus.DRAFT
    assert case.created_by == curator and case.updated_by == curator
    assert [(o.dimension, o.finding) for o in case.outcomes.all()] == [
        (terms["quality"], "Better.")
    ]
    assert list(case.countries.all()) == [terms["se"]]


def test_change_page_renders_case_with_outcomes(logged_in):
    outcome = factories.OutcomeFactory(finding="Trust grew among parents.")
    response = logged_in.get(change_url(outcome.case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Trust grew among parents." in body
    assert outcome.case.title in body


def test_change_page_query_count_does_not_grow_with_outcomes(
    logged_in, django_assert_max_num_queries
):
    # N+1 guard: each inline row's autocomplete and heading would otherwise query per row.
    def count_queries(case):
        with CaptureQueriesContext(connection) as queries:
            response = logged_in.get(change_url(case))
        assert response.status_code == 200
        return len(queries)

    counts = []
    for outcomes in (1, 6):
        case = factories.CaseFactory(countries=[factories.CountryFactory()])
        for _ in range(outcomes):
            factories.OutcomeFactory(case=case)
        counts.append(count_queries(case))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(24):
        logged_in.get(change_url(case))


def test_change_saves_an_edited_outcome(logged_in):
    case = factories.CaseFactory(countries=[factories.CountryFactory()])
    outcome = factories.OutcomeFactory(case=case, finding="Old finding.")
    case = outcome.case
    data = case_form_data(case, outcomes=[outcome_row(outcome, finding="New finding.")])
    response = logged_in.post(change_url(case), data)
    assert response.status_code == 302, form_errors(response)
    outcome.refresh_from_db()
    assert outcome.finding == "New finding."


def test_two_outcomes_with_one_dimension_are_refused_clearly(logged_in, terms):
    case = factories.CaseFactory(status=CaseStatus.DRAFT, chapter=terms["chapter"])
    row = {"dimension": terms["quality"].pk, "direction": terms["improved"].pk}
    data = case_form_data(
        case, outcomes=[outcome_row(finding="One.", **row), outcome_row(finding="Two.", **row)]
    )
    response = logged_in.post(change_url(case), data)
    assert response.status_code == 200
    assert "Two outcomes have the dimension “Service quality”" in response.content.decode()
    assert not Outcome.objects.filter(case=case).exists()


def test_years_out_of_order_are_refused(logged_in):
    case = factories.CaseFactory()
    response = logged_in.post(
        change_url(case), case_form_data(case, start_year=2010, end_year=2000)
    )
    assert response.status_code == 200
    assert "The end year cannot be before the start year." in response.content.decode()
    case.refresh_from_db()
    assert case.start_year is None


def test_form_refuses_to_publish_a_case_with_problems(logged_in, terms):
    case = factories.CaseFactory(status=CaseStatus.REVIEW, chapter=terms["chapter"], sources=[])
    response = logged_in.post(change_url(case), case_form_data(case, status="published"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This case cannot be published: at least one country is required" in body
    assert "This case cannot be published: a source is required before publishing." in body
    case.refresh_from_db()
    assert case.status == CaseStatus.REVIEW


def test_form_publishes_when_the_same_post_adds_what_was_missing(logged_in, terms):
    case = factories.CaseFactory(status=CaseStatus.REVIEW, chapter=terms["chapter"], sources=[])
    data = case_form_data(
        case,
        status="published",
        countries=[terms["se"]],
        sources=[source_row(source=terms["book"].pk)],
    )
    response = logged_in.post(change_url(case), data)
    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED


def test_published_case_cannot_lose_its_last_source(logged_in):
    case = factories.CaseFactory(countries=[factories.CountryFactory()])
    data = case_form_data(case, sources=[source_row(case.case_sources.get(), DELETE="on")])
    response = logged_in.post(change_url(case), data)
    assert response.status_code == 200
    assert "a source is required before publishing" in response.content.decode()
    assert case.case_sources.count() == 1


def test_user_without_publish_right_cannot_publish_through_the_form(client):
    editor = factories.UserFactory(username="editor", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="casestudies",
            codename__in=["view_case", "change_case", "view_outcome", "change_outcome"],
        )
    )
    client.force_login(editor)
    case = factories.CaseFactory(status=CaseStatus.DRAFT, countries=[factories.CountryFactory()])
    page = client.get(change_url(case)).content.decode()
    assert '<option value="published"' not in page
    response = client.post(change_url(case), case_form_data(case, status="published"))
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT


# --- autocomplete ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "field_name", "term", "expected"),
    [
        ("case", "countries", "Swe", "Sweden"),
        ("case", "chapter", "A chapter", "A chapter"),
        ("outcome", "dimension", "quality", "Service quality"),
        ("outcome", "direction", "Impr", "Improved"),
        ("casesource", "source", "Book", "The Book"),
    ],
)
def test_autocomplete_endpoints_answer(logged_in, terms, model_name, field_name, term, expected):
    response = logged_in.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "casestudies",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    assert any(expected in r["text"] for r in response.json()["results"])


# --- list: filters, completeness, query count --------------------------------------


def test_list_filters_show_facet_counts(logged_in):
    sweden = factories.CountryFactory(code="SE", name="Sweden")
    factories.CaseFactory.create_batch(2, countries=[sweden])
    factories.CaseFactory(status=CaseStatus.DRAFT)
    body = logged_in.get(CHANGELIST).content.decode()
    assert "Sweden (2)" in body
    assert "Published (2)" in body
    assert "Draft (1)" in body
    assert "Incomplete (3)" in body
    assert "Complete (0)" in body


def test_coding_column_shows_coded_count_and_what_is_missing(logged_in):
    factories.CaseFactory(title="Sparse case", countries=[factories.CountryFactory()])
    fully_coded_case(title="Full case")
    body = logged_in.get(CHANGELIST).content.decode()
    assert "17/17 <small>complete</small>" in body
    # Chapter, countries and welfare tradition are stated; 14 rows are missing.
    assert "<summary>3/17</summary><small>missing: locality, policy fields" in body


def test_coding_filter_agrees_with_the_case_page(logged_in):
    full = fully_coded_case()
    partial = fully_coded_case()
    partial.phases.clear()
    no_units = fully_coded_case(units_studied=None)
    empty = factories.CaseFactory(countries=[])
    cases = Case.objects.with_related().filter(pk__in=[full.pk, partial.pk, no_units.pk, empty.pk])
    # The SQL rule names exactly the rows the presenter shows...
    assert set(STATED) == {row.key for row in case_field_rows(cases[0])}
    # ...and gives the same verdict as "every row stated".
    by_presenter = {c.pk for c in cases if all(row.is_stated for row in case_field_rows(c))}
    assert by_presenter == {full.pk}
    assert set(Case.objects.filter(coding_complete_q()).values_list("pk", flat=True)) == {full.pk}
    response = logged_in.get(CHANGELIST, {"coding": "incomplete"})
    assert response.context["cl"].result_count == 3
    response = logged_in.get(CHANGELIST, {"coding": "complete"})
    assert [c.pk for c in response.context["cl"].result_list] == [full.pk]


def test_changelist_query_count_is_fixed(logged_in, django_assert_max_num_queries):
    # N+1 guard: coding, countries and outcome counts come from prefetches, not per row.
    # (Most of the queries are Django's facet counts: each filter's counts rebuild the
    # other filters and their choices; that depends on the filters, not on the cases.)
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = logged_in.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries), response.context["cl"].result_count

    for _ in range(2):
        fully_coded_case()
    few, shown = count_queries()
    assert shown == 2
    for _ in range(10):
        fully_coded_case()
    many, shown = count_queries()
    assert shown == 12
    assert many == few
    with django_assert_max_num_queries(80):
        logged_in.get(CHANGELIST)


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "coding=bogus", "chapter__id__exact=abc", "o=99", "p=abc", "q=%00"],
)
def test_bad_list_parameters_never_give_a_500(logged_in, query):
    factories.CaseFactory()
    response = logged_in.get(f"{CHANGELIST}?{query}")
    assert response.status_code in (200, 302, 400, 404)


# --- actions -------------------------------------------------------------------------


def run_action(client, action, cases):
    # Each row of the list also sends the version it shows (casestudies.writes.concurrency).
    versions = {f"_version_{c.pk}": c.version for c in cases}
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [c.pk for c in cases], **versions},
        follow=True,
    )


def test_publish_action_publishes_ready_cases_and_skips_others_with_a_message(logged_in, curator):
    ready = factories.CaseFactory(status=CaseStatus.REVIEW, countries=[factories.CountryFactory()])
    unready = factories.CaseFactory(title="No source", status=CaseStatus.DRAFT, sources=[])
    response = run_action(logged_in, "publish", [ready, unready])
    ready.refresh_from_db()
    unready.refresh_from_db()
    assert ready.status == CaseStatus.PUBLISHED
    assert unready.status == CaseStatus.DRAFT
    shown = messages_of(response)
    assert "1 case published." in shown
    assert any(
        m.startswith("“No source” was not published:") and "source is required" in m for m in shown
    )
    # Each case changed by the action leaves its own history row with the user.
    record = ready.history.latest("history_date")
    assert (record.status, record.history_user) == (CaseStatus.PUBLISHED, curator)


def test_unpublish_action_moves_cases_back_to_draft_with_history(logged_in, curator):
    cases = factories.CaseFactory.create_batch(2)
    versions = {c.pk: c.history.count() for c in cases}
    response = run_action(logged_in, "unpublish", cases)
    assert "2 cases unpublished." in messages_of(response)
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.DRAFT
        assert case.history.count() == versions[case.pk] + 1
        assert case.history.latest("history_date").history_user == curator


def test_submit_for_review_action(logged_in):
    draft = factories.CaseFactory(status=CaseStatus.DRAFT)
    published = factories.CaseFactory(title="Live case")
    response = run_action(logged_in, "submit_for_review", [draft, published])
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == CaseStatus.REVIEW
    assert published.status == CaseStatus.PUBLISHED
    assert any("“Live case” was not submitted for review" in m for m in messages_of(response))


def test_publish_actions_are_hidden_from_users_without_the_right(client):
    editor = factories.UserFactory(username="editor", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="casestudies", codename__in=["view_case", "change_case"]
        )
    )
    client.force_login(editor)
    factories.CaseFactory()
    body = client.get(CHANGELIST).content.decode()
    assert 'value="submit_for_review"' in body
    assert 'value="publish"' not in body
    assert 'value="unpublish"' not in body
