"""History: every admin edit is kept with who and why; diffs; revert of the whole case."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from casestudies.models import Case, CaseSource, CaseStatus, Outcome, PolicyField
from casestudies.writes.history import (
    case_diff,
    case_revert,
    case_versions,
    live_state,
)
from casestudies.writes.versions import one_version
from casestudies.writes.workflow import case_set_status

from . import factories
from .admin_helpers import (
    add_url,
    case_form_data,
    change_url,
    compare_url,
    form_errors,
    history_url,
    outcome_row,
    source_row,
    version_url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms():
    return {
        "chapter": factories.ChapterFactory(),
        "se": factories.CountryFactory(code="SE", name="Sweden"),
        "no": factories.CountryFactory(code="NO", name="Norway"),
        "childcare": factories.PolicyFieldFactory(label="Childcare"),
        "health": factories.PolicyFieldFactory(label="Health care"),
        "quality": factories.OutcomeDimensionFactory(label="Service quality"),
        "trust": factories.OutcomeDimensionFactory(label="Trust"),
        "improved": factories.OutcomeDirectionFactory(label="Improved"),
        "worsened": factories.OutcomeDirectionFactory(label="Worsened"),
        "book": factories.SourceFactory(title="The Book"),
        "article": factories.SourceFactory(title="An Article", kind="article"),
    }


@pytest.fixture
def admin_case(client, curator, terms):
    """A case created through the admin, as a curator: version 1."""
    client.force_login(curator)
    data = case_form_data(
        title="Parent co-ops",
        slug="parent-co-ops",
        chapter=terms["chapter"],
        countries=[terms["se"]],
        policy_fields=[terms["childcare"]],
        start_year=1995,
        end_year=2005,
        outcomes=[
            outcome_row(
                dimension=terms["quality"].pk,
                direction=terms["improved"].pk,
                finding="Parents rate quality higher.",
                pages="12",
            )
        ],
        sources=[source_row(source=terms["book"].pk, locator="Ch. 5")],
    )
    response = client.post(add_url(), data)
    assert response.status_code == 302, form_errors(response)
    return Case.objects.get(slug="parent-co-ops")


def edit(client, case, terms, **overrides):
    """Version 2: new title, another country and policy field, outcomes changed, other source."""
    quality = case.outcomes.get(dimension=terms["quality"])
    data = case_form_data(
        case,
        title="Parent co-operatives in Sweden",
        countries=[terms["no"]],
        policy_fields=[terms["childcare"], terms["health"]],
        end_year=2010,
        change_reason="Corrected from the chapter",
        outcomes=[
            outcome_row(quality, direction=terms["worsened"].pk, finding="Quality fell."),
            outcome_row(
                dimension=terms["trust"].pk, direction=terms["improved"].pk, finding="More trust."
            ),
        ],
        sources=[
            source_row(case.case_sources.get(), DELETE="on"),
            source_row(source=terms["article"].pk, locator="p. 3"),
        ],
        **overrides,
    )
    response = client.post(change_url(case), data)
    assert response.status_code == 302, form_errors(response)


def test_admin_add_is_one_version_with_user_and_everything(admin_case, curator, terms):
    versions = case_versions(admin_case.pk)
    assert len(versions) == 1
    (v1,) = versions
    assert v1.kind_label == "Created"
    assert v1.user == curator
    assert v1.state.m2m["countries"] == {"SE"}
    assert v1.state.outcomes == {
        terms["quality"].pk: (terms["improved"].pk, "Parents rate quality higher.", "12")
    }
    assert set(v1.state.sources) == {terms["book"].pk}


def test_admin_edit_is_one_version_with_reason_and_diff(client, admin_case, curator, terms):
    edit(client, admin_case, terms)
    versions = case_versions(admin_case.pk)
    assert len(versions) == 2
    v2 = versions[1]
    assert v2.user == curator
    assert v2.reason == "Corrected from the chapter"
    changes = {c.label: c for c in v2.changes}
    assert changes["Title"].old == "Parent co-ops"
    assert changes["Title"].new == "Parent co-operatives in Sweden"
    assert changes["Countries"].added == ("Norway",)
    assert changes["Countries"].removed == ("Sweden",)
    assert changes["Policy fields"].added == ("Health care",)
    assert changes["Outcome: Service quality"].old.startswith("Improved: Parents rate")
    assert changes["Outcome: Service quality"].new == "Worsened: Quality fell. (p. 12)"
    assert changes["Outcome: Trust"].old == "(empty)"
    assert "Source: Ada Editor, Ben Editor (2012) An Article" in changes
    # Outcomes keep their own history too, with who changed them.
    assert Outcome.history.filter(history_user=curator).count() == 3


def test_history_page_lists_versions_with_who_and_changes(client, admin_case, terms):
    edit(client, admin_case, terms)
    response = client.get(history_url(admin_case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 versions" in body
    assert "Corrected from the chapter" in body
    assert "curator" in body
    assert "Outcome: Trust" in body
    assert "Changes not yet in any version" not in body


def test_history_page_query_count_does_not_grow_with_versions(
    client, admin_case, terms, django_assert_max_num_queries
):
    # N+1 guard: all versions, their m2m values, outcomes and sources load in fixed queries.
    for year in range(2006, 2016):
        admin_case.refresh_from_db()  # each save from a freshly opened form
        response = client.post(change_url(admin_case), case_form_data(admin_case, end_year=year))
        assert response.status_code == 302, form_errors(response)
    assert len(case_versions(admin_case.pk)) == 11
    with django_assert_max_num_queries(40):
        assert client.get(history_url(admin_case)).status_code == 200


def test_compare_two_versions_shows_field_and_outcome_changes(client, admin_case, terms):
    edit(client, admin_case, terms)
    v1, v2 = case_versions(admin_case.pk)
    response = client.get(compare_url(admin_case), {"from": v1.history_id, "to": v2.history_id})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Parent co-ops" in body
    assert "Parent co-operatives in Sweden" in body
    assert "Outcome: Service quality" in body
    assert "Quality fell." in body
    current = client.get(compare_url(admin_case), {"from": v1.history_id, "to": "current"})
    assert "the case now" in current.content.decode()


@pytest.mark.parametrize(
    "params", [{"from": "abc"}, {"from": "999999"}, {}, {"from": "1", "to": "x"}]
)
def test_compare_with_bad_version_is_a_clear_400(client, admin_case, params):
    response = client.get(compare_url(admin_case), params)
    assert response.status_code == 400
    assert "not a version of this case" in response.content.decode()


def test_unknown_version_page_is_404(client, admin_case):
    assert client.get(version_url(admin_case, 999999)).status_code == 404
    assert client.get(version_url(admin_case, "abc")).status_code == 404


def test_version_page_shows_what_reverting_would_change(client, admin_case, terms):
    edit(client, admin_case, terms)
    v1 = case_versions(admin_case.pk)[0]
    response = client.get(version_url(admin_case, v1.history_id))
    assert response.status_code == 200
    body = response.content.decode()
    assert "What reverting to this version would change" in body
    assert "Parents rate quality higher." in body
    assert "Revert to version 1" in body


def test_revert_restores_fields_m2m_outcomes_and_sources(client, admin_case, curator, terms):
    v1_state = case_versions(admin_case.pk)[0].state
    edit(client, admin_case, terms)
    v1 = case_versions(admin_case.pk)[0]

    response = client.post(
        version_url(admin_case, v1.history_id),
        {"reason": "Edit was wrong", "version": shown_version(admin_case)},
    )
    assert response.status_code == 302

    case = Case.objects.with_related().get(pk=admin_case.pk)
    assert case.title == "Parent co-ops"
    assert case.end_year == 2005
    assert [c.code for c in case.countries.all()] == ["SE"]
    assert [p.label for p in case.policy_fields.all()] == ["Childcare"]
    assert [(o.dimension.label, o.direction.label, o.finding) for o in case.outcomes.all()] == [
        ("Service quality", "Improved", "Parents rate quality higher.")
    ]
    assert [(s.source_id, s.locator) for s in case.case_sources.all()] == [
        (terms["book"].pk, "Ch. 5")
    ]
    assert case_diff(v1_state, live_state(case)) == []

    versions = case_versions(admin_case.pk)
    assert len(versions) == 3
    assert versions[-1].user == curator
    assert versions[-1].reason == "Edit was wrong"
    assert versions[-1].state.outcomes == v1_state.outcomes


def test_revert_keeps_the_status(client, admin_case, curator, terms):
    edit(client, admin_case, terms)
    v1 = case_versions(admin_case.pk)[0]
    case_set_status(case=admin_case, status=CaseStatus.PUBLISHED, user=curator)
    response = client.post(
        version_url(admin_case, v1.history_id), {"version": shown_version(admin_case)}
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=admin_case.pk)
    assert (case.title, case.status) == ("Parent co-ops", CaseStatus.PUBLISHED)


def test_revert_of_published_case_to_version_without_source_is_refused(curator, terms):
    case = factories.CaseFactory(
        status=CaseStatus.DRAFT, chapter=terms["chapter"], countries=[terms["se"]], sources=[]
    )
    with one_version(case, user=curator, reason="no source yet"):
        pass
    sourceless = case_versions(case.pk)[-1]
    with one_version(case, user=curator, reason="source added"):
        CaseSource.objects.create(case=case, source=terms["book"])
        case.status = CaseStatus.PUBLISHED
    before = len(case_versions(case.pk))
    with pytest.raises(Exception, match="A source is required before publishing"):
        case_revert(case=case, history_id=sourceless.history_id, user=curator)
    assert CaseSource.objects.filter(case=case).count() == 1
    assert len(case_versions(case.pk)) == before


def test_revert_to_a_slug_now_taken_is_refused_with_a_message(client, admin_case, terms):
    edit(client, admin_case, terms, slug="renamed")
    v1 = case_versions(admin_case.pk)[0]
    factories.CaseFactory(slug="parent-co-ops")
    response = client.post(
        version_url(admin_case, v1.history_id), {"version": shown_version(admin_case)}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Case.objects.get(pk=admin_case.pk).title == "Parent co-operatives in Sweden"


def test_revert_skips_terms_deleted_since_and_says_so(client, admin_case, curator, terms):
    edit(client, admin_case, terms)
    v1 = case_versions(admin_case.pk)[0]
    terms["se"].delete()
    warnings = case_revert(case=admin_case, history_id=v1.history_id, user=curator)
    assert warnings == ["Country #SE no longer exists."]
    assert Case.objects.get(pk=admin_case.pk).title == "Parent co-ops"
    assert not Case.objects.get(pk=admin_case.pk).countries.exists()


def test_one_version_records_a_scripted_write_as_one_created_version(curator, terms):
    case = Case(title="Scripted", slug="scripted", chapter=terms["chapter"])
    with one_version(case, user=curator, reason="import row 2"):
        case.save()
        case.countries.set([terms["se"]])
        Outcome.objects.create(
            case=case, dimension=terms["quality"], direction=terms["improved"], finding="x"
        )
    (version,) = case_versions(case.pk)
    assert (version.kind_label, version.user, version.reason) == (
        "Created",
        curator,
        "import row 2",
    )
    assert version.state.m2m["countries"] == {"SE"}
    assert list(version.state.outcomes) == [terms["quality"].pk]


def test_vocabulary_edits_keep_history_with_user(client, curator, terms):
    client.force_login(curator)
    term = terms["childcare"]
    url = f"/admin/casestudies/policyfield/{term.pk}/change/"
    data = {
        "slug": term.slug,
        "label": "Childcare and early education",
        "definition": term.definition,
        "source": term.source,
        "order": term.order,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    record = PolicyField.history.filter(id=term.pk).latest("history_date")
    assert record.label == "Childcare and early education"
    assert record.history_user == curator


def test_outcomes_saved_without_history_join_the_next_admin_version(client, curator, terms):
    # Fixture loading (load_book) writes rows without history; the next save records them.
    case = factories.CaseFactory(chapter=terms["chapter"], countries=[terms["se"]])
    outcome = Outcome(
        case=case, dimension=terms["quality"], direction=terms["improved"], finding="Loaded."
    )
    outcome.save_without_historical_record()
    assert "Changes not yet in any version" in client_history(client, curator, case)

    response = client.post(change_url(case), case_form_data(case, locality="Malmö"))
    assert response.status_code == 302, form_errors(response)
    latest = case_versions(case.pk)[-1]
    assert latest.state.outcomes == {terms["quality"].pk: (terms["improved"].pk, "Loaded.", "")}
    assert "Changes not yet in any version" not in client_history(client, curator, case)


def client_history(client, curator, case) -> str:
    client.force_login(curator)
    response = client.get(history_url(case))
    assert response.status_code == 200
    return response.content.decode()


# --- deleted cases: listed from their history, restored as drafts ---------------------------


def shown_version(case) -> int:
    """The version a version page or the deleted list shows for ``case`` (live or deleted)."""
    return Case.history.filter(id=case.pk).latest("history_date", "history_id").version


def deleted_url() -> str:
    return reverse("admin:casestudies_case_deleted")


def delete_in_admin(client, case) -> None:
    response = client.post(
        reverse("admin:casestudies_case_delete", args=[case.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Case.objects.filter(pk=case.pk).exists()


def test_deleted_case_is_listed_with_who_and_when(client, admin_case, curator):
    assert "No case has been deleted" in client.get(deleted_url()).content.decode()
    delete_in_admin(client, admin_case)
    page = client.get(deleted_url()).content.decode()
    assert "Parent co-ops" in page and "parent-co-ops" in page
    assert str(curator) in page
    assert "Restore as draft" in page
    assert (
        deleted_url() in client.get(reverse("admin:casestudies_case_changelist")).content.decode()
    )


def test_restore_brings_back_everything_as_a_draft(client, admin_case, curator, terms):
    edit(client, admin_case, terms)
    admin_case.refresh_from_db()
    admin_case.status = CaseStatus.PUBLISHED
    admin_case.save()
    before = live_state(Case.objects.get(pk=admin_case.pk))
    delete_in_admin(client, admin_case)
    assert Outcome.objects.filter(case_id=admin_case.pk).count() == 0

    response = client.post(
        deleted_url(),
        {
            "case": admin_case.pk,
            "reason": "Deleted by mistake",
            "version": shown_version(admin_case),
        },
    )

    assert response.status_code == 302
    restored = Case.objects.get(pk=admin_case.pk)
    assert response["Location"] == change_url(restored)
    assert restored.status == CaseStatus.DRAFT  # a curator looks before it is public again
    assert live_state(restored) == before.__class__(
        fields={**before.fields, "status": CaseStatus.DRAFT},
        m2m=before.m2m,
        outcomes=before.outcomes,
        sources=before.sources,
    )
    versions = case_versions(restored.pk)
    assert [v.kind for v in versions[-2:]] == ["-", "+"]
    assert versions[-1].reason == "Deleted by mistake"
    assert versions[-1].user == curator
    assert "No case has been deleted" in client.get(deleted_url()).content.decode()
    assert client.get(history_url(restored)).status_code == 200


def test_restore_refused_when_the_slug_is_taken_writes_nothing(client, admin_case, terms):
    delete_in_admin(client, admin_case)
    factories.CaseFactory(slug="parent-co-ops")

    response = client.post(
        deleted_url(), {"case": admin_case.pk, "version": shown_version(admin_case)}
    )

    assert response.status_code == 400
    assert (
        "Slug" in response.content.decode() and "nothing was written" in response.content.decode()
    )
    assert not Case.objects.filter(pk=admin_case.pk).exists()
    assert Outcome.objects.filter(case_id=admin_case.pk).count() == 0


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_restore_of_no_deleted_case_is_a_clear_400(client, admin_case, value):
    response = client.post(deleted_url(), {"case": value, "version": "1"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "case" in text.lower()


def test_restore_of_a_live_case_is_refused(client, admin_case):
    response = client.post(
        deleted_url(), {"case": admin_case.pk, "version": shown_version(admin_case)}
    )
    assert response.status_code == 400
    assert "has not been deleted" in response.content.decode()


def test_deleted_list_needs_permissions(client, admin_case, curator):
    delete_in_admin(client, admin_case)
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_case"))
    client.force_login(viewer)
    page = client.get(deleted_url())
    assert page.status_code == 200 and "Restore as draft" not in page.content.decode()
    assert client.post(deleted_url(), {"case": admin_case.pk}).status_code == 403
    client.force_login(factories.UserFactory(username="nobody", is_staff=True))
    assert client.get(deleted_url()).status_code == 403
    client.logout()
    assert client.get(deleted_url()).status_code == 302  # to the login page


def test_deleted_list_query_count_does_not_grow(
    client, curator, terms, django_assert_max_num_queries
):
    client.force_login(curator)
    for case in factories.CaseFactory.create_batch(2):
        delete_in_admin(client, case)
    with django_assert_max_num_queries(12) as captured:
        client.get(deleted_url())
    few = len(captured)
    for case in factories.CaseFactory.create_batch(8):
        delete_in_admin(client, case)
    with django_assert_max_num_queries(few):
        assert client.get(deleted_url()).status_code == 200


def test_deleted_list_pages(client, curator, monkeypatch):
    monkeypatch.setattr("casestudies.admin.case_history.DELETED_PER_PAGE", 2)
    client.force_login(curator)
    for case in factories.CaseFactory.create_batch(3):
        delete_in_admin(client, case)
    first = client.get(deleted_url()).content.decode()
    assert first.count("Restore as draft") == 2 and "Page 1 of 2" in first and "?p=2" in first
    second = client.get(deleted_url() + "?p=2").content.decode()
    assert second.count("Restore as draft") == 1 and "Newer" in second
