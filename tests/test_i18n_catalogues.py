"""The message catalogues: complete in every shipped language, compiled, and used.

A shipped language with an untranslated or fuzzy message fails here, as does a
committed .mo file that no longer matches its .po (the site reads the .mo), and a
template that holds user-facing text outside {% translate %}/{% blocktranslate %}.
"""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
SHIPPED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalogue = _catalogue(language)
    assert len(catalogue) > 300  # the real catalogue, not an empty file
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    obsolete = [entry.msgid for entry in catalogue.obsolete_entries()]
    assert untranslated == [], f"{language}: untranslated {untranslated[:5]}"
    assert fuzzy == [], f"{language}: fuzzy {fuzzy[:5]}"
    assert obsolete == [], f"{language}: obsolete {obsolete[:5]}"


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_every_placeholder(language):
    """A dropped %(name)s loses a number; an extra one raises KeyError on the page."""
    problems = []
    for entry in _catalogue(language).translated_entries():
        pairs = [(entry.msgid, entry.msgstr)] if not entry.msgid_plural else [
            (entry.msgid, entry.msgstr_plural[0]),
            (entry.msgid_plural, entry.msgstr_plural[1]),
        ]  # fmt: skip
        for index, (source, translated) in enumerate(pairs):
            expected = set(PLACEHOLDER.findall(source))
            found = set(PLACEHOLDER.findall(translated))
            if entry.msgid_plural and index == 0:
                # A singular may say "one case" instead of "%(counter)s cases".
                expected.discard("%(counter)s")
                found.discard("%(counter)s")
            if expected != found:
                problems.append((language, source[:60], sorted(expected ^ found)))
    assert problems == []


def _messages(entries) -> dict:
    messages = {}
    for entry in entries:
        key = (entry.msgctxt, entry.msgid)
        messages[key] = dict(entry.msgstr_plural) if entry.msgid_plural else entry.msgstr
    return messages


@pytest.mark.parametrize("language", SHIPPED)
def test_compiled_catalogue_matches_its_source(language):
    """The committed .mo (what Django reads) holds exactly the .po's translations."""
    directory = ROOT / "locale" / language / "LC_MESSAGES"
    source = _messages(e for e in polib.pofile(str(directory / "django.po")) if e.translated())
    compiled = _messages(e for e in polib.mofile(str(directory / "django.mo")) if e.msgid)
    assert compiled == source, (
        f"locale/{language}/LC_MESSAGES/django.mo is stale: run manage.py compilemessages"
    )


# Where makemessages looks for messages (docs/languages.md).
SOURCES = ["casestudies", "config", "templates"]


def test_catalogues_hold_every_marked_message(tmp_path, settings, monkeypatch):
    """makemessages run afresh finds no message the committed catalogues lack (or keep).

    It runs on a copy of the sources: in the project it would write into locale/.
    """
    assert shutil.which("xgettext"), "GNU gettext is needed (apt-get install gettext)"
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.json"))
    settings.LOCALE_PATHS = [tmp_path / "catalogue"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["de"], verbosity=0)
    made = polib.pofile(str(tmp_path / "catalogue" / "de" / "LC_MESSAGES" / "django.po"))
    fresh = {(entry.msgctxt, entry.msgid) for entry in made}
    for language in SHIPPED:
        committed = {(entry.msgctxt, entry.msgid) for entry in _catalogue(language)}
        assert fresh - committed == set(), f"{language}: not in the catalogue (makemessages)"
        assert committed - fresh == set(), f"{language}: no longer in the sources"


# --- Templates hold no user-facing text outside the translation tags -------------

# Words that are the same in every language: formats and names, not sentences.
UNTRANSLATABLE = {"CSV", "JSON", "ZIP", "APA", "BibTeX", "SHA-256", "n"}
TEXT_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-copy-label", "label"}
LETTERS = re.compile(r"[^\W\d_]+")
HOLE = "\ue000"  # stands for any template tag or variable


def _skeleton(source: str) -> str:
    """The template's HTML with its tags and variables replaced, and its translated
    texts and comments dropped."""
    parts = []
    depth = 0  # inside {% blocktranslate %} or {% comment %}
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in {"blocktranslate", "blocktrans", "comment"}:
                depth += 1
            elif name in {"endblocktranslate", "endblocktrans", "endcomment"}:
                depth -= 1
            parts.append(HOLE)
        elif token.token_type == TokenType.TEXT and depth == 0:
            parts.append(token.contents)
        elif token.token_type != TokenType.TEXT:
            parts.append(HOLE)
    return "".join(parts)


class UnmarkedText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.exempt: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # Content in its own language (lang) or never translated (names, codes).
        exempt = (
            (self.exempt and self.exempt[-1])
            or attributes.get("translate") == "no"
            or ("lang" in attributes and tag != "html")
        )
        if not exempt:
            for name in TEXT_ATTRIBUTES & attributes.keys():
                self._check(attributes[name] or "")
            if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
                self._check(attributes.get("value") or "")
        if tag not in {"meta", "link", "input", "br", "img", "hr", "source", "wbr", "col"}:
            self.exempt.append(bool(exempt) or tag in {"script", "style", "code"})

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in {"meta", "link", "input", "br", "img", "hr", "source", "wbr", "col"}:
            self.exempt.pop()

    def handle_endtag(self, tag):
        if self.exempt:
            self.exempt.pop()

    def handle_data(self, data):
        if not (self.exempt and self.exempt[-1]):
            self._check(data)

    def _check(self, text: str) -> None:
        words = [w for w in LETTERS.findall(text.replace(HOLE, " ")) if w not in UNTRANSLATABLE]
        if words:
            self.found.append(" ".join(text.replace(HOLE, "…").split()))


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_the_template_scan_finds_templates_and_unmarked_text():
    assert len(TEMPLATES) > 30
    finder = UnmarkedText()
    finder.feed(_skeleton('<p title="Tip">{% translate "Fine" %} Not fine</p>'))
    assert finder.found == ["Tip", "… Not fine"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_marked_for_translation(path):
    finder = UnmarkedText()
    finder.feed(_skeleton(path.read_text(encoding="utf-8")))
    assert finder.found == [], (
        f"{path.relative_to(ROOT)}: text outside translate tags: {finder.found}"
    )
