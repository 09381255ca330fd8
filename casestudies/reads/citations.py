"""Ready-made citations: a chapter of the book, and the atlas's own records (APA 7, BibTeX).

Only what the database holds goes in. A chapter without a recorded title is
cited in APA with a bracketed description ("[Chapter 4]", as APA 7 does for
untitled works) and in BibTeX as a chapter of the book (``@inbook`` with
``chapter = {4}``), never with an invented title.

An APA citation is a ``Citation``: its text is plain (what the copy button
copies, as APA's plain-text form allows) and its HTML sets the titles APA
italicises in ``<i>``.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import Chapter, Source
from . import bibtex
from .person_names import Name, parse_names, with_known_given_names


@dataclass(frozen=True)
class Citation:
    """An APA reference as parts; ``(text, italic)`` pairs keep the markup out of the text."""

    parts: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    @property
    def html(self) -> SafeString:
        return mark_safe(
            "".join(f"<i>{escape(t)}</i>" if italic else str(escape(t)) for t, italic in self.parts)
        )

    def __str__(self) -> str:
        return self.text


def _citation(*parts: str | tuple[str, bool]) -> Citation:
    return Citation(tuple((p, False) if isinstance(p, str) else p for p in parts))


def _italic(text: str) -> tuple[str, bool]:
    return (text, True)


# --- APA pieces ---------------------------------------------------------------------------


def sentence_case(title: str) -> str:
    """APA's sentence case: capitals only for the first word and the word after a colon.

    Words written with capitals inside them (acronyms such as "EU" or "TSFEPS",
    names such as "McDonald") are kept. Proper nouns in ordinary capitalisation
    cannot be told from title-case words; the one stored chapter title and the
    book's title have none.
    """
    out = []
    capitalise_next = True
    for word in title.split(" "):
        out.append(_lower_tail(word) if capitalise_next else _lower(word))
        if word:
            capitalise_next = word.endswith((":", "?", "!"))
    return " ".join(out)


def _keeps_capitals(part: str) -> bool:
    letters = [c for c in part if c.isalpha()]
    return len(letters) > 1 and any(c.isupper() for c in letters[1:])


def _lower(word: str) -> str:
    return "-".join(p if _keeps_capitals(p) else p.lower() for p in word.split("-"))


def _lower_tail(word: str) -> str:
    # A word that starts a title keeps its capital: "Co-Production" -> "Co-production".
    head, *tail = word.split("-")
    return "-".join([head, *(p if _keeps_capitals(p) else p.lower() for p in tail)])


def _apa_author_list(names: list[Name]) -> str:
    """APA 7's author element in one form for the whole entry.

    Inverted with initials ("Vancoppenolle, D., & Verschuere, B.") when every
    name has given names; otherwise every name as a bare family name, since the
    source gives no initials to invert and mixing forms misreads as an error.
    """
    inverted = all(n.given for n in names)
    shown = [
        (f"{n.family}, {n.initials}" if inverted else n.family) + (" et al." if n.et_al else "")
        for n in names
    ]
    if len(shown) <= 1:
        return "".join(shown)
    if len(shown) == 2 and not inverted:
        return f"{shown[0]} & {shown[1]}"
    return ", ".join(shown[:-1]) + ", & " + shown[-1]


def _apa_editor_list(names: list[Name]) -> str:
    # Editors in a chapter reference are not inverted: "V. Pestoff, T. Brandsen, & B. Verschuere".
    shown = [f"{n.initials} {n.family}".strip() for n in names]
    if len(shown) <= 2:
        return " & ".join(shown)
    return ", ".join(shown[:-1]) + ", & " + shown[-1]


def _ends_sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _access_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


# --- the book and its chapters --------------------------------------------------------------


def chapter_authors(chapter: Chapter) -> list[Name]:
    """The chapter's authors, with the first names the database holds for the book's editors."""
    editors = parse_names(chapter.source.authors)
    return with_known_given_names(parse_names(chapter.authors), editors)


def chapter_apa(chapter: Chapter) -> Citation:
    book: Source = chapter.source
    editors = parse_names(book.authors)
    title = sentence_case(chapter.title) if chapter.title else f"[Chapter {chapter.number}]"
    pages = f" (pp. {chapter.pages})" if chapter.pages else ""
    eds = "Eds." if len(editors) > 1 else "Ed."
    return _citation(
        f"{_apa_author_list(chapter_authors(chapter))} ({book.year or 'n.d.'}). ",
        f"{_ends_sentence(title)} In {_apa_editor_list(editors)} ({eds}), ",
        _italic(sentence_case(book.title)),
        f"{pages}. ",
        f"{book.publisher}." if book.publisher else "",
        f" {book.doi_url}" if book.doi else "",
    )


def source_apa(source: Source) -> Citation:
    """A whole publication (the book, in the extract's README): APA 7's book reference."""
    names = parse_names(source.authors)
    eds = (" (Eds.)." if len(names) > 1 else " (Ed.).") if source.is_edited else ""
    authors = _apa_author_list(names) + eds if names else ""
    return _citation(
        f"{authors} ({source.year or 'n.d.'}). ",
        _italic(sentence_case(source.title)),
        ". ",
        f"{source.publisher}." if source.publisher else "",
        f" {source.doi_url}" if source.doi else "",
    )


def _bibtex_names(names: list[Name]) -> str:
    """BibTeX's "Family, Given and …"; a family name of several words is braced."""
    parts = []
    for n in names:
        family = bibtex.escape(n.family)
        if " " in n.family:
            family = f"{{{family}}}"  # else "De Rynck" reads as first name "De"
        parts.append(f"{family}, {bibtex.escape(n.given)}" if n.given else family)
        if n.et_al:
            parts.append("others")  # BibTeX's "et al."
    return " and ".join(parts)


def chapter_bibtex(chapter: Chapter) -> str:
    book: Source = chapter.source
    authors = chapter_authors(chapter)
    first = authors[0].family if authors else "anon"
    key = f"{bibtex.key_part(first)}{book.year or ''}ch{chapter.number}"
    people = [
        ("author", _bibtex_names(authors)),
        ("editor", _bibtex_names(parse_names(book.authors))),
    ]
    if chapter.title:
        kind, titles = "incollection", [("title", chapter.title), ("booktitle", book.title)]
    else:
        # No recorded title: cite the chapter by number within the book.
        kind, titles = "inbook", [("title", book.title)]
    fields = [
        *people,
        *titles,
        ("publisher", book.publisher),
        ("series", book.series),
        ("year", str(book.year or "")),
        ("chapter", str(chapter.number)),
        ("pages", chapter.pages.replace("–", "--")),
        ("doi", book.doi),
    ]
    return bibtex.entry(kind, key, fields, raw=frozenset({"author", "editor"}))


# --- the atlas's own records ----------------------------------------------------------------


@dataclass(frozen=True)
class AtlasRecord:
    """What a reader cites when they cite the atlas: a case page, a list view, an extract."""

    title: str  # e.g. the case's title, or "Co-production cases (filtered list)"
    description: str  # APA's bracketed description, e.g. "Case record"
    url: str
    accessed: date
    year: int
    version: str = ""  # the release the live data was last frozen as, if any
    key: str = "atlas"

    @property
    def version_note(self) -> str:
        if not self.version:
            return "live data, not yet released"
        return f"live data; last released as version {self.version}"


def atlas_apa(record: AtlasRecord) -> Citation:
    """APA 7 for a page of a database that changes: group author, year, title,
    description, and "Retrieved <date>, from <URL>"."""
    site = settings.SITE_NAME
    return _citation(
        f"{site}. ({record.year}). ",
        _italic(record.title),
        f" [{record.description}; {record.version_note}]. ",
        f"{site}. Retrieved {_access_date(record.accessed)}, from {record.url}",
    )


def atlas_bibtex(record: AtlasRecord) -> str:
    site = bibtex.escape(settings.SITE_NAME)
    fields = [
        ("author", f"{{{site}}}"),  # a group author: braced so it is not split into names
        ("title", record.title),
        ("howpublished", f"{record.description}, {settings.SITE_NAME}"),
        ("year", str(record.year)),
        ("version", record.version),
        ("url", bibtex.url_value(record.url)),
        ("urldate", record.accessed.isoformat()),
        ("note", f"{record.description}; {record.version_note}"),
    ]
    return bibtex.entry("misc", record.key, fields, raw=frozenset({"author", "url"}))


# --- numbered releases ------------------------------------------------------------------------


def release_apa(release, *, url: str) -> Citation:
    """APA 7's data set reference; the author is the publisher, so the publisher is left out."""
    site = settings.SITE_NAME
    return _citation(
        f"{site}. ({release.created.year}). ",
        _italic(site),
        f" (Version {release.version}) [Data set]. {url}",
    )


def release_bibtex(release, *, url: str) -> str:
    site = bibtex.escape(settings.SITE_NAME)
    fields = [
        ("author", f"{{{site}}}"),
        ("title", settings.SITE_NAME),
        ("year", str(release.created.year)),
        ("version", release.version),
        ("howpublished", "Data set"),
        ("url", bibtex.url_value(url)),
        ("note", f"Release {release.version}, {release.created:%Y-%m-%d}"),
    ]
    key = f"coproduction-atlas-{release.version}"
    return bibtex.entry("misc", key, fields, raw=frozenset({"author", "url"}))
