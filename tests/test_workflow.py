"""The publishing workflow: who may move a case where, and what publishing needs."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from casestudies.models import Case, CaseStatus
from casestudies.writes.workflow import (
    allowed_statuses,
    case_set_status,
    publication_problems,
    transition_problem,
)

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db):
    """May edit cases but not publish them."""
    user = factories.UserFactory(username="editor", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="change_case", content_type__app_label="casestudies")
    )
    return user


def ready_case(**kwargs):
    return factories.CaseFactory(
        status=CaseStatus.DRAFT, countries=[factories.CountryFactory()], **kwargs
    )


def test_ready_case_has_no_publication_problems():
    assert publication_problems(ready_case()) == []


def test_case_without_source_or_country_lists_both_problems():
    case = factories.CaseFactory(status=CaseStatus.DRAFT, sources=[])
    assert publication_problems(case) == [
        "At least one country is required before publishing.",
        "A source is required before publishing.",
    ]


def test_unsaved_case_checks_the_values_passed_in():
    chapter = factories.ChapterFactory()
    case = Case(title="New", slug="new", chapter=chapter)
    assert len(publication_problems(case)) == 2
    assert publication_problems(case, countries=["SE"], sources=[chapter.source]) == []
    assert publication_problems(
        Case(title="No chapter", slug="x"), countries=["SE"], sources=[1]
    ) == ["A chapter is required before publishing."]


def test_prefetched_case_is_checked_without_queries(django_assert_num_queries):
    ready_case()
    case = Case.objects.with_related().get()
    with django_assert_num_queries(0):
        assert publication_problems(case) == []


def test_curator_publishes_a_ready_case_and_history_records_who_and_why(curator):
    case = ready_case()
    case_set_status(case=case, status=CaseStatus.PUBLISHED, user=curator, reason="Checked")
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED
    assert case.updated_by == curator
    record = case.history.latest("history_date")
    assert record.status == CaseStatus.PUBLISHED
    assert record.history_user == curator
    assert record.history_change_reason == "Checked"


def test_publishing_a_case_with_problems_is_refused_and_writes_nothing(curator):
    case = factories.CaseFactory(status=CaseStatus.REVIEW, sources=[])
    versions = case.history.count()
    with pytest.raises(ValidationError) as exc:
        case_set_status(case=case, status=CaseStatus.PUBLISHED, user=curator, reason="")
    assert "A source is required before publishing." in exc.value.messages
    case.refresh_from_db()
    assert case.status == CaseStatus.REVIEW
    assert case.history.count() == versions


def test_editor_may_submit_for_review_but_not_publish(editor):
    case = ready_case()
    case_set_status(case=case, status=CaseStatus.REVIEW, user=editor)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REVIEW
    with pytest.raises(PermissionDenied):
        case_set_status(case=case, status=CaseStatus.PUBLISHED, user=editor)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REVIEW


def test_published_case_goes_back_to_draft_not_to_review(curator):
    case = ready_case()
    case_set_status(case=case, status=CaseStatus.PUBLISHED, user=curator)
    with pytest.raises(ValidationError, match="move it back to Draft first"):
        case_set_status(case=case, status=CaseStatus.REVIEW, user=curator)
    case_set_status(case=case, status=CaseStatus.DRAFT, user=curator, reason="Recheck")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


def test_unknown_status_is_a_validation_error(curator):
    with pytest.raises(ValidationError, match="Unknown status"):
        case_set_status(case=ready_case(), status="archived", user=curator)


def test_same_status_writes_no_history(curator):
    case = ready_case()
    versions = case.history.count()
    case_set_status(case=case, status=CaseStatus.DRAFT, user=curator)
    assert case.history.count() == versions


def test_allowed_statuses_follow_permissions(curator, editor):
    assert allowed_statuses(from_status=CaseStatus.DRAFT, user=curator) == [
        CaseStatus.DRAFT,
        CaseStatus.REVIEW,
        CaseStatus.PUBLISHED,
    ]
    assert allowed_statuses(from_status=CaseStatus.DRAFT, user=editor) == [
        CaseStatus.DRAFT,
        CaseStatus.REVIEW,
    ]
    assert allowed_statuses(from_status=CaseStatus.PUBLISHED, user=editor) == [CaseStatus.PUBLISHED]
    assert "permission" in transition_problem(
        from_status=CaseStatus.PUBLISHED, to_status=CaseStatus.DRAFT, user=editor
    )
