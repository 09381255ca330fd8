# ruff: noqa: S608 -- the SQL wrapped here is the ORM's own, compiled with its parameters.
"""A search's hits for the case index: the cases the words alone match, grouped by rank.

One query finds them (``find``): the search's queryset, its rank, grouped by equal
rank (a few groups for a word, ~1,000 for two words at 100,000 cases), as positions
of the case index. From them the list counts every facet and pages in relevance
order for any filters (``case_index.page_in``): the same words on another page or
with another filter need no query. Each worker keeps the hits of its recent
searches with its index (``CaseIndex.search_cache``); where counts are cached
(production), the hits also go to the shared cache under the index's data stamp,
so the other workers read them back (~1 ms) rather than query (~60-70 ms for a
word most of 100,000 cases have: the query reads every matching row).
"""

import hashlib

from .. import datastamp
from ..reads import case_index


def find(db, index, sql: str, params, ranked: bool) -> "case_index.Hits | None":
    """The hits of the search whose (ranked) queryset compiles to ``sql``; None
    where a case it matches is not in ``index`` (published since it was built)."""
    key = None
    if datastamp.timeout() and index.stamp is not None:
        digest = hashlib.sha256(repr((sql, tuple(params))).encode()).hexdigest()[:32]
        key = f"atlas:search-hits:{index.stamp}:{digest}"
        shared = datastamp.get_many([key]).get(key)
        if shared is not None:
            return case_index.Hits.from_shared(shared)
    hits = _query(db, index, sql, params, ranked)
    if key is not None and hits is not None:
        datastamp.set_many({key: hits.to_shared()})
    return hits


def _query(db, index, sql: str, params, ranked: bool) -> "case_index.Hits | None":
    with db.cursor() as cursor:
        if not ranked:
            cursor.execute(f"SELECT array_agg(s.id) FROM ({sql}) s(id)", params)
            cases = index.cases_of(cursor.fetchone()[0] or [])
            return None if cases is None else case_index.Hits(cases)
        # Grouping by the few distinct ranks costs ~10 ms more than listing the ids
        # (100,000 matches); ranking them again for each page cost ~45.
        cursor.execute(f"SELECT s.r, array_agg(s.id) FROM ({sql}) s(id, r) GROUP BY s.r", params)
        groups = sorted(cursor.fetchall(), key=lambda row: row[0], reverse=True)
    by_rank = [index.cases_of(ids) for _, ids in groups]
    if any(group is None for group in by_rank):
        return None
    return case_index.Hits.ranked(by_rank)
