"""One case-list query: its cases in order, its facets with disjunctive counts, its chips.

Disjunctive counts: next to each value, how many cases the list would hold if
that value were ticked too, given every *other* active filter. Each facet's
counts therefore start from the cases all filters but its own select, so the
alternatives within a facet stay visible.

On PostgreSQL all counts (every facet and the result count) come from the
worker's in-memory case index (casestudies/reads/case_index.py: per-term bitmaps
of the published cases) whenever it was built under the data stamp as committed
now, with no query but, while searching, one for the search's matches. Otherwise
(SQLite, a write moments ago, a filter the index cannot express) they come from
one query: the cases every filter selects are a common table expression evaluated once and shared
by the facets without a ticked value; a facet with ticked values counts over
its own base (every filter but its own). Where a facet's base is simply every
published case, its counts read the link table alone (``CountBase``).
"""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property, reduce

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from pyroaring import BitMap

from .. import datastamp
from ..models import Case, Country, outcome_label
from ..reads import case_index
from . import search_hits
from .definitions import OUTCOME_FACET, TERM_FACETS, CountBase
from .filterset import SORTS, CaseFilterSet, clean_params

OPEN_BY_DEFAULT = {"country", "policy_field", "participation_form", "outcome"}
# The filters the in-memory case index expresses exactly (any other: counted in SQL).
IN_MEMORY_FILTERS = {
    *(f.param for f in TERM_FACETS),
    OUTCOME_FACET.param,
    "year_from",
    "year_to",
    "q",
}


@dataclass(frozen=True)
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool
    input_id: str

    @property
    def cases_word(self) -> str:
        """What follows the count for a screen reader ("case" or "cases", translated):
        here rather than a ``blocktranslate`` per value, the facets' costliest tag."""
        return ngettext("case", "cases", self.count)


@dataclass
class FacetPanel:
    param: str
    label: str
    values: list[FacetValue] = field(default_factory=list)  # with cases, or ticked
    empty: list[FacetValue] = field(default_factory=list)  # no case under the other filters

    @property
    def selected_count(self) -> int:
        return sum(1 for v in self.values if v.selected)

    @property
    def open(self) -> bool:
        """Shown expanded: the facets people start from, and any with a ticked value."""
        return self.param in OPEN_BY_DEFAULT or self.selected_count > 0


@dataclass(frozen=True)
class Chip:
    """An active filter a visitor can remove; ``remove_query`` is the query without it."""

    name: str
    value: str
    remove_query: str


def _facet(param: str):
    """The facet (a term facet or the outcome facet) behind URL parameter ``param``."""
    if param == OUTCOME_FACET.param:
        return OUTCOME_FACET
    return next(f for f in TERM_FACETS if f.param == param)


class _CountingStatement:
    """The counting query being built: its CTEs (the bases) and their parameters."""

    def __init__(self, materialize: bool):
        self.materialize = materialize  # only PostgreSQL has the MATERIALIZED hint
        self.ctes: list[str] = []
        self.params: list = []

    def base(self, qs: QuerySet, name: str, materialized: bool = False) -> CountBase:
        """A CTE ``name`` of the (id, chapter_id) rows of ``qs``, as a base to count over."""
        try:
            sql, sql_params = qs.order_by().values("pk", "chapter_id").query.sql_with_params()
        except EmptyResultSet:  # a search of punctuation only: no case
            sql, sql_params = "SELECT id, chapter_id FROM casestudies_case WHERE 1 = 0", ()
        hint = "MATERIALIZED " if materialized and self.materialize else ""
        self.ctes.append(f"{name}(id, chapter_id) AS {hint}({sql})")
        self.params.extend(sql_params)
        return CountBase(name)

    def run(self, db, branches: list[str]) -> list[tuple]:
        """The rows (f, key, label, extra, ord, n) of ``branches`` under the CTEs, by (f, ord)."""
        sql = " UNION ALL ".join(branches)
        if self.ctes:
            sql = "WITH " + ", ".join(self.ctes) + " " + sql
        with db.cursor() as cursor:
            cursor.execute(sql, self.params)
            return sorted(cursor.fetchall(), key=lambda row: (row[0], row[4]))


def _counts_from_rows(rows: list[tuple], params: list[str]) -> dict:
    """{"count": n, facet: [(key, label, n), ...]} from the counting query's rows.

    Row f = -1 is the result count; f = i belongs to ``params[i]``. An outcome's
    label joins its dimension and direction ("Quality: improved").
    """
    result = {param: [] for param in params}
    for index, key, label, extra, _order, n in rows:
        if index < 0:
            result["count"] = n
        elif params[index] == OUTCOME_FACET.param:
            result[params[index]].append((key, f"{label}: {extra.lower()}", n))
        else:
            result[params[index]].append((key, label, n))
    return result


class CaseQuery:
    """A validated case-list query. Building it runs at most one query per ticked facet.

    Raises :class:`casestudies.plumbing.bad_parameter.BadParameter` for input it cannot use.
    """

    def __init__(self, params: QueryDict, queryset: QuerySet | None = None):
        self.params = clean_params(params)
        # Counts may take every published case straight from the link tables
        # only when the base is exactly that (CountBase(None)).
        self._published_base = queryset is None
        base = queryset if queryset is not None else Case.objects.published()
        self.filterset = CaseFilterSet(self.params, queryset=base).validated()
        self.data = self.filterset.form.cleaned_data
        self.q = self.data.get("q") or ""
        # The search's matches from the case index (``_search_matches``), once counted.
        self.hits: case_index.Hits | None = None
        search = self.filterset.search
        # Several words mean all of them; when no case has them all (under the other
        # filters too), any of them, ranked: one EXISTS query decides.
        self.any_word_fallback = False
        if search is not None and search.can_fall_back and not self.filterset.qs.exists():
            self.filterset.fall_back_to_any_word()
            self.any_word_fallback = True

    @cached_property
    def filtered(self) -> QuerySet:
        return self.filterset.qs

    @property
    def sort(self) -> str:
        """The sort in force: relevance only means something while searching."""
        asked = self.data.get("sort") or ""
        if asked == "relevance" and not self.q:
            asked = ""
        return asked or ("relevance" if self.q else "title")

    @property
    def sort_choices(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in SORTS.items() if k != "relevance" or self.q]

    @cached_property
    def cases(self) -> QuerySet:
        """The selected published cases in the list's order (lazy; no query yet)."""
        return self._in_order(self.filtered)

    def _in_order(self, qs: QuerySet) -> QuerySet:
        tiebreak = ("title", "pk")
        if self.sort == "relevance" and self.filterset.rank is not None:
            return qs.annotate(relevance=self.filterset.rank).order_by("-relevance", *tiebreak)
        if self.sort == "country":
            first_country = Country.objects.filter(cases=OuterRef("pk")).order_by("name")
            return qs.annotate(first_country=Subquery(first_country.values("name")[:1])).order_by(
                F("first_country").asc(nulls_last=True), *tiebreak
            )
        if self.sort == "start_year":
            return qs.order_by(F("start_year").asc(nulls_last=True), *tiebreak)
        if self.sort == "updated":
            return qs.order_by("-updated_at", *tiebreak)
        return qs.order_by(*tiebreak)

    def cases_for_list(self) -> QuerySet:
        """``cases`` with what a result row shows pre-loaded: 3 queries per page, fixed.

        What the list pages where the case index cannot (``facets.page.list_rows``).
        """
        return self.cases.select_related("chapter").prefetch_related(
            Prefetch("countries", queryset=Country.objects.order_by("name")),
            "policy_fields",
            "participation_forms",
        )

    @property
    def is_filtered(self) -> bool:
        return any(key != "sort" for key in self.params)

    # --- facets ------------------------------------------------------------------

    @cached_property
    def db(self):
        """The connection the list's rows come from (a replica for a public page).

        The counts and the stamp they are cached under are read there too: counts
        cached from a replica that is behind are keyed on the stamp of the data it
        counted, so nobody reading a newer stamp (the primary, a replica that has
        caught up) is ever given them.
        """
        # The base queryset's: filtering adds no routing hint, and building the
        # filtered queryset (which the case index does not need) costs milliseconds.
        return connections[self.filterset.queryset.db]

    @cached_property
    def current_stamp(self) -> str | None:
        """The data stamp as committed now (one query), None on SQLite: what the
        in-memory case index must have been built under to be used."""
        return datastamp.current_stamp(self.db)

    @property
    def stamp(self) -> str | None:
        """The data stamp counts are cached under, None where not cached."""
        return self.current_stamp if datastamp.timeout() else None

    def _key(self, kind: str, exclude: str | None = None) -> str:
        """A cache key for this query's filters, leaving out ``exclude`` and the sort."""
        state = sorted(
            (key, tuple(sorted(self.params.getlist(key))))
            for key in self.params
            if key not in (exclude, "sort")
        )
        digest = hashlib.sha256(repr(state).encode()).hexdigest()[:32]
        return f"atlas:facets:{self.stamp}:{kind}:{digest}"

    def count(self) -> int:
        """How many cases the query selects (from the counting query, or the cache)."""
        return self._counts[0]

    def facet_panels(self) -> list[FacetPanel]:
        """Every facet with its disjunctive counts (from the counting query, or the cache)."""
        rows_by_param = self._counts[1]
        panels = []
        for facet in TERM_FACETS:
            selected = set(self.params.getlist(facet.param))
            panel = FacetPanel(facet.param, facet.label)
            for key, label, n in rows_by_param[facet.param]:
                label = facet.localize(key, label)  # cached in English, shown translated
                value = FacetValue(key, label, n, key in selected, f"f-{facet.param}-{key}")
                (panel.values if n or value.selected else panel.empty).append(value)
            panels.append(panel)
        panels.append(self._outcome_panel(rows_by_param[OUTCOME_FACET.param]))
        return panels

    @cached_property
    def _counts(self) -> tuple[int, dict[str, list[tuple[str, str, int]]]]:
        """(result count, {facet: [(key, label, n), ...]}).

        From the worker's in-memory case index where it holds the data as committed
        now (no query, or one for a search's matches); else what the cache lacks,
        in one query.
        """
        params = [f.param for f in TERM_FACETS] + [OUTCOME_FACET.param]
        counted = self._counts_in_memory()
        if counted is not None:
            return counted["count"], {param: counted[param] for param in params}
        keys = {}
        if self.stamp is not None:
            keys = {param: self._key(param, exclude=param) for param in params}
            keys["count"] = self._key("count")
        cached = datastamp.get_many(list(keys.values())) if keys else {}
        found = {name: cached[key] for name, key in keys.items() if key in cached}
        missing = [param for param in params if param not in found]
        if missing or "count" not in found:
            fresh = self._count_rows(missing)
            if keys:
                datastamp.set_many({keys[name]: value for name, value in fresh.items()})
            found.update(fresh)
        return found["count"], {param: found[param] for param in params}

    def _active(self) -> set[str]:
        """The filters in force (sorting is not one)."""
        return {name for name, value in self.data.items() if name != "sort" and value}

    def _counts_in_memory(self) -> dict | None:
        """The counts from the case index (casestudies/reads/case_index.py), exactly
        what the counting query gives; None where it cannot give them: no index built
        under the current stamp (SQLite; a write moments ago), a base other than every
        published case, a filter it cannot express.
        """
        found = self._selections_in_memory()
        return None if found is None else found[0].counts(found[1])

    def case_index(self) -> "case_index.CaseIndex | None":
        """The case index the counts came from, or None (they came from SQL)."""
        found = self._selections_in_memory()
        return None if found is None else found[0]

    def selected_in_memory(self) -> tuple["case_index.CaseIndex", BitMap] | None:
        """(the case index, the ids of the published cases this query selects), where the
        index can give them (as ``_counts_in_memory``), else None: for pages that
        count these cases by other dimensions (the map, the outcomes view)."""
        found = self._selections_in_memory()
        if found is None:
            return None
        index, selections = found
        chosen = list(selections.values())
        return index, reduce(BitMap.__and__, chosen) if chosen else index.published

    def _selections_in_memory(self) -> tuple["case_index.CaseIndex", dict] | None:
        """(the case index, the cases each active filter selects) or None (found once)."""
        return self._memory_selections

    @cached_property
    def _memory_selections(self) -> tuple["case_index.CaseIndex", dict] | None:
        if not self._published_base or self.current_stamp is None:
            return None
        if self._active() - IN_MEMORY_FILTERS:
            return None
        index = case_index.current(self.db.alias, self.current_stamp)
        if index is None:
            return None
        selections = {}
        for facet in TERM_FACETS:
            if terms := self.data.get(facet.param):
                selections[facet.param] = index.selection(facet.param, [t.pk for t in terms])
        if outcomes := self.data.get(OUTCOME_FACET.param):
            pairs = [(v["dim_id"], v["dir_id"]) for v in outcomes]
            selections[OUTCOME_FACET.param] = index.outcome_selection(pairs)
        start, end = self.data.get("year_from"), self.data.get("year_to")
        if start is not None or end is not None:
            selections["period"] = index.period(start, end)
        if self.q:
            selections["q"] = self._search_matches(index)
        if any(selection is None for selection in selections.values()):
            return None
        return index, selections

    def _search_matches(self, index) -> BitMap | None:
        """The cases the search alone matches, as the index's positions (one query,
        none when this worker's index met the same search lately); None if the
        index lacks one of them. Where the search ranks, the same query groups them by
        relevance (``hits``): the page then needs no ranking query."""
        others = [name for name in self.data if name != "q"]
        qs = self.filterset.queryset_without(*others).order_by()
        rank = self.filterset.rank
        ranked = rank is not None
        qs = qs.annotate(_relevance=rank).values("pk", "_relevance") if ranked else qs.values("pk")
        try:
            sql, sql_params = qs.query.sql_with_params()
        except EmptyResultSet:  # a search of punctuation only: no case
            self.hits = case_index.Hits.ranked([]) if ranked else case_index.Hits(BitMap())
            return self.hits.cases

        def find() -> case_index.Hits | None:
            return search_hits.find(self.db, index, sql, sql_params, ranked)

        self.hits = index.search_cache((sql, tuple(sql_params)), find)
        return None if self.hits is None else self.hits.cases

    def order_in_memory(self, index) -> list[BitMap] | None:
        """The list's order as the case index's groups of positions (see
        ``CaseQuery.cases``), or None where only SQL can sort: relevance from the
        search's hits, the columns the index holds from the index."""
        if self.sort == "relevance" and self.filterset.rank is not None:
            return None if self.hits is None else self.hits.by_rank
        # Relevance without a rank (a search of exclusions only) sorts by title.
        return index.order(case_index.SORT_TITLE if self.sort == "relevance" else self.sort)

    def _count_rows(self, params: list[str]) -> dict:
        """The counts of the facets ``params`` and the result count ("count"): one query.

        The base every filter selects is a CTE (``MATERIALIZED`` on PostgreSQL,
        which would otherwise inline it into each facet's branch); each facet
        with ticked values gets a CTE of its own base, inlined where used once.
        """
        active = self._active()
        statement = _CountingStatement(materialize=self.db.vendor == "postgresql")
        shared = self._shared_base(statement, active)
        own = [param for param in params if self._has_own_base(param, active)]
        searched = self._searched_ids(statement, active) if own else None
        branches = [shared.total_sql()]
        for index, param in enumerate(params):
            if param in own:
                base = self._own_base(statement, param, index, searched)
            elif param in active:  # the only filter: its base is every published case
                base = CountBase(None)
            else:
                base = shared
            branches.append(_facet(param).panel_sql(base, index))
        return _counts_from_rows(statement.run(self.db, branches), params)

    def _shared_base(self, statement: _CountingStatement, active: set[str]) -> CountBase:
        """What every facet without a ticked value counts over: the cases every filter selects.

        Every published case straight from the link tables where that is all
        they are, else the CTE ``base_all``.
        """
        if self._published_base and not active:
            return CountBase(None)
        return statement.base(self.filtered, "base_all", materialized=True)

    def _has_own_base(self, param: str, active: set[str]) -> bool:
        """Whether facet ``param`` counts over a base of its own (every filter but its own).

        A ticked facet does, unless it is the only filter over every published
        case: then its base is all of them.
        """
        return param in active and not (self._published_base and active == {param})

    def _searched_ids(self, statement: _CountingStatement, active: set[str]) -> RawSQL | None:
        """The ids the search alone matches (the CTE ``base_q``); None when not searching.

        Found once, for every facet's own base to reuse.
        """
        if "q" not in active:
            return None
        others = [name for name in self.data if name != "q"]
        statement.base(self.filterset.queryset_without(*others), "base_q", materialized=True)
        return RawSQL("SELECT id FROM base_q", ())

    def _own_base(
        self, statement: _CountingStatement, param: str, index: int, searched: RawSQL | None
    ) -> CountBase:
        """The CTE ``base_<index>``: the cases every filter but ``param``'s selects."""
        if searched is not None:
            qs = self.filterset.queryset_without(param, "q").filter(pk__in=searched)
        else:
            qs = self.filterset.queryset_without(param)
        return statement.base(qs, f"base_{index}")

    def _outcome_panel(self, rows) -> FacetPanel:
        selected = {v["key"]: v for v in self.data.get("outcome") or []}
        panel = FacetPanel(OUTCOME_FACET.param, OUTCOME_FACET.label)
        for key, label, n in rows:
            label = outcome_label(key, label)
            panel.values.append(FacetValue(key, label, n, key in selected, f"f-outcome-{key}"))
            selected.pop(key, None)
        # Ticked pairs no case has under the other filters stay visible, at 0.
        for key, value in selected.items():
            label = outcome_label(key, value["label"])
            panel.values.append(FacetValue(key, label, 0, True, f"f-outcome-{key}"))
        return panel

    # --- chips -------------------------------------------------------------------

    def _without(self, key: str, value: str | None = None) -> str:
        query = self.params.copy()
        if value is None:
            query.pop(key, None)
        else:
            query.setlist(key, [v for v in query.getlist(key) if v != value])
        if key == "q" and query.get("sort") == "relevance":
            query.pop("sort")
        return query.urlencode()

    def chips(self) -> list[Chip]:
        """The active filters, in facet order. Uses the validated values: no query."""
        chips = []
        if self.q:
            chips.append(Chip(_("Search"), self.q, self._without("q")))
        for facet in TERM_FACETS:
            for term in self.data.get(facet.param) or []:
                key = facet.key(term)
                chips.append(
                    Chip(facet.label, facet.term_label(term), self._without(facet.param, key))
                )
        for outcome in self.data.get("outcome") or []:
            label = outcome_label(outcome["key"], outcome["label"])
            chips.append(Chip(_("Outcome"), label, self._without("outcome", outcome["key"])))
        if self.data.get("year_from") is not None:
            chips.append(
                Chip(_("Started from"), str(self.data["year_from"]), self._without("year_from"))
            )
        if self.data.get("year_to") is not None:
            chips.append(Chip(_("Started by"), str(self.data["year_to"]), self._without("year_to")))
        return chips

    def clear_all_query(self) -> str:
        """Keep only the sort (if not relevance): everything else is a filter."""
        query = QueryDict(mutable=True)
        sort = self.params.get("sort")
        if sort and sort != "relevance":
            query["sort"] = sort
        return query.urlencode()
