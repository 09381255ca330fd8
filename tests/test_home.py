import pytest

from casestudies.models import CaseStatus

from .factories import (
    CaseFactory,
    ChapterFactory,
    CountryFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
)

pytestmark = pytest.mark.django_db


def _entry(response, name):
    return {str(t): t.case_count for t in response.context[name]}


def test_home_counts_published_cases_per_entry_point(client):
    se, no = CountryFactory(code="SE", name="Sweden"), CountryFactory(code="NO", name="Norway")
    childcare = PolicyFieldFactory(label="Childcare")
    coprod = ParticipationFormFactory(label="Co-production")
    CaseFactory(countries=[se, no], policy_fields=[childcare], participation_forms=[coprod])
    CaseFactory(countries=[se], policy_fields=[childcare])
    CaseFactory(countries=[no], status=CaseStatus.DRAFT, participation_forms=[coprod])
    response = client.get("/")
    assert response.context["case_count"] == 2
    assert response.context["country_count"] == 2
    assert _entry(response, "countries") == {"Sweden": 2, "Norway": 1}
    assert [str(c) for c in response.context["countries"]] == ["Sweden", "Norway"]
    assert _entry(response, "policy_fields") == {"Childcare": 2}
    assert _entry(response, "participation_forms") == {"Co-production": 1}
    assert "?policy_field=" in response.content.decode()


def test_home_query_count_does_not_grow_with_cases(client, django_assert_max_num_queries):
    # N+1 guard: a fixed number of queries whatever the number of cases and terms.
    chapter = ChapterFactory()
    for i in range(30):
        CaseFactory(
            chapter=chapter,
            countries=[CountryFactory()],
            policy_fields=[PolicyFieldFactory()],
            participation_forms=[ParticipationFormFactory()],
            title=f"Case {i}",
        )
    with django_assert_max_num_queries(10):  # 9 + the latest release (live_status)
        response = client.get("/")
    assert response.context["case_count"] == 30


def test_home_counts_are_cached_until_a_case_changes(client, django_assert_max_num_queries):
    case = CaseFactory(countries=[CountryFactory(code="SE", name="Sweden")])
    assert client.get("/").context["case_count"] == 1
    # Only the "latest change" lookup and the latest release with its changes since.
    with django_assert_max_num_queries(2):
        assert client.get("/").context["case_count"] == 1
    case.status = CaseStatus.DRAFT
    case.save()
    assert client.get("/").context["case_count"] == 0


def test_home_says_what_is_published_and_what_is_still_being_coded(client):
    CaseFactory()
    CaseFactory(status=CaseStatus.DRAFT, title="Secret draft")
    CaseFactory(status=CaseStatus.REVIEW)
    CaseFactory(status=CaseStatus.DRAFT, is_synthetic=True)  # benchmark data: not counted
    html = client.get("/").content.decode()
    assert "every case in" not in html
    assert "1 published so far, 2 still being coded" in html
    assert "Secret draft" not in html  # counted, never named
    assert 'href="/coverage/"' in html
