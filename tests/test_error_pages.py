"""Error pages help: where you are, what was wrong, what is allowed, a way on."""

import re

import pytest
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory

from casestudies.plumbing.bad_parameter import BadParameter, bad_parameter_response
from casestudies.views import error_pages

pytestmark = pytest.mark.django_db


def test_unknown_case_is_a_404_with_a_search_for_its_words(client):
    response = client.get("/cases/parent-co-ops-sweden/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert 'id="main"' in html  # in the site's layout
    # The search box is filled with the words of the address that failed.
    assert re.search(r'<input id="error-q"[^>]*value="parent co ops sweden"', html)
    assert '<label for="error-q">' in html
    assert 'href="/"' in html


def test_404_hides_the_model_name_from_get_object_or_404(client):
    html = client.get("/cases/no-such-case/").content.decode()
    assert "matches the given query" not in html


def test_404_keeps_a_message_written_for_the_visitor(rf):
    request = rf.get("/chapters/99/")
    response = error_pages.page_not_found(request, Http404("This chapter is not in the book."))
    assert response.status_code == 404
    assert "This chapter is not in the book." in response.content.decode()


def test_bad_parameter_names_it_and_lists_the_allowed_values(rf):
    request = rf.get("/cases/", {"sort": "colour"})
    exc = BadParameter("sort", "unknown order 'colour'.", ["title", "year"])
    response = bad_parameter_response(request, exc)
    html = response.content.decode()
    assert response.status_code == 400
    assert "<code>sort</code>" in html
    assert "unknown order &#x27;colour&#x27;." in html
    assert "<li><code>title</code></li>" in html and "<li><code>year</code></li>" in html
    # A way out: the same page without the parameters.
    assert 'href="/cases/">Open this page without any parameters' in html


def test_400_explains_a_bad_request_but_not_a_suspicious_one(rf):
    request = rf.get("/cases/")
    shown = error_pages.bad_request(request, BadRequest("page must be a number"))
    hidden = error_pages.bad_request(request, SuspiciousOperation("Invalid HTTP_HOST header: evil"))
    assert shown.status_code == hidden.status_code == 400
    assert "page must be a number" in shown.content.decode()
    assert "evil" not in hidden.content.decode()


def test_500_page_renders_alone_with_a_way_home():
    response = error_pages.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert '<main id="main"' in html and 'href="/"' in html


# Browsers read a backslash in an http(s) URL as a slash (WHATWG URL standard), so
# "/\evil.example/" and "//evil.example/" both name another host.
_HREF = re.compile(r'href="([^"]*)"')


def _hosts_linked(html: str) -> set[str]:
    import html as html_module
    from urllib.parse import urljoin, urlsplit

    hosts = set()
    for raw in _HREF.findall(html):
        href = html_module.unescape(raw).replace("\\", "/")
        hosts.add(urlsplit(urljoin("http://testserver/some/page/", href)).netloc)
    return hosts


@pytest.mark.parametrize(
    "path", ["/%5Cevil.example/", "//evil.example/", "/%5C%5Cevil.example/", "/%2F%2Fevil.example/"]
)
def test_400_page_links_only_to_this_site(client, path):
    too_many = "&".join(f"k{i}=v" for i in range(1001))
    response = client.get(f"{path}?{too_many}")
    assert response.status_code == 400
    html = response.content.decode()
    (link,) = re.findall(r'<a href="[^"]*">Open this page without any parameters', html)
    assert _hosts_linked(link) == {"testserver"}


def test_400_page_links_back_to_the_same_page(rf):
    request = rf.get("/cases/%C3%A9t%C3%A9/", {"sort": "x"})
    response = bad_parameter_response(request, BadParameter("sort", "unknown order."))
    assert 'href="/cases/%C3%A9t%C3%A9/">Open this page' in response.content.decode()
