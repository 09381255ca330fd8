"""Citations of a chapter: only what the database holds, in APA 7 and BibTeX shape.

The BibTeX is read back with a real parser (pybtex), so a field that only looks
right in a string comparison, or a forged field, is caught.
"""

import pytest
from pybtex.database import parse_string

from casestudies.reads.citations import chapter_apa, chapter_bibtex, sentence_case

from .factories import ChapterFactory, SourceFactory

pytestmark = pytest.mark.django_db


def parsed(bibtex: str):
    """The one entry pybtex reads from ``bibtex``."""
    entries = parse_string(bibtex, "bibtex").entries
    assert len(entries) == 1, bibtex
    return next(iter(entries.values()))


@pytest.fixture
def book():
    return SourceFactory(
        title="New Public Governance, the Third Sector and Co-Production",
        authors="Victor Pestoff, Taco Brandsen, Bram Verschuere",
        is_edited=True,
        year=2012,
        publisher="Routledge",
        doi="10.4324/9780203152294",
    )


BOOK_APA = (
    "In V. Pestoff, T. Brandsen, & B. Verschuere (Eds.), New public governance, "
    "the third sector and co-production. Routledge. https://doi.org/10.4324/9780203152294"
)


def test_two_bare_surnames_join_with_an_ampersand_only(book):
    chapter = ChapterFactory(source=book, number=4, authors="Ewert & Evers", title="")
    assert chapter_apa(chapter).text == f"Ewert & Evers (2012). [Chapter 4]. {BOOK_APA}"


def test_the_book_title_is_italic_in_html_and_plain_in_text(book):
    citation = chapter_apa(ChapterFactory(source=book, number=4, authors="Ewert & Evers"))
    assert "<i>New public governance, the third sector and co-production</i>" in citation.html
    assert "<i>" not in citation.text
    assert str(citation) == citation.text


def test_html_escapes_what_the_database_holds(book):
    chapter = ChapterFactory(source=book, number=5, authors="<b>Evil</b>", title="<script>")
    html = chapter_apa(chapter).html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html


def test_particles_stay_with_the_family_name(book):
    chapter = ChapterFactory(source=book, number=13, authors="De Rynck & Dezeure", title="")
    assert chapter_apa(chapter).text.startswith("De Rynck & Dezeure (2012). [Chapter 13].")
    entry = parsed(chapter_bibtex(chapter))
    first, second = entry.persons["author"]
    assert first.last_names == ["{De Rynck}"] and first.first_names == []
    assert second.last_names == ["Dezeure"]
    assert "DeRynck2012ch13" in chapter_bibtex(chapter)


def test_a_particle_with_a_given_name(book):
    chapter = ChapterFactory(source=book, number=9, authors="Jan de Vries & Ana van der Berg")
    assert chapter_apa(chapter).text.startswith("de Vries, J., & van der Berg, A. (2012).")
    first, second = parsed(chapter_bibtex(chapter)).persons["author"]
    assert (first.first_names, first.last_names) == (["Jan"], ["{de Vries}"])
    assert (second.first_names, second.last_names) == (["Ana"], ["{van der Berg}"])


def test_chapters_by_the_editors_get_their_initials(book):
    intro = ChapterFactory(source=book, number=1, authors="Pestoff, Brandsen & Verschuere")
    assert chapter_apa(intro).text.startswith(
        "Pestoff, V., Brandsen, T., & Verschuere, B. (2012). "
    )
    people = parsed(chapter_bibtex(intro)).persons["author"]
    assert [(p.first_names, p.last_names) for p in people] == [
        (["Victor"], ["Pestoff"]),
        (["Taco"], ["Brandsen"]),
        (["Bram"], ["Verschuere"]),
    ]


def test_one_form_within_an_entry(book):
    chapter = ChapterFactory(
        source=book, number=18, authors="Diederik Vancoppenolle & Verschuere", title=""
    )
    assert chapter_apa(chapter).text.startswith("Vancoppenolle, D., & Verschuere, B. (2012).")


def test_without_initials_for_one_author_every_author_is_a_bare_surname(book):
    chapter = ChapterFactory(source=book, number=9, authors="Brandsen & Helderman", title="")
    # Brandsen's first name is known (an editor), Helderman's is not: one form, not two.
    assert chapter_apa(chapter).text.startswith("Brandsen & Helderman (2012).")


def test_et_al_is_kept_in_apa_and_becomes_and_others_in_bibtex(book):
    chapter = ChapterFactory(source=book, number=11, authors="Brown et al.", title="")
    assert chapter_apa(chapter).text.startswith("Brown et al. (2012). [Chapter 11].")
    bibtex = chapter_bibtex(chapter)
    assert bibtex.startswith("@inbook{Brown2012ch11,")
    people = parsed(bibtex).persons["author"]
    assert [p.last_names for p in people] == [["Brown"], ["others"]]


def test_an_untitled_chapter_is_cited_by_number_without_an_invented_title(book):
    chapter = ChapterFactory(source=book, number=16, authors="Vamstad", title="")
    bibtex = chapter_bibtex(chapter)
    entry = parsed(bibtex)
    assert entry.type == "inbook"
    assert entry.fields["title"] == "New Public Governance, the Third Sector and Co-Production"
    assert entry.fields["chapter"] == "16"
    assert "Chapter 16" not in bibtex and "[" not in bibtex
    assert [p.last_names for p in entry.persons["editor"]] == [
        ["Pestoff"],
        ["Brandsen"],
        ["Verschuere"],
    ]


def test_a_recorded_title_is_used_in_sentence_case_and_bibtex_lists_every_editor(book):
    chapter = ChapterFactory(
        source=book, number=10, authors="Meijer", title="Co-Production in an Information Age"
    )
    assert chapter_apa(chapter).text == (
        f"Meijer (2012). Co-production in an information age. {BOOK_APA}"
    )
    entry = parsed(chapter_bibtex(chapter))
    assert entry.type == "incollection"
    assert entry.fields["title"] == "Co-Production in an Information Age"
    assert entry.fields["booktitle"] == book.title
    assert entry.fields["chapter"] == "10"
    assert entry.fields["year"] == "2012"
    assert entry.fields["doi"] == "10.4324/9780203152294"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "New Public Governance, the Third Sector and Co-Production",
            "New public governance, the third sector and co-production",
        ),
        ("Co-Production: The State of the Art", "Co-production: The state of the art"),
        ("Parents in the TSFEPS Project and the EU", "Parents in the TSFEPS project and the EU"),
        ("", ""),
    ],
)
def test_sentence_case(title, expected):
    assert sentence_case(title) == expected


def test_an_editor_alone_is_ed_not_eds():
    book = SourceFactory(title="A Book", authors="Victor Pestoff", is_edited=True, year=2012)
    chapter = ChapterFactory(source=book, number=2, authors="Pestoff", title="")
    assert "In V. Pestoff (Ed.), A book." in chapter_apa(chapter).text
