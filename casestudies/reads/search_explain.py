"""Why a case matched: a highlighted snippet of its summary and the coded values that matched.

Matching here repeats the engine's own rules in Python on the few cases of one
page: the same folding (casestudies/reads/search_query.py) and the engine's stemmer
(Snowball English for PostgreSQL's ``english_stem``, Porter for SQLite's FTS5
``porter``), so what is highlighted is what was found. Text from the data is
escaped; the only markup is ours (``<mark>``).
"""

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial

import snowballstemmer
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .search_query import Search, fold

SNIPPET_WORDS = 30
_TOKEN = re.compile(r"\w+(?:-\w+)*")
_ALGORITHMS = {"postgresql": "english", "sqlite": "porter"}


@lru_cache(maxsize=100_000)
def _stem(algorithm: str, word: str) -> str:
    # Pure-Python Snowball is slow (~0.3 ms a word); a page's words repeat across
    # requests, so the process remembers them.
    return _stemmers(algorithm).stemWord(word)


@cache
def _stemmers(algorithm: str):
    return snowballstemmer.stemmer(algorithm)


@dataclass
class Match:
    """What the list shows under a found case."""

    snippet: SafeString | None = None
    # "Belgium (country)" in the page's language; an untranslated label is marked.
    coded: list[SafeString] = field(default_factory=list)
    chapter: bool = False  # the chapter's authors or title matched


class _Matcher:
    def __init__(self, search: Search, vendor: str):
        stem = partial(_stem, _ALGORITHMS.get(vendor, "english"))
        self.stem = stem
        self.phrases = [tuple(stem(w) for w in t.words) for t in search.positive_terms()]
        # A word of a phrase highlights on its own, except a fragment such as the
        # "co" of "co operative" (which would light up every co-something).
        self.stems = {
            s for phrase in self.phrases for s in phrase if len(phrase) == 1 or len(s) > 2
        }

    def _forms(self, token: str) -> list[str]:
        """A token's stems: joined (co-operative: cooper) and each of its parts."""
        folded = fold(token)
        parts = folded.split("-")
        forms = [self.stem(folded.replace("-", ""))]
        if len(parts) > 1:
            forms += [self.stem(p) for p in parts]
        return forms

    def hits(self, token: str) -> bool:
        return any(form in self.stems for form in self._forms(token))

    def matches_text(self, text: str) -> bool:
        """Some positive term (a phrase: in order) occurs in ``text``."""
        split, joined = [], []
        for token in _TOKEN.findall(text):
            forms = self._forms(token)
            joined.append(forms[0])
            split.extend(forms[1:] or forms[:1])
        return any(_contains(seq, phrase) for phrase in self.phrases for seq in (split, joined))


def _contains(seq: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(tuple(seq[i : i + n]) == phrase for i in range(len(seq) - n + 1))


def snippet(text: str, matcher: _Matcher) -> SafeString | None:
    """Up to SNIPPET_WORDS words of ``text`` around its most matches, hits in <mark>."""
    tokens = list(_TOKEN.finditer(text))
    hit = [matcher.hits(t.group()) for t in tokens]
    if not any(hit):
        return None
    best = max(
        range(max(1, len(tokens) - SNIPPET_WORDS + 1)),
        key=lambda i: (sum(hit[i : i + SNIPPET_WORDS]), -i),
    )
    window = range(best, min(len(tokens), best + SNIPPET_WORDS))
    start = tokens[window.start].start() if best else 0
    end = tokens[window[-1]].end() if window[-1] < len(tokens) - 1 else len(text)
    pieces = ["… " if start else ""]
    position = start
    for i in window:
        token = tokens[i]
        pieces.append(escape(text[position : token.start()]))
        word = escape(token.group())
        pieces.append(f"<mark>{word}</mark>" if hit[i] else word)
        position = token.end()
    pieces.append(escape(text[position:end]))
    if end < len(text):
        pieces.append(" …")
    return mark_safe("".join(pieces))


def coded_labels(case_ids: list[int], connection) -> dict[int, list[tuple[str, ...]]]:
    """{case id: [(dimension name, vocabulary key, slug, label, synonyms)]} for every
    coded value: one query."""
    from .search_index import coded_label_sql

    if not case_ids:
        return {}
    sql, params = coded_label_sql(case_ids)
    found: dict[int, list[tuple[str, ...]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for case_id, name, key, slug, label, synonyms in cursor.fetchall():
            found.setdefault(case_id, []).append((name, key, slug, label, synonyms or ""))
    return found


def _shown(name: str, key: str, slug: str, label: str) -> SafeString:
    """ "Label (dimension)" in the page's language: a country's name from the ISO
    catalogues, a term's label from its translation (cached, no query), else the
    English label marked as such, as everywhere on the site."""
    from ..models import VOCABULARIES, country_name, in_sentence, term_label

    if key == "country":
        text, fallback = country_name(slug, label), False
    else:
        model = next(m for m in VOCABULARIES if m.vocabulary_key == key)
        localized = term_label(model, slug, label)
        text, fallback = localized.text, localized.is_fallback
    if fallback:
        return format_html(
            '<span lang="en">{}</span> <span class="fallback-mark">{}</span> ({})',
            text,
            gettext("(in English)"),
            in_sentence(name),
        )
    return format_html("{} ({})", text, in_sentence(name))


def explain(cases, search: Search | None, connection) -> dict[int, Match]:
    """{case id: Match} for the cases of a page (one query on ``connection``, where they
    were read, for their coded values)."""
    if search is None or not search.clauses:
        return {}
    from ..models.search import split_variants

    matcher = _Matcher(search, connection.vendor)
    labels = coded_labels([case.pk for case in cases], connection)
    matches = {}
    # The same few labels come back for every case of a page: match each once. The
    # search reads the English labels and synonyms; the line shows the page's language.
    label_matches: dict[tuple[str, str], bool] = {}
    for case in cases:
        match = Match(snippet=snippet(case.summary, matcher))
        for name, key, slug, label, synonyms in labels.get(case.pk, []):
            if (label, synonyms) not in label_matches:
                texts = [label, *split_variants(synonyms)]
                label_matches[label, synonyms] = any(matcher.matches_text(t) for t in texts)
            if not label_matches[label, synonyms]:
                continue
            shown = _shown(name, key, slug, label)
            if shown not in match.coded:
                match.coded.append(shown)
        chapter = case.chapter
        match.chapter = matcher.matches_text(f"{chapter.authors} {chapter.title}")
        matches[case.pk] = match
    return matches
