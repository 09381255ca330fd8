"""The header and footer rendered once per language and route ({% frame %},
casestudies/templatetags/frame.py) read as a plain include of them reads."""

import pytest
from django.test import override_settings

from casestudies.templatetags import frame

from .factories import CaseFactory

pytestmark = pytest.mark.django_db


def _html(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("language", ["", "/de", "/fr", "/es"])
def test_a_kept_frame_reads_as_the_plain_include(client, monkeypatch, language):
    case = CaseFactory(slug="this")
    paths = [
        "/",
        "/cases/",
        '/cases/?q=<b>"Tom" & Jerry\'s</b>&q=last',
        "/cases/?q=0&policy_field=x",
        f"/cases/{case.slug}/",
        "/cases/this/?a=%3Cx%3E&b=%22",
        "/countries/",
        "/codebook/",
        "/no-such-page/",
    ]
    for path in paths:
        with monkeypatch.context() as plain:
            plain.setattr(frame, "KEEP", False)
            expected = _html(client, f"{language}{path}")
        frame._kept.clear()
        assert _html(client, f"{language}{path}") == expected, path  # rendered, kept
        assert _html(client, f"{language}{path}") == expected, path  # from the kept frame
    assert frame._kept
    with override_settings(DEBUG=True):  # templates reloaded as edited: nothing kept
        frame._kept.clear()
        assert _html(client, f"{language}/cases/") == _html(client, f"{language}/cases/")
        assert not frame._kept


def test_the_markers_never_show(client):
    CaseFactory(slug="this")
    for path in ["/cases/this/", "/de/cases/?q=x"]:
        html = client.get(path).content.decode()
        assert "\x00" not in html
