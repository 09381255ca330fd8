"""What a rendered page says, for the language tests: its text nodes outside content.

Content is what the atlas stores, not what its interface says: elements with a
``lang`` attribute (case texts, English titles, fallback labels) and with
``translate="no"`` (names, codes, file names). Everything else is the page's
chrome, which must come from the message catalogues.
"""

import re
from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
}  # fmt: skip
# Names of formats, the same in every language.
UNTRANSLATABLE = {"CSV", "JSON", "ZIP", "APA", "BibTeX", "SHA-256"}
# Attributes a reader hears or sees as text.
TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-copy-label", "label"}
LETTERS = re.compile(r"[^\W\d_]{2,}")


class ChromeText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, inside content)
        self.texts: list[str] = []
        self.html_lang = None
        self.alternates: dict[str, str] = {}
        self._in_head = False

    @property
    def in_content(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"head", "body"}:
            self._in_head = tag == "head"
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "link" and attributes.get("rel") == "alternate":
            self.alternates[attributes.get("hreflang")] = attributes.get("href")
        content = (
            self.in_content
            or ("lang" in attributes and tag != "html")
            or attributes.get("translate") == "no"
            # The document's title names its content (a case's title) beside the site's.
            or (tag == "title" and self._in_head)
            or tag == "code"
        )
        if not content:
            for name in TEXT_ATTRIBUTES & attributes.keys():
                self._add(attributes[name] or "")
        if tag not in VOID:
            self.stack.append((tag, content))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] in {"script", "style"}:
            return
        if not self.in_content:
            self._add(data)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if LETTERS.search(text) and text not in UNTRANSLATABLE:
            self.texts.append(text)


def chrome(html: str) -> ChromeText:
    parser = ChromeText()
    parser.feed(html)
    return parser
