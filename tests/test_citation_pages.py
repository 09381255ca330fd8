"""Every case page, list view and chapter page says how to cite what it shows."""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.conf import settings
from pybtex.database import parse_string

from .factories import CaseFactory, ChapterFactory, SourceFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def case():
    book = SourceFactory(
        slug="book",
        title="New Public Governance, the Third Sector and Co-Production",
        authors="Victor Pestoff, Taco Brandsen, Bram Verschuere",
    )
    chapter = ChapterFactory(source=book, number=13, authors="De Rynck & Dezeure", title="")
    return CaseFactory(title="Flemish neighbourhood police", slug="flemish", chapter=chapter)


def today() -> str:
    day = datetime.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    return f"{day:%B} {day.day}, {day.year}"


def test_case_page_cites_the_record_and_the_chapter(client, case):
    html = client.get("/cases/flemish/").content.decode()
    assert "Cite this case record" in html
    assert (
        f"Co-production Case Atlas. ({case.updated_at.year}). <i>Flemish neighbourhood police</i> "
        "[Case record; live data, not yet released]. Co-production Case Atlas. "
        f"Retrieved {today()}, from http://testserver/cases/flemish/"
    ) in html
    # The chapter: particles kept, book title in italics and sentence case.
    assert "De Rynck &amp; Dezeure (2012). [Chapter 13]. In V. Pestoff, T. Brandsen" in html
    assert "<i>New public governance, the third sector and co-production</i>" in html


def test_case_page_bibtex_of_the_record_parses(client, case):
    response = client.get("/cases/flemish/")
    block = response.content.decode().split('id="record-bibtex"')[1].split(">", 1)[1]
    text = block.split("</pre>")[0].replace("&amp;", "&").replace("&quot;", '"')
    entry = parse_string(text.replace("&#x27;", "'"), "bibtex").entries["atlas:flemish"]
    assert entry.fields["url"] == "http://testserver/cases/flemish/"
    assert entry.fields["title"] == "Flemish neighbourhood police"
    assert (
        entry.fields["urldate"]
        == datetime.datetime.now(ZoneInfo(settings.TIME_ZONE)).date().isoformat()
    )


def test_list_view_cites_itself_with_its_query(client, case):
    html = client.get("/cases/?q=police").content.decode()
    assert "Cite this list" in html
    assert "<i>Co-production cases (filtered list)</i>" in html
    assert "from http://testserver/cases/?q=police" in html


def test_chapter_page_sets_the_book_title_in_italics(client, case):
    html = client.get("/chapters/13/").content.decode()
    assert "<i>New public governance, the third sector and co-production</i>" in html


def test_citation_cff_is_valid_and_matches_the_code_licence():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "license", "version"):
        assert cff[key], key
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'license = {{ text = "{cff["license"]}" }}' in pyproject
    assert f'version = "{cff["version"]}"' in pyproject


def test_licence_files_match_what_the_project_declares():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "CC BY 4.0" in (ROOT / "DATA-LICENCE.md").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "MIT licence" in readme and "CC BY 4.0" in readme
