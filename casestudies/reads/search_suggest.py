# ruff: noqa: S608 -- SQL built from model metadata; values travel as parameters.
""" "Did you mean …": the closest spelling among the words the search indexes.

Only for a search that found nothing. The candidate words are those of the
published cases' text and of everything they can be found by (vocabulary labels
and synonyms, country names, chapters, spelling variants), folded (lower case,
no accents). PostgreSQL picks the most similar by trigrams (``pg_trgm``'s
``similarity``, above its 0.3 threshold); SQLite by edit distance (at most one
edit per three letters). A word that is itself a candidate is kept as typed.
The suggestion is offered only when it finds cases under the same filters.
"""

import re

from django.db import connection as default_connection

from .search_query import fold

MAX_WORDS = 6  # a query's first words looked at
_SPLIT = re.compile(r"[^\w]+")
_QUERY_WORD = re.compile(r"\w+")


def _text_sources():
    """(model, fields, published only) whose text holds the candidate words."""
    from ..models import VOCABULARIES, Case, Chapter, Country, SearchSynonym

    yield Case, ["title", "summary", "locality", "participants"], True
    yield Chapter, ["authors", "title"], False
    yield Country, ["name"], False
    yield SearchSynonym, ["variants"], False
    for vocabulary in VOCABULARIES:
        yield vocabulary, ["label", "synonyms"], False


def _pg_closest(words: list[str], connection) -> dict[str, str]:
    branches = []
    qn = connection.ops.quote_name
    for model, fields, published in _text_sources():
        text = " || ' ' || ".join(f"coalesce({qn(f)}, '')" for f in fields)
        where = " WHERE status = 'published'" if published else ""
        branches.append(f"SELECT {text} AS t FROM {qn(model._meta.db_table)}{where}")
    sql = f"""
        WITH candidates AS MATERIALIZED (
          SELECT DISTINCT w FROM (
            SELECT regexp_split_to_table(lower(unaccent(t)), '[^[:alnum:]_]+') AS w
            FROM ({" UNION ALL ".join(branches)}) texts
          ) split WHERE length(w) > 2
        )
        SELECT q.w, (SELECT c.w FROM candidates c WHERE c.w %% q.w
                     ORDER BY similarity(c.w, q.w) DESC, c.w LIMIT 1)
        FROM unnest(%s::text[]) AS q(w)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [words])
        return {word: best for word, best in cursor.fetchall() if best}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _candidate_words() -> set[str]:
    words = set()
    for model, fields, published in _text_sources():
        rows = model.objects.published() if published else model.objects.all()
        for values in rows.values_list(*fields):
            for value in values:
                words.update(w for w in _SPLIT.split(fold(value or "")) if len(w) > 2)
    return words


def _edit_closest(words: list[str]) -> dict[str, str]:
    candidates = _candidate_words()
    closest = {}
    for word in words:
        if word in candidates:
            closest[word] = word
            continue
        limit = max(1, len(word) // 3)
        scored = [
            (d, c)
            for c in candidates
            if abs(len(c) - len(word)) <= limit and (d := edit_distance(word, c)) <= limit
        ]
        if scored:
            closest[word] = min(scored)[1]
    return closest


def closest_words(words: list[str], connection=None) -> dict[str, str]:
    """{word: the closest candidate word} for the words that have one."""
    connection = connection or default_connection
    if not words:
        return {}
    if connection.vendor == "postgresql":
        return _pg_closest(words, connection)
    return _edit_closest(words)


def corrected_text(text: str, connection=None) -> str | None:
    """``text`` with its words replaced by their closest spelling, or None if none changes."""
    typed = list(dict.fromkeys(fold(w) for w in _QUERY_WORD.findall(text) if w.lower() != "or"))
    closest = closest_words(typed[:MAX_WORDS], connection)
    changed = {w: c for w, c in closest.items() if c != w}
    if not changed:
        return None
    return _QUERY_WORD.sub(lambda m: changed.get(fold(m.group()), m.group()), text)


def suggestion(query) -> dict | None:
    """For an empty list with a search: {"q": the suggested search, "query": its URL query}.

    None when no word has a closer spelling, or when the suggestion finds nothing
    under the same filters either.
    """
    from ..facets import CaseQuery

    if not query.q:
        return None
    text = corrected_text(query.q, query.db)
    if text is None:
        return None
    params = query.params.copy()
    params["q"] = text
    if not CaseQuery(params).filtered.exists():
        return None
    return {"q": text, "query": params.urlencode()}
