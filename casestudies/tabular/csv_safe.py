"""Spreadsheet safety: text cells that a spreadsheet would run as a formula.

Excel, LibreOffice and Google Sheets treat a cell beginning with ``=``, ``+``,
``-`` or ``@`` (and, in some versions, tab or carriage return) as a formula
("CSV injection"). Such text cells get a leading apostrophe; numbers are never
touched because they are written from integer columns, not through here.

The transformation is reversible so that export -> import loses nothing:
a value that already starts with an apostrophe followed by a trigger gets a
second one, and :func:`restore` strips exactly one.
"""

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"


def _needs_prefix(text: str) -> bool:
    if not text:
        return False
    if text.startswith(TRIGGERS):
        return True
    # "'=x" must survive a round trip, so it is escaped as "''=x".
    return text.startswith(PREFIX) and text.lstrip(PREFIX).startswith(TRIGGERS)


def neutralise(text: str) -> str:
    """The text as it should be written to a spreadsheet cell."""
    return PREFIX + text if _needs_prefix(text) else text


def restore(text: str) -> str:
    """The inverse of :func:`neutralise`, applied to every text cell on import."""
    if text.startswith(PREFIX) and text.lstrip(PREFIX).startswith(TRIGGERS):
        return text[1:]
    return text
