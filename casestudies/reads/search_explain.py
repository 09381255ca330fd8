"""Why a case matched: a highlighted snippet of its summary and the coded values that matched.

Matching here repeats the engine's own rules in Python on the few cases of one
page: the same folding (casestudies/reads/search_query.py) and the engine's stemmer
(Snowball English for PostgreSQL's ``english_stem``, Porter for SQLite's FTS5
``porter``), so what is highlighted is what was found. Text from the data is
escaped; the only markup is ours (``<mark>``).

The coded values: where the list's counts came from the worker's case index
(PostgreSQL, data unchanged since it was built), from there with no query: the
terms whose label or synonyms the search matches, found once per index and search,
then each case's membership of their bitmaps. Elsewhere (SQLite, a write moments
ago) one query reads the page's coded values. Either way a case lists them in one
order: by dimension (``search_index.coded_branches``), then by English label.
"""

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial

import snowballstemmer
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from pyroaring import BitMap

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
        self.algorithm = _ALGORITHMS.get(vendor, "english")
        stem = partial(_stem, self.algorithm)
        self.stem = stem
        self.phrases = [tuple(stem(w) for w in t.words) for t in search.positive_terms()]
        # A word of a phrase highlights on its own, except a fragment such as the
        # "co" of "co operative" (which would light up every co-something).
        self.stems = {
            s for phrase in self.phrases for s in phrase if len(phrase) == 1 or len(s) > 2
        }
        self._hits: dict[str, bool] = {}

    def _forms(self, token: str) -> list[str]:
        """A token's stems: joined (co-operative: cooper) and each of its parts."""
        folded = fold(token)
        parts = folded.split("-")
        forms = [self.stem(folded.replace("-", ""))]
        if len(parts) > 1:
            forms += [self.stem(p) for p in parts]
        return forms

    def hits(self, token: str) -> bool:
        # A page's summaries repeat their words: each is folded and stemmed once.
        hit = self._hits.get(token)
        if hit is None:
            hit = self._hits[token] = any(form in self.stems for form in self._forms(token))
        return hit

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


# One coded value of a case: (rank of its CodedBranch, label, slug, dimension name,
# vocabulary key); a case's values are listed in this order.
Coded = tuple[int, str, str, str, str]


def coded_labels(case_ids: list[int], connection) -> dict[int, list[tuple]]:
    """{case id: [(rank, dimension name, vocabulary key, slug, label, synonyms)]} for
    every coded value: one query."""
    from .search_index import coded_label_sql

    if not case_ids:
        return {}
    sql, params = coded_label_sql(case_ids)
    found: dict[int, list[tuple]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for case_id, rank, name, key, slug, label, synonyms in cursor.fetchall():
            found.setdefault(case_id, []).append((rank, name, key, slug, label, synonyms or ""))
    return found


def _matches_label(matcher: _Matcher, label: str, synonyms: str) -> bool:
    from ..models.search import split_variants

    return any(matcher.matches_text(t) for t in [label, *split_variants(synonyms)])


def _coded_by_query(cases, matcher: _Matcher, connection) -> dict[int, list[Coded]]:
    """Each case's coded values that the search matches, from the database (one query)."""
    labels = coded_labels([case.pk for case in cases], connection)
    # The same few labels come back for every case of a page: match each once.
    label_matches: dict[tuple[str, str], bool] = {}
    found = {}
    for case in cases:
        coded = set()
        for rank, name, key, slug, label, synonyms in labels.get(case.pk, []):
            if (label, synonyms) not in label_matches:
                label_matches[label, synonyms] = _matches_label(matcher, label, synonyms)
            if label_matches[label, synonyms]:
                coded.add((rank, label, slug, name, key))
        found[case.pk] = sorted(coded)
    return found


def _coded_in_index(cases, matcher: _Matcher, index) -> dict[int, list[Coded]] | None:
    """As ``_coded_by_query``, from the worker's case index (casestudies/reads/case_index.py)
    and the cases' own columns, with no query: the terms the search matches are found
    once per index and search, then each case's membership of their bitmaps. None when
    a case of the page is not in the index (not published) or the index does not hold
    a kind of coded value."""
    positions = {case.pk: index.position(case.pk) for case in cases}
    if None in positions.values():
        return None
    from .search_index import coded_branches

    names = [branch.name for branch in coded_branches()]  # in the page's language
    terms = index.remember(
        ("coded", matcher.algorithm, tuple(matcher.phrases)), lambda: _matched_terms(index, matcher)
    )
    if terms is None:
        return None
    found = {}
    for case in cases:
        found[case.pk] = [
            (rank, label, slug, names[rank], key)
            for (rank, label, slug, key), cases_of, column, pk in terms
            if (
                positions[case.pk] in cases_of
                if cases_of is not None
                else getattr(case, column) == pk
            )
        ]
    return found


def _matched_terms(index, matcher: _Matcher) -> list | None:
    """[((rank, label, slug, key), bitmap of its cases or None, case column, term pk)]:
    the terms whose label or synonyms the search matches, in the coded order. A term
    of a column of the case has no bitmap: the case's column says. None if a kind of
    coded value has no counterpart in the index."""
    from .search_index import coded_branches

    terms = []
    for rank, branch in enumerate(coded_branches()):
        if branch.via == "countries":  # the index's country terms: code and name
            param = _facet_params().get((branch.model, None))
            if param is None:
                return None
            terms += [
                ((rank, term.label, term.key, branch.key), term.cases, None, None)
                for term in index.terms[param]
                if matcher.matches_text(term.label)
            ]
            continue
        bitmaps = _bitmaps(index, branch)
        if bitmaps is False:
            return None
        for (key, pk), (slug, label, synonyms) in index.vocabulary.items():
            if key != branch.key or not _matches_label(matcher, label, synonyms or ""):
                continue
            coded = (rank, label, slug, branch.key)
            if bitmaps is None:
                terms.append((coded, None, branch.column, pk))
            elif pk in bitmaps:  # else no published case has it
                terms.append((coded, bitmaps[pk], None, None))
    return sorted(terms, key=lambda term: term[0])


def _facet_params() -> dict:
    """The case list's facet of each kind of coded value: {(term model, None) or
    ("country", column of the country): facet parameter}."""
    from ..facets.definitions import TERM_FACETS, CountryGroupFacet, ManyToManyFacet

    params = {}
    for facet in TERM_FACETS:
        if isinstance(facet, CountryGroupFacet):
            params["country", facet.country_field + "_id"] = facet.param
        elif isinstance(facet, ManyToManyFacet):
            params[facet.model, None] = facet.param
    return params


def _bitmaps(index, branch) -> dict | bool | None:
    """{term pk: its published cases} of a kind of coded value; None for a column of
    the case; False when the index does not hold it."""
    from ..models import Outcome

    if branch.via == "case":
        return None
    if branch.via == "outcome":
        # The index's outcome pairs are (dimension id, direction id).
        side = 0 if branch.column == Outcome._meta.get_field("dimension").column else 1
        bitmaps: dict = {}
        for pair, cases in index.by_pair.items():
            bitmaps[pair[side]] = bitmaps.get(pair[side], BitMap()) | cases
        return bitmaps
    key = ("country", branch.column) if branch.via == "country" else (branch.model, None)
    param = _facet_params().get(key)
    return False if param is None else index.by_pk[param]


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


def explain(cases, search: Search | None, connection, index=None) -> dict[int, Match]:
    """{case id: Match} for the cases of a page. Their coded values come from ``index``
    (the worker's case index, when the list's counts came from it: no query), else
    from one query on ``connection``, where they were read."""
    if search is None or not search.clauses:
        return {}
    matcher = _Matcher(search, connection.vendor)
    coded = _coded_in_index(cases, matcher, index) if index is not None else None
    if coded is None:
        coded = _coded_by_query(cases, matcher, connection)
    chapters: dict[int, bool] = {}
    matches = {}
    for case in cases:
        match = Match(snippet=snippet(case.summary, matcher))
        # The search reads the English labels and synonyms; the line shows the page's
        # language.
        for _rank, label, slug, name, key in coded.get(case.pk, []):
            shown = _shown(name, key, slug, label)
            if shown not in match.coded:
                match.coded.append(shown)
        chapter = case.chapter
        if chapter.pk not in chapters:
            chapters[chapter.pk] = matcher.matches_text(f"{chapter.authors} {chapter.title}")
        match.chapter = chapters[chapter.pk]
        matches[case.pk] = match
    return matches
