"""The client's address behind trusted proxies (config/client_ip.py), as axes uses it."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from config.client_ip import client_ip

from .factories import UserFactory

PASSWORD = "correct horse battery staple"


def _request(remote="10.0.0.2", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/admin/login/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy trusted: the header is ignored
        (0, None, "10.0.0.2"),
        (1, "203.0.113.9", "203.0.113.9"),  # one proxy appended the client's address
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # the left one is the client's own
        (1, " 203.0.113.9 ", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "198.51.100.66, 203.0.113.9, 192.0.2.1", "203.0.113.9"),  # CDN, then ours
        (2, "203.0.113.9", "10.0.0.2"),  # did not pass both proxies: the direct peer
        (1, None, "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (1, "203.0.113.9, <script>", "10.0.0.2"),
    ],
)
def test_client_ip(count, forwarded, expected):
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(_request(forwarded=forwarded)) == expected


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2, TRUSTED_PROXY_COUNT=1)
def test_lockout_is_per_client_behind_a_trusted_proxy(client):
    """Behind the proxy, one client's failures do not lock the user out for the others,
    and a client cannot escape its own lockout by writing the header itself."""
    user = UserFactory(username="curator", is_staff=True, is_superuser=True)
    login = reverse("admin:login")
    wrong = {"username": user.username, "password": "wrong"}
    right = {"username": user.username, "password": PASSWORD}
    attacker = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for _ in range(2):
        client.post(login, wrong, **attacker)
    assert client.post(login, right, **attacker).status_code == 429
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "192.0.2.7, 198.51.100.66"}
    assert client.post(login, right, **forged).status_code == 429
    curator = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client.post(login, right, **curator).status_code == 302
