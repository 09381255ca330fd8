"""What related cases need, held in memory: published cases in title order, per term.

Choosing a case's related cases in SQL meant, for every case page, counting shared
policy fields over every case of every other chapter (a hash of ~90,000 country
links, 50–260 ms at 100,000 cases). Here each worker keeps, per data stamp:

- the published cases in the order the related lists show them (title, then pk):
  a case's *position* is its rank in that order;
- per policy field, per country and per chapter, a bitmap (pyroaring) of the
  positions of the published cases that have it.

A related list is then a few bitmap operations and the first positions of the
result, with no query (:meth:`RelatedIndex.choose`: median 0.2 ms at 100,000 cases).

Staleness: the index is built under the data stamp (casestudies/datastamp.py),
which statement-level triggers on the cases, their links, the chapters and the
countries bump inside every writing transaction. Each use reads the stamp (one
primary-key look-up) and rebuilds when it changed, so a list is never older than
the last committed write; a worker rebuilds at most once per ``MIN_REBUILD_SECONDS``,
and in between (writes in quick succession) the caller chooses in SQL. Built inside
a transaction (which may yet roll back, and with it the stamp), an index is used once
and not kept. SQLite has no stamp: there :func:`current` gives None and the caller
runs its SQL.

Cost at 100,000 published cases (docs/performance.md): one query to build, 3.3 MB of
Python objects per worker; 3–8 s of wall time measured on 2 cores shared with a load
average of 8–10 (the query alone 1.8 s there).
"""

import threading
import time
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from itertools import islice

from django.db import connections
from pyroaring import BitMap

from ..datastamp import STAMP_TABLE
from ..models import Case, CaseStatus


@dataclass(frozen=True)
class Chosen:
    """The pks of a case's related cases, in the order the page lists them."""

    same_field: list[int]
    same_chapter: list[int]
    same_chapter_total: int


class RelatedIndex:
    def __init__(self, pks, sorted_pks, positions, terms: dict, *, stamp=None, build_ms=0.0):
        """``pks``: the case at each position; ``sorted_pks`` and ``positions``: each
        pk in pk order and its position; ``terms``: for "chapter", "field" and
        "country", each term's positions."""
        self.stamp, self.build_ms = stamp, build_ms
        self.built_at = time.monotonic()
        self.pks = array("q", pks)
        self._sorted_pks, self._positions = array("q", sorted_pks), array("q", positions)
        self.chapters, self.fields, self.countries = (
            {term: BitMap(found) for term, found in terms[kind].items()}
            for kind in ("chapter", "field", "country")
        )
        self.chapter_ids = array("q", bytes(8 * len(self.pks)))
        for chapter, found in self.chapters.items():
            for position in found:
                self.chapter_ids[position] = chapter

    def position(self, pk: int) -> int | None:
        i = bisect_left(self._sorted_pks, pk)
        if i < len(self._sorted_pks) and self._sorted_pks[i] == pk:
            return self._positions[i]
        return None

    def terms_of(self, position: int, bitmaps: dict) -> list:
        return [term for term, found in bitmaps.items() if position in found]

    def choose(self, pk: int, max_same_field: int, max_same_chapter: int) -> Chosen | None:
        """The related lists of the published case ``pk`` (None: not a published case).

        Same chapter: its chapter's other cases by title. Same field: other chapters'
        cases sharing a policy field and set in at least one country this case is
        not, most shared fields first, then by title.
        """
        me = self.position(pk)
        if me is None:
            return None
        chapter = self.chapters[self.chapter_ids[me]]
        siblings = chapter - BitMap([me])
        same_chapter = [self.pks[p] for p in islice(siblings, max_same_chapter)]
        mine = self.terms_of(me, self.fields)
        if not mine:
            return Chosen([], same_chapter, len(siblings))
        my_countries = set(self.terms_of(me, self.countries))
        others = [found for country, found in self.countries.items() if country not in my_countries]
        candidates = BitMap.union(*others) - chapter if others else BitMap()
        # at_least[k]: candidates sharing at least k of this case's policy fields.
        at_least = [candidates] + [BitMap() for _ in mine]
        for field in mine:
            shared = self.fields[field]
            for k in range(len(mine), 0, -1):
                at_least[k] |= at_least[k - 1] & shared
        chosen: list[int] = []
        for k in range(len(mine), 0, -1):
            tier = at_least[k] - at_least[k + 1] if k < len(mine) else at_least[k]
            chosen += islice(tier, max_same_field - len(chosen))
            if len(chosen) >= max_same_field:
                break
        return Chosen([self.pks[p] for p in chosen], same_chapter, len(siblings))

    @property
    def size(self) -> int:
        return len(self.pks)


def _build_sql(quote) -> str:
    case = quote(Case._meta.db_table)
    fields = Case.policy_fields.through
    countries = Case.countries.through
    field_column = quote(fields._meta.get_field("policyfield").column)
    country_column = quote(countries._meta.get_field("country").column)

    def terms(kind, link, column):
        return (
            f"SELECT '{kind}', l.{column}::text, array_agg(r.pos), NULL::bigint[] "  # noqa: S608
            f"FROM {quote(link._meta.db_table)} l JOIN ranked r ON r.id = l.case_id "
            f"GROUP BY l.{column}"
        )

    # The positions are numbered by PostgreSQL (its collation orders the titles, as in
    # the SQL choice), and each term's positions come back as one array.
    return (
        "WITH ranked AS MATERIALIZED (SELECT id, chapter_id, "  # noqa: S608
        "row_number() OVER (ORDER BY title, id) - 1 AS pos "
        f"FROM {case} WHERE status = %s) "
        "SELECT 'order', NULL, array_agg(id ORDER BY pos), NULL FROM ranked UNION ALL "
        "SELECT 'by_pk', NULL, array_agg(id ORDER BY id), array_agg(pos ORDER BY id) "
        "FROM ranked UNION ALL "
        "SELECT 'chapter', chapter_id::text, array_agg(pos), NULL FROM ranked "
        f"GROUP BY chapter_id UNION ALL {terms('field', fields, field_column)} "
        f"UNION ALL {terms('country', countries, country_column)}"
    )


def build(using: str, stamp=None) -> RelatedIndex:
    """One query (PostgreSQL): the published cases' order and each term's positions."""
    started = time.perf_counter()
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(_build_sql(connection.ops.quote_name), [CaseStatus.PUBLISHED])
        rows = cursor.fetchall()
    terms: dict[str, dict] = {"chapter": {}, "field": {}, "country": {}}
    for kind, term, first, second in rows:
        if kind == "order":
            pks = first or []
        elif kind == "by_pk":
            sorted_pks, positions = first or [], second or []
        else:
            terms[kind][int(term) if kind == "chapter" else term] = first
    return RelatedIndex(
        pks,
        sorted_pks,
        positions,
        terms,
        stamp=stamp,
        build_ms=(time.perf_counter() - started) * 1000,
    )


def read_stamp(connection) -> str | None:
    """The data stamp (one query) on PostgreSQL, whether or not counts are cached."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.epoch, d.oid, s.n FROM {STAMP_TABLE} s, pg_database d "  # noqa: S608
            "WHERE s.id = 1 AND d.datname = current_database()"
        )
        row = cursor.fetchone()
    return ".".join(str(part) for part in row) if row else None


# A worker rebuilds at most this often: while curators write in quick succession the
# pages in between choose in SQL (as SQLite does), never from a stale index.
MIN_REBUILD_SECONDS = 10.0

_lock = threading.Lock()
_kept: dict[str, RelatedIndex] = {}


def current(using: str) -> RelatedIndex | None:
    """The index of the data as committed now on ``using``.

    None where there is no stamp (SQLite), or when the data changed less than
    ``MIN_REBUILD_SECONDS`` after this worker's last build: the caller then chooses
    in SQL.
    """
    connection = connections[using]
    stamp = read_stamp(connection)
    if stamp is None:
        return None
    with _lock:
        index = _kept.get(using)
    if index is not None:
        if index.stamp == stamp:
            return index
        if time.monotonic() - index.built_at < MIN_REBUILD_SECONDS:
            return None
    index = build(using, stamp)
    if not connection.in_atomic_block:  # see the module's docstring
        with _lock:
            _kept[using] = index
    return index


def forget() -> None:
    """Drop every kept index (tests; a worker rebuilds on its next use)."""
    with _lock:
        _kept.clear()
