"""Path converters that refuse values the database could not store.

A chapter number is a small integer; a 30-digit number in a URL must be a 404,
not an overflow error from the database driver (a 500).
"""

SMALLINT_MAX = 32767


class ChapterNumberConverter:
    regex = "[0-9]{1,5}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > SMALLINT_MAX:
            raise ValueError("chapter number out of range")  # the resolver then 404s
        return number

    def to_url(self, value) -> str:
        return str(int(value))


class VersionConverter:
    """A release version: 1 to 3 numbers of at most 4 digits ("1.0", "2.1.3")."""

    regex = "[0-9]{1,4}(?:\\.[0-9]{1,4}){0,2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class ReleaseFileConverter:
    """The name of one of a release's files (the view checks it is one)."""

    regex = "(?:cases|outcomes)\\.(?:csv|json)|datapackage\\.json|README\\.txt"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)
