"""Writing BibTeX safely: field values that cannot break out of their braces.

BibTeX counts braces without regard to backslashes, so LaTeX's ``\\{`` would
still open a group: a title ``Evil}, url = {…}`` could close its field and
forge others. Braces and the backslash are therefore written as the text
commands ``\\textbraceleft{}``, ``\\textbraceright{}`` and ``\\textbackslash{}``,
which are balanced; LaTeX's other special characters get their usual escapes.
Line breaks and other control characters become spaces (an entry is one
record; a value never needs them).
"""

import re
import unicodedata
from urllib.parse import quote

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _SPECIAL))
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def escape(value: str) -> str:
    """A value's text as BibTeX/LaTeX that shows exactly that text."""
    value = " ".join(_CONTROL_RE.sub(" ", value).split())
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], value)


def url_value(url: str) -> str:
    """A URL for a ``url`` field, which styles print verbatim (so no LaTeX escapes).

    Characters that could break the field (braces, backslash, spaces, quotes) are
    percent-encoded, which leaves the URL equivalent; existing ``%XX`` escapes are
    kept as they are (``%`` is safe: encoding it again would change the URL).
    """
    url = _CONTROL_RE.sub("", url)
    return quote(url, safe=":/?=&;,@!$'()*+-._~[]%#")


def key_part(text: str) -> str:
    """ASCII letters and digits only ("Löffler" -> "Loffler", "De Rynck" -> "DeRynck")."""
    return re.sub(r"[^A-Za-z0-9]", "", _ascii(text))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def entry(kind: str, key: str, fields: list[tuple[str, str]], *, raw: frozenset = frozenset()):
    """An entry; empty fields are left out. Fields named in ``raw`` are already BibTeX."""
    lines = []
    for name, value in fields:
        if not value:
            continue
        text = value if name in raw else escape(value)
        lines.append(f"  {name} = {{{text}}}")
    body = ",\n".join(lines)
    safe_key = re.sub(r"[^A-Za-z0-9:._-]", "", _ascii(key)) or "entry"
    return f"@{kind}{{{safe_key},\n{body}\n}}"
