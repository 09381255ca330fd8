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
