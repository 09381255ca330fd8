"""Who may do what in the admin: curators edit content, superusers manage people."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from casestudies.models import Case, CaseStatus
from casestudies.plumbing.roles import CURATORS_GROUP, curators_group_sync

from . import factories
from .admin_helpers import case_form_data, change_url, form_errors, history_url, version_url

pytestmark = pytest.mark.django_db

USER_MANAGEMENT = [
    "/admin/auth/user/",
    "/admin/auth/user/add/",
    "/admin/auth/group/",
    "/admin/auth/group/add/",
]


def _concrete(pattern) -> str:
    """A path matching ``pattern``, with "1" (or a real app label) for each parameter."""
    text = str(pattern.pattern)
    if text.startswith("^") or text.endswith("$"):
        text = re.sub(r"\(\?P<app_label>[^)]*\)", "casestudies", text)
        text = re.sub(r"\(\?P<url>\.\*\)", "no-such-page/", text)
        text = re.sub(r"\((\?P<\w+>)?[^)]*\)", "1", text)
        return text.strip("^$")
    return re.sub(r"<(\w+:)?(\w+)>", "1", text)


def every_path(patterns=None, prefix="/"):
    """One concrete path per URL pattern of the whole site (the root URLconf)."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from every_path(pattern.url_patterns, prefix + _concrete(pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + _concrete(pattern)


# The admin site's own URLs and any other URL under /admin/ (e.g. the import).
# Login is the destination; logout sends an anonymous visitor to /admin/, which then redirects.
ADMIN_PATHS = sorted(
    {p for p in every_path() if p.startswith("/admin/")} - {"/admin/login/", "/admin/logout/"}
)


def test_the_url_walk_finds_the_history_pages():
    assert "/admin/casestudies/case/1/history/" in ADMIN_PATHS
    assert "/admin/casestudies/case/1/history/1/" in ADMIN_PATHS
    assert "/admin/casestudies/case/1/history/compare/" in ADMIN_PATHS
    assert "/admin/auth/user/1/password/" in ADMIN_PATHS
    assert len(ADMIN_PATHS) > 100


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_anonymous_user_is_sent_to_login_from_every_admin_url(client, path):
    response = client.get(path)
    assert response.status_code == 302, path
    assert response["Location"].startswith("/admin/login/"), response["Location"]


def test_anonymous_post_to_revert_changes_nothing(client, curator):
    case = factories.CaseFactory(title="Kept")
    record = case.history.first()
    response = client.post(version_url(case, record.history_id), {})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Case.objects.get(pk=case.pk).title == "Kept"


def test_curators_group_has_exactly_the_content_permissions():
    group = curators_group_sync()
    assert group.name == CURATORS_GROUP
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("casestudies", "publish_case") in codenames
    assert ("casestudies", "change_case") in codenames
    assert {app for app, _ in codenames} == {"casestudies"}
    # Synced twice: still the same set, no duplicates.
    assert set(curators_group_sync().permissions.values_list("codename", flat=True)) == {
        c for _, c in codenames
    }


def test_curator_can_edit_a_case(client, curator):
    client.force_login(curator)
    case = factories.CaseFactory(countries=[factories.CountryFactory()])
    assert client.get(change_url(case)).status_code == 200
    response = client.post(change_url(case), case_form_data(case, title="Edited by a curator"))
    assert response.status_code == 302, form_errors(response)
    assert Case.objects.get(pk=case.pk).title == "Edited by a curator"
    assert client.get(history_url(case)).status_code == 200


@pytest.mark.parametrize("path", USER_MANAGEMENT)
def test_curator_cannot_reach_user_management(client, curator, path):
    client.force_login(curator)
    assert client.get(path).status_code == 403


def test_curator_cannot_change_users_or_make_themselves_superuser(client, curator):
    client.force_login(curator)
    url = reverse("admin:auth_user_change", args=[curator.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"username": "curator", "is_superuser": "on", "is_staff": "on"})
    assert response.status_code == 403
    curator.refresh_from_db()
    assert not curator.is_superuser


def test_admin_index_shows_curator_content_but_not_users(client, curator):
    client.force_login(curator)
    body = client.get("/admin/").content.decode()
    assert "/admin/casestudies/case/" in body
    assert "/admin/auth/user/" not in body
    assert "/admin/auth/group/" not in body


def test_superuser_manages_users(client, superuser):
    client.force_login(superuser)
    for path in USER_MANAGEMENT:
        assert client.get(path).status_code == 200


def test_staff_without_a_role_sees_no_cases(client):
    client.force_login(factories.UserFactory(username="staff", is_staff=True))
    case = factories.CaseFactory()
    assert client.get("/admin/casestudies/case/").status_code == 403
    assert client.get(change_url(case)).status_code == 403
    assert client.get(history_url(case)).status_code == 403


def test_viewer_sees_history_but_cannot_revert(client):
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_case", content_type__app_label="casestudies")
    )
    client.force_login(viewer)
    case = factories.CaseFactory(title="Original", status=CaseStatus.DRAFT)
    first = case.history.earliest("history_date")
    case.title = "Changed"
    case.save()
    page = client.get(version_url(case, first.history_id))
    assert page.status_code == 200
    assert "Revert to version" not in page.content.decode()
    assert client.post(version_url(case, first.history_id), {}).status_code == 403
    assert Case.objects.get(pk=case.pk).title == "Changed"
