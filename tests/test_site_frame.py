"""The header and footer every page shares: navigation that never leads to a 404."""

import re

import pytest

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', re.S)


def _nav_links(html: str) -> dict[str, str]:
    nav = NAV.search(html).group(1)
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


def test_navigation_names_the_main_sections_in_order(client):
    labels = list(_nav_links(client.get("/").content.decode()))
    expected = [
        "Cases",
        "Compare",
        "Matrix",
        "Map",
        "Outcomes",
        "Countries",
        "Chapters",
        "Codebook",
        "Download",
    ]
    assert labels == expected


def test_every_navigation_link_works(client):
    for label, href in _nav_links(client.get("/").content.decode()).items():
        path = href.split("#")[0]
        assert client.get(path).status_code == 200, (label, href)


def test_download_leads_to_a_download_section(client):
    href = _nav_links(client.get("/").content.decode())["Download"]
    if "#" in href:
        path, anchor = href.split("#")
        assert f'id="{anchor}"' in client.get(path).content.decode()


def test_current_section_is_marked_for_screen_readers(client):
    nav = NAV.search(client.get("/codebook/").content.decode()).group(1)
    assert re.search(r'<a href="/codebook/" aria-current="page">Codebook</a>', nav)
    assert nav.count('aria-current="page"') == 1


def test_footer_says_how_to_cite_and_the_licence(client):
    html = client.get("/").content.decode()
    footer = html[html.index('<footer class="site-footer">') :]
    assert "How to cite" in footer
    # The book in APA 7: sentence case, in italics.
    assert "<i>New public governance, the third sector and co-production</i>" in footer
    assert "MIT licence" in footer
    # The data licence, linked, and the summaries' status.
    assert (
        '<a href="https://creativecommons.org/licenses/by/4.0/" rel="license" translate="no">'
        "Creative Commons Attribution 4.0 International (CC-BY-4.0)</a>"
    ) in footer
    assert "Summaries paraphrase the book" in footer
