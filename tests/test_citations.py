"""Citations of a chapter: only what the database holds, in APA 7 and BibTeX shape."""

import pytest

from casestudies.citations import chapter_apa, chapter_bibtex

from .factories import ChapterFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    return SourceFactory(
        title="New Public Governance, the Third Sector and Co-Production",
        authors="Victor Pestoff, Taco Brandsen, Bram Verschuere",
        year=2012,
        publisher="Routledge",
        doi="10.4324/9780203152294",
    )


def test_two_bare_surnames_join_with_an_ampersand_only(book):
    chapter = ChapterFactory(source=book, number=4, authors="Ewert & Evers", title="")
    apa = chapter_apa(chapter)
    assert apa.startswith("Ewert & Evers (2012). [Chapter 4]. In V. Pestoff, T. Brandsen, & ")
    assert "(Eds.), New Public Governance" in apa
    assert apa.endswith("Routledge. https://doi.org/10.4324/9780203152294")


def test_a_known_first_name_is_inverted_with_the_serial_comma(book):
    chapter = ChapterFactory(
        source=book, number=18, authors="Diederik Vancoppenolle & Verschuere", title=""
    )
    assert chapter_apa(chapter).startswith("Vancoppenolle, D., & Verschuere (2012).")


def test_et_al_is_kept_in_apa_and_becomes_and_others_in_bibtex(book):
    chapter = ChapterFactory(source=book, number=11, authors="Brown et al.", title="")
    assert chapter_apa(chapter).startswith("Brown et al. (2012). [Chapter 11].")
    bibtex = chapter_bibtex(chapter)
    assert bibtex.startswith("@incollection{Brown2012ch11,")
    assert "author = {Brown and others}" in bibtex


def test_a_recorded_title_is_used_and_bibtex_lists_every_editor(book):
    chapter = ChapterFactory(
        source=book, number=10, authors="Meijer", title="Co-Production in an Information Age"
    )
    assert "(2012). Co-Production in an Information Age. In " in chapter_apa(chapter)
    bibtex = chapter_bibtex(chapter)
    assert "title = {Co-Production in an Information Age}" in bibtex
    assert "editor = {Victor Pestoff and Taco Brandsen and Bram Verschuere}" in bibtex
    assert "chapter = {10}" in bibtex
