# ruff: noqa: S608 -- SQL built from model metadata and constants only.
"""The published cases held in memory, per term: related cases, facet counts, list pages.

Choosing a case's related cases in SQL meant counting shared policy fields over
every case of every other chapter (50–260 ms at 100,000 cases), the case list's
disjunctive counts scanned every facet's link table per request (~195 ms for
three filters, 1.6 s for a search word most cases have), and its page sorted
every selected case to take 25 (OFFSET: 300 ms and more deep in the list). Here
each worker keeps, per data stamp, one :class:`CaseIndex`:

- the published cases in title order (then pk); a case's *position* is its rank
  in that order, and every bitmap (pyroaring) holds positions, so that a bitmap's
  first members are the first cases by title;
- for every facet of the case list (casestudies/facets/definitions.py: the coded
  dimensions of the registry, welfare tradition, world region, chapter) every
  term with its key, label and place in the facet's order, and the bitmap of the
  published cases that have it; per (outcome dimension, direction) pair the same;
  per start year the same (the period);
- every vocabulary's terms with their slug, label and synonyms (what a search's
  "coded: …" line matches, casestudies/reads/search_explain.py).

A related list is then a few bitmap operations and the first positions of the
result (:meth:`CaseIndex.choose`); a facet's count for a term is the size of the
intersection of the term's bitmap with the other filters' selections
(:meth:`CaseIndex.counts`, each ticked facet's selection the union of its terms'
bitmaps), with no query; a page of the list in title order is a slice of the
selection, in start-year or first-country order a slice of its intersections with
the years' or first countries' bitmaps in turn (:func:`page_in` over
:meth:`CaseIndex.order`), and a row's countries, policy fields and participation
forms are the terms whose bitmaps hold its position (:meth:`CaseIndex.terms_at`). A
search's matches come from SQL once per search (its ids grouped by rank: one query,
casestudies/facets/search_hits.py) or from the index's small cache of recent
searches: the list's page in relevance order is then a slice of those groups too,
and the coded values a search matched on that page come from the bitmaps
(:meth:`CaseIndex.remember` keeps the terms a search matches).

Staleness: the index is built under the data stamp (casestudies/datastamp.py),
which statement-level triggers on the cases, their links, the outcomes, the
chapters, the countries and every vocabulary bump inside every writing
transaction. Each use reads the stamp (one primary-key look-up, which the case
list reads anyway) and the index is used only when built under that very stamp,
so nothing it gives is older than the last committed write. When the stamp has
moved, the worker rebuilds, at most once per ``MIN_REBUILD_SECONDS``, and until
the new index is there the callers use SQL:

- in the background (``settings.CASE_INDEX_BACKGROUND``, production): a thread
  reads the stamp and the data in one read-only REPEATABLE READ transaction (so
  the index is exactly the data of the stamp it is kept under) while requests go
  on counting in SQL; one build per worker and database at a time
  (``executor`` runs it: tests put their own there);
- synchronously (tests, whose data lives in a transaction no thread sees): the
  request that finds the stamp moved builds; built inside a transaction (which
  may yet roll back, and with it the stamp), an index is used once and not kept.

SQLite has no stamp: there :func:`current` gives None and the callers use SQL.

Cost at 100,000 published cases (docs/performance.md, "The case index"): one
query, ~1.6 s of its ~2–2.5 s to build on 2 shared cores (each term's ids straight
from its link table, no join; ordering the titles is 0.6 s of it); ~1.5 MB of
bitmaps and ~1.3 MB of arrays per worker. Counts for all eleven panels: under
1 ms after the stamp's look-up; a page's positions: well under 1 ms.
"""

import logging
import threading
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from functools import reduce
from itertools import islice

from django.conf import settings
from django.db import connections, transaction
from pyroaring import BitMap

from .. import datastamp
from ..facets.definitions import OUTCOME_FACET, TERM_FACETS
from ..models import VOCABULARIES, Case, CaseStatus

logger = logging.getLogger(__name__)

# The facets the related lists and the list's rows read, by URL parameter.
RELATED_FIELD, RELATED_COUNTRY, RELATED_CHAPTER = "policy_field", "country", "chapter"

# The list's orders a page can be taken in from the index (the others: SQL).
SORT_TITLE, SORT_START_YEAR, SORT_COUNTRY = "title", "start_year", "country"
LIST_ORDERS = (SORT_TITLE, SORT_START_YEAR, SORT_COUNTRY)


@dataclass(frozen=True)
class Chosen:
    """The pks of a case's related cases, in the order the page lists them."""

    same_field: list[int]
    same_chapter: list[int]
    same_chapter_total: int


@dataclass(frozen=True)
class Hits:
    """The cases a search alone matches (positions), and where it ranks, the same cases
    in groups of equal relevance from the most relevant down (each group iterates in
    title order, the list's tie-break): the list's page in relevance order for any
    filters, with no query."""

    cases: BitMap
    by_rank: list[BitMap] | None = None

    def to_shared(self) -> tuple:
        """What another worker's index built under the same stamp reads back
        (``from_shared``): positions depend only on the data, so they carry over."""
        if self.by_rank is None:
            return (self.cases.serialize(), None)
        return (None, [group.serialize() for group in self.by_rank])

    @classmethod
    def ranked(cls, groups: list[BitMap]) -> "Hits":
        """The hits of a ranked search: the cases are the groups' union."""
        return cls(_union(groups), groups)

    @classmethod
    def from_shared(cls, value: tuple) -> "Hits":
        cases, by_rank = value
        if by_rank is None:
            return cls(BitMap.deserialize(cases))
        return cls.ranked([BitMap.deserialize(group) for group in by_rank])


@dataclass(frozen=True)
class Term:
    """One value of a facet: its URL key, its label (English) and its cases."""

    key: str
    label: str
    cases: BitMap


class _Positions:
    """Case pk → position (rank in title order); ``size`` for a pk that has none."""

    def __init__(self, pks, top: int):
        self.size = len(pks)
        if top <= 4 * len(pks) + 1_000_000:  # dense ids (the usual case): an array
            table = array("i", [self.size]) * (top + 1)
            for position, pk in enumerate(pks):
                table[pk] = position
            self._table = table
            self.of = table.__getitem__
        else:  # ids far apart: a dict
            lookup = dict(zip(pks, range(len(pks)), strict=True))
            size = self.size
            self._table = None
            self.of = lambda pk: lookup.get(pk, size)

    def bitmap(self, ids) -> BitMap:
        """The positions of those of ``ids`` that are published cases."""
        found = BitMap(map(self.of, ids or ()))
        found.discard(self.size)
        return found


class CaseIndex:
    def __init__(self, pks, facets, outcomes, years, *, vocabulary=None, stamp=None, top=None):
        """``pks``: the published cases in title order (then pk); ``facets``: per facet
        parameter, its terms in the facet's order as (term pk, key, label, case ids);
        ``outcomes``: the (dimension id, direction id) pairs in the facet's order as
        (pair, key, label, case ids); ``years``: per start year, its case ids;
        ``top``: the largest case id among all of these (found if not given). The
        case ids may include cases that are not published: they are left out.
        ``vocabulary``: {(vocabulary key, term pk): (slug, label, synonyms)} of every
        vocabulary's terms (what a search's "coded: …" line matches)."""
        self.stamp = stamp
        self.vocabulary = vocabulary or {}
        self.build_ms = 0.0
        self.built_at = time.monotonic()
        self.pks = array("q", pks)
        if top is None:
            everything = [*pks, *(max(f, default=0) for r in facets.values() for *_, f in r if f)]
            everything += [max(f, default=0) for *_, f in outcomes if f]
            everything += [max(f, default=0) for f in years.values() if f]
            top = max(everything, default=0)
        self._positions = _Positions(pks, top)
        # Every bitmap holds positions: the published cases are 0 … size - 1.
        self.published = BitMap(range(len(pks)))
        cases = self._positions.bitmap

        self.terms: dict[str, list[Term]] = {}
        self.by_pk: dict[str, dict] = {}
        for param, rows in facets.items():
            self.terms[param] = [Term(key, label, cases(found)) for _, key, label, found in rows]
            self.by_pk[param] = {
                pk: term.cases for (pk, *_), term in zip(rows, self.terms[param], strict=True)
            }
        self.outcomes = [Term(key, label, cases(found)) for _, key, label, found in outcomes]
        self.by_pair = {
            pair: term.cases for (pair, *_), term in zip(outcomes, self.outcomes, strict=True)
        }
        # A case's coding (the case page): per facet, the terms some case has, in order.
        self._had = {
            param: [(pk, found) for pk, found in by_pk.items() if found]
            for param, by_pk in self.by_pk.items()
        }
        self.years = {year: cases(found) for year, found in sorted(years.items())}
        # Related cases.
        self.chapters = self.by_pk[RELATED_CHAPTER]
        self.fields = self.by_pk[RELATED_FIELD]
        self.countries = {c: found for c, found in self.by_pk[RELATED_COUNTRY].items() if found}
        self.chapter_ids = array("q", bytes(8 * len(self.pks)))
        for chapter, found in self.chapters.items():
            for position in found:
                self.chapter_ids[position] = chapter
        # The list's orders, each as groups of positions in turn (within a group, title
        # order): as the list's ORDER BY sorts (CaseQuery.cases), nulls last.
        self._orders = {
            SORT_TITLE: [self.published],
            SORT_START_YEAR: [*self.years.values(), self.published - _union(self.years.values())],
            SORT_COUNTRY: self._first_country_groups(),
        }
        self._searches: OrderedDict = OrderedDict()
        self._searches_lock = threading.Lock()
        self._remembered: OrderedDict = OrderedDict()

    def _first_country_groups(self) -> list[BitMap]:
        """The cases by their first country's name (the facet's order is by name), then
        those with none: the list's "country" order."""
        groups, names, seen = [], [], BitMap()
        for term in self.terms[RELATED_COUNTRY]:
            first = term.cases - seen
            seen |= term.cases
            if names and names[-1] == term.label:  # one name, two countries: one group
                groups[-1] |= first
            else:
                groups.append(first)
                names.append(term.label)
        return [*groups, self.published - seen]

    @property
    def size(self) -> int:
        return len(self.pks)

    def position(self, pk: int) -> int | None:
        try:
            position = self._positions.of(pk)
        except (IndexError, TypeError, OverflowError):
            return None
        return position if position < self.size else None

    # --- the case list's counts ----------------------------------------------------

    def cases_of(self, pks: list[int]) -> BitMap | None:
        """The published cases ``pks`` as a bitmap; None if one is not in the index."""
        try:
            cases = BitMap(map(self._positions.of, pks))
        except (IndexError, OverflowError, TypeError):
            return None
        if len(cases) != len(pks) or self.size in cases:
            return None
        return cases

    def selection(self, param: str, term_pks) -> BitMap | None:
        """The cases having any of the terms ``term_pks`` of facet ``param`` (OR).

        None when a term is not in the index (the caller then counts in SQL).
        """
        by_pk = self.by_pk[param]
        try:
            return BitMap().union(*(by_pk[pk] for pk in term_pks))
        except KeyError:
            return None

    def outcome_selection(self, pairs) -> BitMap:
        """Cases with any of the (dimension id, direction id) ``pairs`` (a pair no
        published case has selects none)."""
        empty = BitMap()
        return BitMap().union(*(self.by_pair.get(pair, empty) for pair in pairs))

    def period(self, start: int | None, end: int | None) -> BitMap:
        """Cases whose start year lies in [start, end] (either bound may be open)."""
        return BitMap().union(
            *(
                found
                for year, found in self.years.items()
                if (start is None or year >= start) and (end is None or year <= end)
            )
        )

    def split(self, param: str, selected: BitMap) -> dict:
        """{term pk: the ``selected`` cases that have it}, for the terms some have."""
        found = {pk: selected & cases for pk, cases in self.by_pk[param].items()}
        return {pk: cases for pk, cases in found.items() if cases}

    def counts(self, selections: dict[str, BitMap]) -> dict:
        """The result count and every facet's disjunctive counts, as the SQL gives them.

        ``selections``: per active filter (a facet parameter, or any other name for
        a filter without a panel: the search, the period), the cases it selects.
        Gives {"count": n, param: [(key, label, n), ...]}: every term of a term facet
        in the facet's order, and the outcome pairs that have cases, in theirs.
        """

        def meet(names) -> BitMap | None:
            chosen = [selections[name] for name in names]
            return reduce(BitMap.__and__, chosen) if chosen else None

        everything = meet(selections)
        result = {"count": len(everything) if everything is not None else len(self.published)}

        def counted(param: str, terms: list[Term]) -> list[tuple[str, str, int]]:
            base = everything if param not in selections else meet(set(selections) - {param})
            if base is None:
                return [(t.key, t.label, len(t.cases)) for t in terms]
            return [(t.key, t.label, base.intersection_cardinality(t.cases)) for t in terms]

        for param, terms in self.terms.items():
            result[param] = counted(param, terms)
        outcome = OUTCOME_FACET.param
        result[outcome] = [row for row in counted(outcome, self.outcomes) if row[2]]
        return result

    def search_cache(self, key, find):
        """A search's :class:`Hits` (or None) from this index's small cache, or
        ``find()`` (which queries) and kept: the same words recur within a stamp, with
        other filters, on other pages."""
        with self._searches_lock:
            if key in self._searches:
                self._searches.move_to_end(key)
                return self._searches[key]
        found = find()
        if found is not None:
            with self._searches_lock:
                self._searches[key] = found
                while len(self._searches) > SEARCHES_KEPT:
                    self._searches.popitem(last=False)
        return found

    def remember(self, key, compute):
        """``compute()``, kept with this index (so for its data stamp) under ``key``: what
        depends only on the data and a search (the terms a search matches)."""
        with self._searches_lock:
            if key in self._remembered:
                self._remembered.move_to_end(key)
                return self._remembered[key]
        value = compute()
        with self._searches_lock:
            self._remembered[key] = value
            while len(self._remembered) > SEARCHES_KEPT:
                self._remembered.popitem(last=False)
        return value

    # --- a case's coding --------------------------------------------------------------

    def terms_of_case(self, pk: int, param: str) -> list:
        """The pks of the terms of facet ``param`` that the published case ``pk`` has,
        in the facet's order (the order of the model's ``Meta.ordering``, then pk)."""
        position = self.position(pk)
        if position is None:
            return []
        return [term for term, found in self._had[param] if position in found]

    def outcomes_of_case(self, pk: int) -> list[tuple[int, int]]:
        """The (dimension id, direction id) pairs of the published case ``pk``'s
        outcomes, in the outcome facet's order (dimension order and label first)."""
        position = self.position(pk)
        if position is None:
            return []
        return [pair for pair, found in self.by_pair.items() if position in found]

    # --- the case list's page --------------------------------------------------------

    def order(self, sort: str) -> list[BitMap] | None:
        """The list's order ``sort`` as groups of positions in turn (within a group, title
        order); None for an order the index does not hold (the caller sorts in SQL)."""
        return self._orders.get(sort)

    def pk_at(self, position: int) -> int:
        return self.pks[position]

    def terms_at(self, param: str, position: int) -> list[Term]:
        """The terms of facet ``param`` the case at ``position`` has, in the facet's
        order (the order its rows list them)."""
        return [term for term in self.terms[param] if position in term.cases]

    # --- related cases -------------------------------------------------------------

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


def page_in(groups: list[BitMap], selected: BitMap | None, offset: int, limit: int) -> list[int]:
    """The positions of the ``selected`` cases (None: all) from ``offset`` on, at most
    ``limit``, in the order of ``groups`` (each group in title order)."""
    chosen: list[int] = []
    for group in groups:
        n = len(group) if selected is None else selected.intersection_cardinality(group)
        if offset >= n:
            offset -= n
            continue
        members = group if selected is None else selected & group
        chosen += members[offset : offset + limit - len(chosen)]
        offset = 0
        if len(chosen) >= limit:
            break
    return chosen


def _union(bitmaps) -> BitMap:
    return BitMap().union(*bitmaps)


# Columns of every row of the building query: what the row is, the facet's index in
# TERM_FACETS (or -1), the term's pk (text), its key, its label, the outcome
# direction's label, its place in the facet's order, and case ids.
_NULLS = "NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint"


def _build_sql(quote) -> str:
    case = quote(Case._meta.db_table)
    branches = [
        # PostgreSQL orders the titles (its collation, as the list and the SQL choice of
        # related cases sort them).
        f"SELECT 'order', -1, {_NULLS}, array_agg(id ORDER BY title, id)::bigint[] FROM published",
        # The largest case id (of any status), for the id → position table.
        f"SELECT 'top', -1, {_NULLS}, ARRAY[MAX(id)]::bigint[] FROM {case}",
        "SELECT 'year', -1, start_year::text, NULL, NULL, NULL, NULL, array_agg(id)::bigint[] "
        "FROM published WHERE start_year IS NOT NULL GROUP BY start_year",
    ]
    for index, facet in enumerate(TERM_FACETS):
        meta = facet.model._meta
        pk = f"t.{quote(meta.pk.column)}"
        key = f"t.{quote(meta.get_field(facet.key_field).column)}"
        order = ", ".join(
            f"t.{quote(meta.get_field(name.lstrip('-')).column)}" for name in facet.order_fields
        )
        # Key, label and order as the counting query gives them (TermFacet.panel_sql).
        branches.append(
            f"SELECT 'term', {index}, CAST({pk} AS text), CAST({key} AS varchar(300)), "
            f"CAST({facet.label_sql()} AS varchar(400)), NULL, "
            f"ROW_NUMBER() OVER (ORDER BY {order}, {pk}), c.p::bigint[] "
            f"FROM {quote(meta.db_table)} t "
            f"LEFT JOIN ({facet.cases_sql('published')}) c ON c.term = {pk}"
        )
    branches.append(OUTCOME_FACET.index_sql())
    for index, model in enumerate(VOCABULARIES):
        meta = model._meta
        branches.append(
            f"SELECT 'vocab', {index}, CAST(t.{quote(meta.pk.column)} AS text), t.slug, t.label, "
            f"t.synonyms, NULL, NULL FROM {quote(meta.db_table)} t"
        )
    # Each term's cases come back as one array, straight from its link table: no join.
    return (
        "WITH published AS MATERIALIZED (SELECT id, title, chapter_id, start_year "
        f"FROM {case} WHERE status = %s) " + " UNION ALL ".join(branches)
    )


def build(using: str, stamp=None) -> CaseIndex:
    """One query (PostgreSQL): the published cases' order and each term's cases."""
    started = time.perf_counter()
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(_build_sql(connection.ops.quote_name), [CaseStatus.PUBLISHED])
        rows = cursor.fetchall()
    pks, top = [], 0
    facets: dict[str, list] = {facet.param: [] for facet in TERM_FACETS}
    outcomes, years, vocabulary = [], {}, {}
    to_pk = [facet.model._meta.pk.to_python for facet in TERM_FACETS]
    for kind, index, term, key, label, extra, order, found in rows:
        if kind == "order":
            pks = found or []
        elif kind == "top":
            top = found[0] or 0
        elif kind == "year":
            years[int(term)] = found
        elif kind == "term":
            facets[TERM_FACETS[index].param].append((order, to_pk[index](term), key, label, found))
        elif kind == "vocab":
            model = VOCABULARIES[index]
            vocabulary[model.vocabulary_key, model._meta.pk.to_python(term)] = (key, label, extra)
        else:  # an outcome pair
            pair = tuple(int(part) for part in term.split(":"))
            outcomes.append((order, pair, key, f"{label}: {extra.lower()}", found))
    facets = {param: [row[1:] for row in sorted(rows)] for param, rows in facets.items()}
    outcomes = [row[1:] for row in sorted(outcomes)]
    index = CaseIndex(pks, facets, outcomes, years, vocabulary=vocabulary, stamp=stamp, top=top)
    index.build_ms = (time.perf_counter() - started) * 1000
    return index


# A worker rebuilds at most this often: while curators write in quick succession the
# pages in between use SQL (as SQLite does), never a stale index.
MIN_REBUILD_SECONDS = 10.0
# Searches whose hits an index keeps (per worker; at 100,000 cases a word's hits take a
# median 20 KB, at most ~130 KB: docs/performance.md, "A search's hits").
SEARCHES_KEPT = 256


class DaemonThreads:
    """Runs each job in a thread of its own that does not hold the process open."""

    def submit(self, job) -> None:
        threading.Thread(target=job, name="case-index-build", daemon=True).start()


# What runs a background build (tests put an executor of their own here).
executor = DaemonThreads()

_lock = threading.Lock()
_kept: dict[str, CaseIndex] = {}
# Per database: when this worker last started a build, and whether one is running.
_started: dict[str, float] = {}
_building: set[str] = set()
_UNREAD = object()


def in_background() -> bool:
    """Whether a moved stamp is rebuilt in a thread (settings.CASE_INDEX_BACKGROUND)."""
    return settings.CASE_INDEX_BACKGROUND


def current(using: str, stamp=_UNREAD) -> CaseIndex | None:
    """The index of the data as committed now on ``using`` (reads the stamp: one query,
    unless given the ``stamp`` just read there).

    None where there is no stamp (SQLite), or while this worker has no index of the
    stamp: the caller then uses SQL. A moved stamp starts a build (at most once per
    ``MIN_REBUILD_SECONDS``): in a thread (``in_background``), or here (one more
    query), the index then given.
    """
    connection = connections[using]
    if stamp is _UNREAD:
        stamp = datastamp.current_stamp(connection)
    if stamp is None:
        return None
    with _lock:
        kept = _kept.get(using)
        if kept is not None and kept.stamp == stamp:
            return kept
        now, background = time.monotonic(), in_background()
        if kept is not None and now - kept.built_at < MIN_REBUILD_SECONDS:
            return None
        if background:
            # One build at a time, and a failed one is not retried at once.
            last = _started.get(using)
            if using in _building or (last is not None and now - last < MIN_REBUILD_SECONDS):
                return None
            _started[using] = now
            _building.add(using)
    if background:
        executor.submit(lambda: _build_in_background(using))
        return None
    index = build(using, stamp)
    if not connection.in_atomic_block:  # see the module's docstring
        with _lock:
            _kept[using] = index
    return index


def _build_in_background(using: str) -> None:
    """Build an index of ``using`` as committed now and keep it under its stamp, both
    read in one snapshot; on the thread's own connection, closed after."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            stamp = datastamp.current_stamp(connection)
            index = build(using, stamp) if stamp is not None else None
        if index is not None:
            with _lock:
                _kept[using] = index
            logger.info("case index built in %.0f ms (%d cases)", index.build_ms, index.size)
    except Exception:  # the pages count in SQL meanwhile; the next stamp change retries
        logger.exception("case index build failed")
    finally:
        with _lock:
            _building.discard(using)
        connection.close()


def forget() -> None:
    """Drop every kept index and build time (tests; a worker rebuilds on its next use)."""
    with _lock:
        _kept.clear()
        _started.clear()
        _building.clear()
