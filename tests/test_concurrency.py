"""Optimistic concurrency: a write based on an out-of-date version is refused, nothing written.

Two curators, A and B, each with their own browser (client). Every write path
(the change form, list actions, revert, restore, import) carries the version it
showed and is refused, with what changed meanwhile, if the case moved on.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casestudies.models import Case, CaseStatus
from casestudies.writes.concurrency import StaleVersion
from casestudies.writes.history import case_versions
from casestudies.writes.workflow import case_set_status

from . import factories
from .admin_helpers import case_form_data, change_url, form_errors, version_url
from .import_helpers import exported_and_new_row, to_csv

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/casestudies/case/"
IMPORT_URL = "/admin/casestudies/case/import/"


@pytest.fixture
def curators(client, curator, django_user_model):
    """(A's client, B's client), both curators."""
    from django.test import Client

    other = factories.UserFactory(username="bea", is_staff=True)
    other.groups.set(curator.groups.all())
    b = Client()
    b.force_login(other)
    client.force_login(curator)
    return client, b


@pytest.fixture
def published_case():
    return factories.CaseFactory(
        title="Parent co-ops",
        summary="Old summary.",
        status=CaseStatus.PUBLISHED,
        countries=[factories.CountryFactory(code="SE", name="Sweden")],
    )


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- the change form ---------------------------------------------------------------


def test_stale_change_form_is_refused_and_shows_what_changed(curators, published_case):
    a, b = curators
    norway = factories.CountryFactory(code="NO", name="Norway")
    b_form = case_form_data(published_case, summary="B's better summary.")  # B opens the case
    # A saves first: a new title and another country.
    response = a.post(
        change_url(published_case),
        case_form_data(published_case, title="Parent co-operatives", countries=[norway]),
    )
    assert response.status_code == 302, form_errors(response)
    versions_before = len(case_versions(published_case.pk))

    response = b.post(change_url(published_case), b_form)

    assert response.status_code == 200  # the form again, with the refusal
    text = page_text(response)
    assert "was changed by someone else since you opened it" in text
    assert "Title: Parent co-ops → Parent co-operatives" in text
    assert "Countries: Sweden → Norway" in text
    assert "by curator" in text
    case = Case.objects.get(pk=published_case.pk)
    assert (case.title, case.summary) == ("Parent co-operatives", "Old summary.")
    assert list(case.countries.values_list("code", flat=True)) == ["NO"]
    assert len(case_versions(case.pk)) == versions_before


def test_a_fresh_form_saves_and_takes_the_next_version(curators, published_case):
    a, _b = curators
    before = published_case.version
    response = a.post(change_url(published_case), case_form_data(published_case, summary="New."))
    assert response.status_code == 302, form_errors(response)
    published_case.refresh_from_db()
    assert published_case.version == before + 1
    assert case_versions(published_case.pk)[-1].case_version == before + 1


def test_change_form_without_its_version_is_refused(curators, published_case):
    a, _b = curators
    data = case_form_data(published_case, summary="New.")
    del data["seen_version"]
    response = a.post(change_url(published_case), data)
    assert response.status_code == 200
    assert Case.objects.get(pk=published_case.pk).summary == "Old summary."


# --- item 3: a stale form never re-publishes ----------------------------------------


def test_stale_form_does_not_republish_a_case_unpublished_from_the_list(curators, published_case):
    a, b = curators
    b_form = case_form_data(published_case, summary="Only a summary edit.")
    response = a.post(
        CHANGELIST,
        {
            "action": "unpublish",
            "_selected_action": [published_case.pk],
            f"_version_{published_case.pk}": published_case.version,
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=published_case.pk).status == CaseStatus.DRAFT

    b.post(change_url(published_case), b_form)

    assert Case.objects.get(pk=published_case.pk).status == CaseStatus.DRAFT


def test_form_changes_the_status_only_when_the_curator_chose_it(curators, published_case):
    """Even when the version check cannot see it (a write outside the recorded paths),
    a form that still shows the status it was opened with leaves the status alone."""
    a, _b = curators
    data = case_form_data(published_case, summary="A summary edit.")
    data["initial-status"] = CaseStatus.PUBLISHED  # what the form showed, unchanged
    Case.objects.filter(pk=published_case.pk).update(status=CaseStatus.DRAFT)

    response = a.post(change_url(published_case), data)

    assert response.status_code == 302, form_errors(response)
    case = Case.objects.get(pk=published_case.pk)
    assert (case.summary, case.status) == ("A summary edit.", CaseStatus.DRAFT)


# --- list actions ---------------------------------------------------------------------


def list_versions(client) -> dict[int, str]:
    page = client.get(CHANGELIST).content.decode()
    return {int(pk): v for pk, v in re.findall(r'name="_version_(\d+)" value="(\d+)"', page)}


def test_list_action_on_a_case_changed_since_the_list_was_shown_is_refused(curators):
    a, b = curators
    case = factories.CaseFactory(
        title="Ready case", status=CaseStatus.REVIEW, countries=[factories.CountryFactory()]
    )
    shown = list_versions(a)
    assert shown == {case.pk: str(case.version)}
    response = b.post(change_url(case), case_form_data(case, title="Rewritten by B"))
    assert response.status_code == 302, form_errors(response)

    response = a.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [case.pk], f"_version_{case.pk}": shown[case.pk]},
        follow=True,
    )

    shown_messages = [str(m) for m in response.context["messages"]]
    assert any(
        "was not published" in m and "Title: Ready case → Rewritten by B" in m
        for m in shown_messages
    ), shown_messages
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REVIEW


def test_list_action_without_the_rows_version_is_refused(curators):
    a, _b = curators
    case = factories.CaseFactory(status=CaseStatus.REVIEW, countries=[factories.CountryFactory()])
    response = a.post(CHANGELIST, {"action": "publish", "_selected_action": [case.pk]}, follow=True)
    assert any("reload the list" in str(m).lower() for m in response.context["messages"])
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REVIEW


def test_service_refuses_a_status_change_based_on_an_old_version(curator):
    case = factories.CaseFactory(status=CaseStatus.REVIEW, countries=[factories.CountryFactory()])
    case_set_status(case=case, status=CaseStatus.DRAFT, user=curator, seen_version=case.version)
    with pytest.raises(StaleVersion):
        case_set_status(
            case=case, status=CaseStatus.REVIEW, user=curator, seen_version=case.version - 1
        )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DRAFT


# --- revert and restore -------------------------------------------------------------------


def test_revert_based_on_an_old_version_is_refused(curators, published_case):
    a, b = curators
    a.post(change_url(published_case), case_form_data(published_case, summary="Second."))
    published_case.refresh_from_db()
    first = case_versions(published_case.pk)[0]
    page = a.get(version_url(published_case, first.history_id))
    seen = page.context["case_version"]
    # B edits while A reads the version page.
    b.post(change_url(published_case), case_form_data(published_case, title="B's title"))

    response = a.post(
        version_url(published_case, first.history_id), {"version": seen, "reason": "undo"}
    )

    assert response.status_code == 400
    assert "Title: Parent co-ops → B&#x27;s title" in page_text(response)
    assert Case.objects.get(pk=published_case.pk).title == "B's title"


def test_restore_based_on_an_old_deletion_is_refused(curators, curator):
    a, b = curators
    case = factories.CaseFactory(title="Deleted twice")
    deleted = reverse("admin:casestudies_case_deleted")
    a.post(reverse("admin:casestudies_case_delete", args=[case.pk]), {"post": "yes"})
    seen = re.search(r'name="version" value="(\d+)"', a.get(deleted).content.decode()).group(1)
    # B restores it and deletes it again while A's list is open.
    assert b.post(deleted, {"case": case.pk, "version": seen}).status_code == 302
    b.post(reverse("admin:casestudies_case_delete", args=[case.pk]), {"post": "yes"})

    response = a.post(deleted, {"case": case.pk, "version": seen})

    assert response.status_code == 400
    assert "restored and deleted again since the list was shown" in page_text(response)
    assert not Case.objects.filter(pk=case.pk).exists()


# --- import ---------------------------------------------------------------------------


def test_second_import_confirm_based_on_an_old_preview_is_refused(curators):
    a, b = curators
    row, _new = exported_and_new_row(a)
    row["countries"] = "SE"  # published: it needs a country
    sheet_a = to_csv([{**row, "title": "Title from A's sheet"}])
    sheet_b = to_csv([{**row, "summary": "Summary from B's sheet"}])

    def preview(client, data):
        response = client.post(
            IMPORT_URL,
            {"action": "preview", "file": SimpleUploadedFile("cases.csv", data, "text/csv")},
        )
        assert response.status_code == 200, response.content.decode()
        return response.context["token"]

    token_a, token_b = preview(a, sheet_a), preview(b, sheet_b)
    assert a.post(IMPORT_URL, {"action": "confirm", "token": token_a}).status_code == 302

    response = b.post(IMPORT_URL, {"action": "confirm", "token": token_b})

    assert response.status_code == 400
    text = page_text(response)
    assert "was changed by someone else" in text
    assert "Title: Existing → Title from A&#x27;s sheet" in text
    case = Case.objects.get(slug="existing")
    assert (case.title, case.summary) == ("Title from A's sheet", row["summary"])


def test_import_bumps_the_version_of_the_cases_it_updates(curators):
    a, _b = curators
    row, _new = exported_and_new_row(a)
    row["countries"] = "SE"
    case = Case.objects.get(slug="existing")
    response = a.post(
        IMPORT_URL,
        {
            "action": "preview",
            "file": SimpleUploadedFile("c.csv", to_csv([{**row, "title": "New"}]), "text/csv"),
        },
    )
    assert a.post(IMPORT_URL, {"action": "confirm", "token": response.context["token"]})
    updated = Case.objects.get(pk=case.pk)
    assert (updated.title, updated.version) == ("New", case.version + 1)
    assert case_versions(case.pk)[-1].case_version == case.version + 1
