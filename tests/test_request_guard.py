"""config/request_guard.py: addresses no page can serve are a clear 400 before any view."""

import pytest

from .factories import CountryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/countries/SE%00/", "/cases/a%00b/", "/%00/", "/admin/casestudies/case/%00/change/"]
)
def test_a_nul_character_in_the_path_is_a_400_that_says_so(client, path):
    # PostgreSQL refuses NUL in text: a view looking the segment up would fail with a 500.
    CountryFactory(code="SE")
    response = client.get(path)
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-page" in html
    assert "NUL" in html


def test_the_guard_leaves_ordinary_paths_alone(client):
    CountryFactory(code="SE", name="Sweden")
    assert client.get("/countries/SE/").status_code == 200
