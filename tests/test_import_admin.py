"""The admin's import page: permissions, preview, confirmation, nothing trusted from the client."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casestudies.models import Case

from .factories import CountryFactory, UserFactory
from .import_helpers import exported_and_new_row, to_csv

pytestmark = pytest.mark.django_db

URL = "/admin/casestudies/case/import/"


@pytest.fixture
def sheet(client):
    """make(**changes): the exported existing case, then a new case with the changes."""

    def make(**changes) -> bytes:
        return to_csv([row, {**new, **changes}])

    row, new = exported_and_new_row(client)
    assert row["slug"] == "existing"
    return make


def upload(client, data: bytes, name: str = "cases.csv"):
    return client.post(
        URL, {"action": "preview", "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.post(URL, {"action": "confirm", "token": "x"}).status_code == 302


def test_staff_without_case_permissions_are_refused(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(URL).status_code == 403


def test_curator_sees_the_form_and_the_change_list_button(client, curator):
    client.force_login(curator)
    response = client.get(URL)
    assert response.status_code == 200
    assert b'type="file"' in response.content
    change_list = client.get("/admin/casestudies/case/")
    assert f'href="{URL}"'.encode() in change_list.content


def test_preview_then_confirm(client, curator, sheet):
    client.force_login(curator)
    response = upload(client, sheet())
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 to create, 0 to update, 1 unchanged; 0 error(s)" in html
    assert "from-sheet" in html
    assert not Case.objects.filter(slug="from-sheet").exists()  # the preview wrote nothing

    token = response.context["token"]
    response = client.post(URL, {"action": "confirm", "token": token})
    assert response.status_code == 302
    case = Case.objects.get(slug="from-sheet")
    record = case.history.first()
    assert (record.history_user, record.history_change_reason) == (curator, "import")
    # The stored file is gone: confirming twice does not import twice.
    assert client.post(URL, {"action": "confirm", "token": token}).status_code == 400


def test_row_errors_are_listed_and_cannot_be_confirmed(client, curator, sheet):
    client.force_login(curator)
    response = upload(client, sheet(countries="XX", start_year="2010", end_year="2001"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Unknown country code &#x27;XX&#x27;" in html
    assert "<td>3</td><td>countries</td>" in html
    assert "<td>3</td><td>end_year</td>" in html
    assert "Confirm the import" not in html
    assert not response.context["token"]


def test_a_forged_token_imports_nothing(client, curator, sheet):
    client.force_login(curator)
    upload(client, sheet())
    response = client.post(URL, {"action": "confirm", "token": "forged"})
    assert response.status_code == 400
    assert not Case.objects.filter(slug="from-sheet").exists()


def test_confirm_checks_the_data_again(client, curator, sheet):
    client.force_login(curator)
    response = upload(client, sheet())
    Case.objects.filter(slug="existing").delete()
    CountryFactory._meta.model.objects.filter(code="SE").delete()  # the sheet's country is gone
    response = client.post(URL, {"action": "confirm", "token": response.context["token"]})
    assert response.status_code == 400
    assert "Unknown country code" in response.content.decode()
    assert not Case.objects.filter(slug="from-sheet").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cases.xlsx", b"PK\x03\x04", "Choose a .csv file"),
        ("cases.csv", b"", "empty"),
        ("cases.csv", "slug;title\n".encode("utf-16"), "not UTF-8"),
        ("cases.csv", b"slug,title\nx,y\n", "Missing columns"),
    ],
)
def test_unusable_files_get_a_clear_400(client, curator, name, data, message):
    client.force_login(curator)
    response = upload(client, data, name)
    assert response.status_code == 400
    assert message in response.content.decode()
