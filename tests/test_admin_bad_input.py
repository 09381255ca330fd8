"""Hand-made admin requests with values no form would send: a 4xx with a message, never a 500.

Each of these was a 500 (an id that is not a number reached the database).
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from casestudies.models import Case, PolicyField

from .admin_helpers import add_url, case_form_data
from .factories import CaseFactory, PolicyFieldFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("version", ["abc", "1'", "9" * 30, "%00"])
def test_history_version_that_is_not_a_number_is_a_404(admin_client, version):
    term = PolicyFieldFactory()
    url = f"/admin/casestudies/policyfield/{term.pk}/history/{version}/"
    response = admin_client.get(url)
    assert response.status_code in (400, 404)
    assert "error-page" in _text(response)


def test_history_of_an_object_id_that_is_not_a_number_is_a_404(admin_client):
    response = admin_client.get("/admin/casestudies/policyfield/abc/history/1/")
    assert response.status_code == 404


def test_history_version_still_opens_with_a_real_id(admin_client):
    term = PolicyFieldFactory()
    version = term.history.first()
    response = admin_client.get(f"/admin/casestudies/policyfield/{term.pk}/history/{version.pk}/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("model", "make"),
    [(Case, CaseFactory), (PolicyField, PolicyFieldFactory), (Group, None), (None, UserFactory)],
    ids=["case", "vocabulary", "group", "user"],
)
@pytest.mark.parametrize("selected", [["abc"], ["1'"], ["1", "x"], ["9" * 30]])
def test_action_on_ids_that_are_not_ids_is_a_400_that_says_so(admin_client, model, make, selected):
    if make is not None:
        make()
    opts = (model or UserFactory._meta.model)._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    response = admin_client.post(url, {"action": "delete_selected", "_selected_action": selected})
    assert response.status_code == 400
    assert "selected" in _text(response).lower()


def test_action_on_real_ids_still_runs(admin_client):
    case = CaseFactory()
    url = reverse("admin:casestudies_case_changelist")
    response = admin_client.post(url, {"action": "delete_selected", "_selected_action": [case.pk]})
    assert response.status_code == 200  # the confirmation page
    assert "Are you sure" in _text(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [("chapter", "1'"), ("chapter", "abc"), ("countries", ["x"]), ("policy_fields", ["1", "'"])],
)
def test_add_form_with_an_id_that_is_not_an_id_is_refused_in_the_form(admin_client, field, value):
    data = case_form_data(title="A case", slug="a-case", **{field: value})
    response = admin_client.post(add_url(), data)
    assert response.status_code == 200  # the form again, with the error on the field
    assert field in response.context["adminform"].form.errors
    assert not Case.objects.filter(slug="a-case").exists()
