"""Ready-made citations of a chapter of the book (APA 7 and BibTeX).

Only what the database holds goes in: a chapter without a recorded title is
cited as "[Chapter N]" rather than with an invented title.
"""

import re

from .models import Chapter, Source


def _split_names(names: str) -> list[str]:
    parts = re.split(r"\s*(?:,|&|\band\b)\s*", names)
    return [p.strip() for p in parts if p.strip()]


def _apa_editor(name: str) -> str:
    # "Victor Pestoff" -> "V. Pestoff"
    bits = name.split()
    if len(bits) < 2:
        return name
    initials = " ".join(f"{b[0]}." for b in bits[:-1])
    return f"{initials} {bits[-1]}"


def _apa_author(name: str) -> str:
    # "Diederik Vancoppenolle" -> "Vancoppenolle, D."; a bare surname stays as it is.
    bits = name.split()
    if len(bits) < 2:
        return name
    initials = " ".join(f"{b[0]}." for b in bits[:-1])
    return f"{bits[-1]}, {initials}"


def _join_apa(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def chapter_apa(chapter: Chapter) -> str:
    book: Source = chapter.source
    authors = _join_apa([_apa_author(n) for n in _split_names(chapter.authors)])
    editors = _join_apa([_apa_editor(n) for n in _split_names(book.authors)])
    title = chapter.title or f"[Chapter {chapter.number}]"
    pages = f" (pp. {chapter.pages})" if chapter.pages else ""
    doi = f" {book.doi_url}" if book.doi else ""
    eds = "Eds." if len(_split_names(book.authors)) > 1 else "Ed."
    return (
        f"{authors} ({book.year}). {title}. In {editors} ({eds}), "
        f"{book.title}{pages}. {book.publisher}.{doi}"
    )


def _bibtex_escape(value: str) -> str:
    return re.sub(r"([{}&%$#_])", r"\\\1", value)


def chapter_bibtex(chapter: Chapter) -> str:
    book: Source = chapter.source
    first_author = _split_names(chapter.authors)[0].split()[-1] if chapter.authors else "anon"
    key = re.sub(r"[^A-Za-z0-9]", "", f"{first_author}{book.year}ch{chapter.number}")
    fields = [
        ("author", " and ".join(_split_names(chapter.authors))),
        ("title", chapter.title or f"Chapter {chapter.number}"),
        ("booktitle", book.title),
        ("editor", " and ".join(_split_names(book.authors))),
        ("publisher", book.publisher),
        ("series", book.series),
        ("year", str(book.year or "")),
        ("chapter", str(chapter.number)),
        ("pages", chapter.pages.replace("–", "--")),
        ("doi", book.doi),
    ]
    body = ",\n".join(f"  {k} = {{{_bibtex_escape(v)}}}" for k, v in fields if v)
    return f"@incollection{{{key},\n{body}\n}}"
