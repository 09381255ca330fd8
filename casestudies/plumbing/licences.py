"""The licences the atlas is published under: one place for the footer, the
extracts' README and datapackage.json, and the releases.

The code (this repository) is MIT-licensed, as pyproject.toml and LICENSE say.
The coded data (the cases' codes, places, periods, summaries and notes) is
published under CC BY 4.0 (DATA-LICENCE.md): reuse it freely, with attribution.
The summaries are the atlas's own paraphrases of the book's text, not quotations;
the book itself remains under its publisher's copyright.
"""

DATA_LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
CODE_LICENCE = {"name": "MIT", "title": "MIT License", "path": "https://opensource.org/license/mit"}

SUMMARIES_NOTE = (
    "Case and chapter summaries paraphrase Pestoff, Brandsen & Verschuere (Eds.) (2012) "
    "in the atlas's own words; they are not quotations, and the book remains under its "
    "publisher's copyright."
)


def readme_lines() -> list[str]:
    """The licence section of a README (extracts and releases)."""
    return [
        "Licence",
        "-------",
        f"The data: {DATA_LICENCE['title']} ({DATA_LICENCE['name']}),",
        f"  {DATA_LICENCE['path']}",
        "  Reuse it freely; cite the atlas (below) as the attribution.",
        *_wrapped(SUMMARIES_NOTE),
        "",
    ]


def _wrapped(text: str, width: int = 78) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines
