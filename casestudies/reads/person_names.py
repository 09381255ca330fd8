"""Authors' and editors' names as the sources write them, split the way citation styles need.

A name is a family name (with its particles: "De Rynck", "van der Meer") and,
where a source gives one, given names. A name list is "A, B & C" or "A and B";
"Brown et al." is one name that stands for more authors.
"""

import re
from dataclasses import dataclass, replace

# Particles that belong to the family name (Dutch, Flemish, German, French,
# Italian, Spanish, Portuguese). Compared case-insensitively: Flemish writes "De".
PARTICLES = frozenset(
    [
        "da",
        "das",
        "de",
        "del",
        "della",
        "der",
        "di",
        "do",
        "dos",
        "du",
        "la",
        "le",
        "op",
        "van",
        "von",
        "ten",
        "ter",
        "te",
        "zu",
        "zum",
        "zur",
        "'t",
    ]
)
ET_AL = re.compile(r"\s+et\s+al\.?$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:,|&|\band\b)\s*")


@dataclass(frozen=True)
class Name:
    family: str
    given: str = ""  # blank where no source gives it
    et_al: bool = False  # the source writes "<name> et al."

    @property
    def initials(self) -> str:
        """ "Victor" -> "V.", "Jean-Pierre" -> "J.-P.", "Anna Maria" -> "A. M."."""
        return " ".join(
            "-".join(f"{part[0]}." for part in word.split("-") if part)
            for word in self.given.split()
        )


def parse_name(text: str) -> Name:
    text = " ".join(text.split())
    et_al = bool(ET_AL.search(text))
    words = ET_AL.sub("", text).split()
    if not words:
        return Name(family="", et_al=et_al)
    start = len(words) - 1
    while start > 0 and words[start - 1].lower() in PARTICLES:
        start -= 1
    return Name(family=" ".join(words[start:]), given=" ".join(words[:start]), et_al=et_al)


def parse_names(names: str) -> list[Name]:
    """ "Pestoff, Brandsen & Verschuere" -> three names; blank parts are dropped."""
    return [parse_name(part) for part in _SEPARATORS.split(names) if part.strip()]


def with_known_given_names(names: list[Name], known: list[Name]) -> list[Name]:
    """Fill in given names that ``known`` holds for the same family name.

    Used with the book's editors: the introduction names a chapter's authors by
    surname, and when a chapter is by one of the editors the database already
    holds that editor's first name.
    """
    given: dict[str, str] = {}
    for n in known:
        if n.given:
            # Two known people with one family name: the surname alone cannot tell which.
            seen = given.setdefault(n.family.casefold(), n.given)
            given[n.family.casefold()] = seen if seen == n.given else ""
    return [n if n.given else replace(n, given=given.get(n.family.casefold(), "")) for n in names]
