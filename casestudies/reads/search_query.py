"""What a visitor typed, read as a search: words, phrases, ``or``, ``-word``, spelling folded.

The syntax (one line on the list page): several words must all match (ranked;
when no case has them all, cases with any of them are shown, ranked, and the
page says so); ``"a phrase"`` matches words in that order; ``a or b`` either;
``-word`` / ``-"a phrase"`` excludes.

Folding, the same as the index applies to the cases' text (casestudies/reads/search_index.py):
case and accents (Québec = quebec); a hyphenated word matches its parts and the
joined word (co-operative = "co operative" = cooperative; the index holds both
forms of the cases' hyphenated words). The engines stem (police = policing).
Everything else comes from data: a term or phrase that is one of a
:class:`~casestudies.models.SearchSynonym`'s variants matches any of them
(childcare = "child care", neighbourhood = neighborhood).

Pure Python: no query runs here. ``search_cases`` (casestudies/reads/search.py) turns a
:class:`Search` into each engine's query.
"""

import re
import unicodedata
from dataclasses import dataclass, field, replace

import snowballstemmer

from ..models.search import split_variants

# A hyphen between two word characters joins them (co-operative -> cooperative), in
# the index and in the query alike; any other hyphen is a separator.
_INNER_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Longest synonym variant, in words, looked for in the query.
MAX_VARIANT_WORDS = 4
_stem = snowballstemmer.stemmer("english").stemWord


def fold(text: str) -> str:
    """Lower case, accents removed: how both the index and the query see text."""
    if text.isascii():  # nothing to decompose (most text): the same, much sooner
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words_of(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, a hyphenated word joined (co-operative: cooperative)."""
    return tuple(_WORD.findall(_INNER_HYPHEN.sub("", fold(text))))


def split_words_of(text: str) -> tuple[str, ...]:
    """The folded words of ``text``, a hyphenated word split (co-operative: co operative)."""
    return tuple(_WORD.findall(fold(text)))


def stems_of(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words' English stems: how variants are compared (time banks = time bank)."""
    return tuple(_stem(w) for w in words)


@dataclass(frozen=True)
class Term:
    """A word or a phrase (words in this order), folded."""

    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Clause:
    """Alternatives: a case satisfies the clause when it matches any of them."""

    alternatives: tuple[Term, ...]

    def with_alternatives(self, more) -> "Clause":
        merged = list(self.alternatives)
        merged.extend(t for t in more if t not in merged)
        return Clause(tuple(merged))


@dataclass(frozen=True)
class Search:
    """A parsed search: clauses that must all match (or any, see ``any_of``), and exclusions."""

    clauses: tuple[Clause, ...] = ()
    excluded: tuple[Clause, ...] = ()
    # Set when no case matches every clause: the fallback to cases matching any.
    any_of: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.clauses and not self.excluded

    @property
    def can_fall_back(self) -> bool:
        return len(self.clauses) > 1 and not self.any_of

    def falling_back(self) -> "Search":
        return replace(self, any_of=True)

    def positive_terms(self) -> list[Term]:
        return [t for clause in self.clauses for t in clause.alternatives]


@dataclass
class Synonyms:
    """Variant sets, looked up by the stems of a variant's words."""

    by_stems: dict[tuple[str, ...], tuple[Term, ...]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows) -> "Synonyms":
        """``rows``: each the comma-separated variants of one SearchSynonym."""
        synonyms = cls()
        for text in rows:
            terms = []
            for variant in split_variants(text):
                words = words_of(variant)
                if words and Term(words) not in terms:
                    terms.append(Term(words))
            for term in terms:
                key = stems_of(term.words)
                known = synonyms.by_stems.get(key, ())
                synonyms.by_stems[key] = known + tuple(t for t in terms if t not in known)
        return synonyms

    def variants(self, words: tuple[str, ...]) -> tuple[Term, ...]:
        """Every variant of ``words`` (itself first), or just itself."""
        term = Term(words)
        found = self.by_stems.get(stems_of(words), ())
        return (term, *(t for t in found if t != term))


@dataclass
class _Token:
    words: tuple[str, ...]
    split: tuple[str, ...]  # the words with hyphenated ones split, if any
    negated: bool = False
    quoted: bool = False
    or_before: bool = False  # joined to the previous token by "or"


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated_phrase, phrase, bare = match.groups()
        negated, quoted = bool(negated_phrase), phrase is not None
        raw = phrase if quoted else bare
        if not quoted and bare.lower() == "or":
            pending_or = bool(tokens)
            continue
        if not quoted and bare.startswith("-") and len(bare) > 1:
            negated, raw = True, bare[1:]
        words = words_of(raw)
        if not words:
            continue
        split = split_words_of(raw)
        tokens.append(_Token(words, split, negated, quoted, pending_or and not negated))
        pending_or = False
    return tokens


def parse(text: str, synonyms: Synonyms | None = None) -> Search:
    """Read ``text`` (see the module's docstring) with ``synonyms`` expanding it."""
    synonyms = synonyms or Synonyms()
    tokens = _tokens(text)
    clauses: list[Clause] = []
    excluded: list[Clause] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        span, words = _longest_variant(tokens, i, synonyms)
        alternatives = synonyms.variants(words)
        if span == 1 and token.split != token.words:
            # "state-owned" is also "state owned" in a text that wrote it apart.
            alternatives += (Term(token.split),)
        if token.negated:
            excluded.append(Clause(alternatives))
        elif token.or_before and clauses:
            clauses[-1] = clauses[-1].with_alternatives(alternatives)
        else:
            clauses.append(Clause(alternatives))
        i += span
    return Search(tuple(clauses), tuple(excluded))


def _longest_variant(tokens: list[_Token], start: int, synonyms: Synonyms):
    """(tokens used, words): the longest run of plain words from ``start`` that is a variant.

    Plain: unquoted, not negated, not joined by ``or``: "child care" typed as two
    words is the variant "child care" of childcare. Otherwise the token alone.
    """
    first = tokens[start]
    if first.quoted or first.negated:
        return 1, first.words
    words: tuple[str, ...] = ()
    best = (1, first.words)
    for end in range(start, len(tokens)):
        token = tokens[end]
        if end > start and (token.quoted or token.negated or token.or_before):
            break
        words += token.words
        if len(words) > MAX_VARIANT_WORDS:
            break
        if end > start and stems_of(words) in synonyms.by_stems:
            best = (end - start + 1, words)
    return best
