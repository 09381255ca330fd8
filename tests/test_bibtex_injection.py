"""BibTeX field injection (issue 13, item 12): hostile titles, authors and notes
cannot close their field and forge others. Read back with a real parser (pybtex)."""

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string

from casestudies.models import Chapter, Source
from casestudies.reads import bibtex
from casestudies.reads.citations import AtlasRecord, atlas_bibtex, chapter_bibtex

pytestmark = pytest.mark.django_db

FORGED_TITLE = 'Evil}, url = "https://evil.example/", year = 1999'
HOSTILE = [
    FORGED_TITLE,
    "Evil}}, year = {1999}, note = {",
    "Back\\slash} and {brace",
    "@misc{forged, title = {x}}",
    "Line\nbreak}\n@article{x,",
    "100% of $ & # _ ~ ^ special",
    "{",
    "}",
    "\\",
]

# The LaTeX the escaper writes, read back as text (what a LaTeX run would show).
_LATEX_TEXT = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
    r"\&": "&",
    r"\%": "%",
    r"\$": "$",
    r"\#": "#",
    r"\_": "_",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_TEXT))


def as_text(latex: str) -> str:
    return _LATEX_RE.sub(lambda m: _LATEX_TEXT[m.group()], latex)


def the_entry(text: str):
    entries = parse_string(text, "bibtex").entries
    assert len(entries) == 1, text
    return next(iter(entries.values()))


def book() -> Source:
    return Source(
        slug="b", title="A Book", authors="Victor Pestoff", is_edited=True, year=2012, doi=""
    )


def chapter(**kwargs) -> Chapter:
    values = {"number": 3, "authors": "Vamstad", "title": "A Title", **kwargs}
    return Chapter(source=book(), **values)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_title_stays_inside_its_field(hostile):
    entry = the_entry(chapter_bibtex(chapter(title=hostile)))
    assert set(entry.fields) == {"title", "booktitle", "year", "chapter"}
    assert entry.fields["year"] == "2012"
    assert as_text(entry.fields["title"]) == " ".join(hostile.split())


def test_the_probe_s_forged_url_and_year_are_gone():
    text = chapter_bibtex(chapter(title=FORGED_TITLE))
    entry = the_entry(text)
    assert "url" not in entry.fields
    assert entry.fields["year"] == "2012"
    assert text.count("{") == text.count("}")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_authors_stay_authors(hostile):
    entry = the_entry(chapter_bibtex(chapter(authors=f"Smith & {hostile}")))
    assert set(entry.fields) == {"title", "booktitle", "year", "chapter"}
    assert entry.fields["year"] == "2012"
    assert str(entry.persons["author"][0]) == "Smith"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_note_and_url_stay_inside_their_fields(hostile):
    record = AtlasRecord(
        title=hostile,
        description=hostile,
        url=f"https://atlas.example/cases/?q={hostile}",
        accessed=date(2026, 11, 30),
        year=2026,
        version=hostile,
        key=f"atlas:{hostile}",
    )
    entry = the_entry(atlas_bibtex(record))
    assert set(entry.fields) == {
        "title",
        "howpublished",
        "year",
        "version",
        "url",
        "urldate",
        "note",
    }
    assert entry.fields["year"] == "2026"
    assert as_text(entry.fields["note"]).startswith(" ".join(hostile.split()))
    assert not set(entry.fields["url"]) & set("{}\\ \n")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(max_size=60), authors=st.text(max_size=40))
def test_any_text_gives_one_entry_with_the_expected_fields(title, authors):
    text = chapter_bibtex(chapter(title=title, authors=f"Smith & {authors}"))
    entry = the_entry(text)
    assert entry.fields["year"] == "2012"
    assert set(entry.fields) <= {"title", "booktitle", "year", "chapter"}
    assert entry.fields["chapter"] == "3"
    if title.strip():
        assert as_text(entry.fields["title"]) == " ".join(
            bibtex._CONTROL_RE.sub(" ", title).split()
        )


def test_an_encoded_url_is_not_encoded_twice():
    record = AtlasRecord(
        title="Cases",
        description="Data set, list view",
        url="https://atlas.example/cases/?q=caf%C3%A9&country=SE",
        accessed=date(2026, 11, 30),
        year=2026,
    )
    entry = the_entry(atlas_bibtex(record))
    assert entry.fields["url"] == "https://atlas.example/cases/?q=caf%C3%A9&country=SE"
