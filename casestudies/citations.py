"""Ready-made citations of a chapter of the book (APA 7 and BibTeX).

Only what the database holds goes in: a chapter without a recorded title is
cited as "[Chapter N]" rather than with an invented title.
"""

import re

from .models import Chapter, Source

ET_AL = re.compile(r"\s+et\s+al\.?$")


def _split_names(names: str) -> list[str]:
    """ "A, B & C" -> ["A", "B", "C"]; "Brown et al." stays one name, marked by "et al."."""
    parts = re.split(r"\s*(?:,|&|\band\b)\s*", names)
    return [p.strip() for p in parts if p.strip()]


def _has_et_al(name: str) -> bool:
    return bool(ET_AL.search(name))


def _apa_editor(name: str) -> str:
    # "Victor Pestoff" -> "V. Pestoff"
    bits = name.split()
    if len(bits) < 2:
        return name
    initials = " ".join(f"{b[0]}." for b in bits[:-1])
    return f"{initials} {bits[-1]}"


def _apa_author(name: str) -> str:
    # "Diederik Vancoppenolle" -> "Vancoppenolle, D."; a bare surname (or "Brown et al.")
    # stays as it is: the source gives no initials to invert.
    if _has_et_al(name):
        return name
    bits = name.split()
    if len(bits) < 2:
        return name
    initials = " ".join(f"{b[0]}." for b in bits[:-1])
    return f"{bits[-1]}, {initials}"


def _join_apa(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    # APA's serial comma before "&" belongs to inverted names ("Vamstad, J., & …");
    # two bare surnames read "Ewert & Evers".
    if len(names) == 2 and "," not in names[0]:
        return f"{names[0]} & {names[1]}"
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _bibtex_names(names: str) -> str:
    # BibTeX spells "et al." as "and others".
    parts = []
    for name in _split_names(names):
        if _has_et_al(name):
            parts.extend([ET_AL.sub("", name), "others"])
        else:
            parts.append(name)
    return " and ".join(parts)


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
    first_name = _split_names(chapter.authors)[0] if chapter.authors else "anon"
    first_author = ET_AL.sub("", first_name).split()[-1]
    key = re.sub(r"[^A-Za-z0-9]", "", f"{first_author}{book.year}ch{chapter.number}")
    fields = [
        ("author", _bibtex_names(chapter.authors)),
        ("title", chapter.title or f"Chapter {chapter.number}"),
        ("booktitle", book.title),
        ("editor", _bibtex_names(book.authors)),
        ("publisher", book.publisher),
        ("series", book.series),
        ("year", str(book.year or "")),
        ("chapter", str(chapter.number)),
        ("pages", chapter.pages.replace("–", "--")),
        ("doi", book.doi),
    ]
    body = ",\n".join(f"  {k} = {{{_bibtex_escape(v)}}}" for k, v in fields if v)
    return f"@incollection{{{key},\n{body}\n}}"
