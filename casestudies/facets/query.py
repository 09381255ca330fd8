"""One case-list query: its cases in order, its facets with disjunctive counts, its chips.

Disjunctive counts: next to each value, how many cases the list would hold if
that value were ticked too, given every *other* active filter. Each facet's
counts therefore start from the cases all filters but its own select, one query
per facet, so the alternatives within a facet stay visible.
"""

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.http import QueryDict

from ..models import Case, Country
from . import cache as facet_cache
from .definitions import OUTCOME_FACET, TERM_FACETS
from .filterset import SORTS, CaseFilterSet, clean_params

OPEN_BY_DEFAULT = {"country", "policy_field", "participation_form", "outcome"}


@dataclass(frozen=True)
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool
    input_id: str


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


class CaseQuery:
    """A validated case-list query. Building it runs at most one query per ticked facet.

    Raises :class:`casestudies.errors.BadParameter` for input it cannot use.
    """

    def __init__(self, params: QueryDict, queryset: QuerySet | None = None):
        self.params = clean_params(params)
        base = queryset if queryset is not None else Case.objects.published()
        self.filterset = CaseFilterSet(self.params, queryset=base).validated()
        self.data = self.filterset.form.cleaned_data
        self.q = self.data.get("q") or ""

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
        qs = self.filtered
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
        """``cases`` with what a result row shows pre-loaded: 3 queries per page, fixed."""
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
    def stamp(self) -> int | None:
        """The data stamp counts are cached under (one query), None where not cached."""
        return facet_cache.data_stamp(connection)

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
        """How many cases the query selects (one query, none when cached)."""
        if self.stamp is None:
            return self.filtered.count()
        key = self._key("count")
        cached = facet_cache.get_many([key]).get(key)
        if cached is None:
            cached = self.filtered.count()
            facet_cache.set_many({key: cached})
        return cached

    def facet_panels(self) -> list[FacetPanel]:
        """Every facet with its disjunctive counts: one query per facet not cached."""
        keys = {}
        if self.stamp is not None:
            params = [f.param for f in TERM_FACETS] + [OUTCOME_FACET.param]
            keys = {param: self._key(param, exclude=param) for param in params}
        cached = facet_cache.get_many(list(keys.values())) if keys else {}
        fresh = {}
        panels = []
        for facet in TERM_FACETS:
            rows = cached.get(keys.get(facet.param))
            if rows is None:
                base = self.filterset.queryset_without(facet.param).values("pk")
                rows = [
                    (facet.key(t), facet.term_label(t), t.n) for t in facet.terms_with_counts(base)
                ]
                fresh[keys.get(facet.param)] = rows
            selected = set(self.params.getlist(facet.param))
            panel = FacetPanel(facet.param, facet.label)
            for key, label, n in rows:
                value = FacetValue(key, label, n, key in selected, f"f-{facet.param}-{key}")
                (panel.values if n or value.selected else panel.empty).append(value)
            panels.append(panel)
        rows = cached.get(keys.get(OUTCOME_FACET.param))
        if rows is None:
            rows = self._outcome_rows()
            fresh[keys.get(OUTCOME_FACET.param)] = rows
        panels.append(self._outcome_panel(rows))
        if keys:
            facet_cache.set_many(fresh)
        return panels

    def _outcome_rows(self) -> list[tuple[str, str, int]]:
        base = self.filterset.queryset_without("outcome").values("pk")
        return [
            (
                f"{row['dimension__slug']}:{row['direction__slug']}",
                f"{row['dimension__label']}: {row['direction__label'].lower()}",
                row["n"],
            )
            for row in OUTCOME_FACET.pairs_with_counts(base)
        ]

    def _outcome_panel(self, rows) -> FacetPanel:
        selected = {v["key"]: v for v in self.data.get("outcome") or []}
        panel = FacetPanel(OUTCOME_FACET.param, OUTCOME_FACET.label)
        for key, label, n in rows:
            panel.values.append(FacetValue(key, label, n, key in selected, f"f-outcome-{key}"))
            selected.pop(key, None)
        # Ticked pairs no case has under the other filters stay visible, at 0.
        for key, value in selected.items():
            panel.values.append(FacetValue(key, value["label"], 0, True, f"f-outcome-{key}"))
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
            chips.append(Chip("Search", self.q, self._without("q")))
        for facet in TERM_FACETS:
            for term in self.data.get(facet.param) or []:
                key = facet.key(term)
                chips.append(
                    Chip(facet.label, facet.term_label(term), self._without(facet.param, key))
                )
        for outcome in self.data.get("outcome") or []:
            chips.append(
                Chip("Outcome", outcome["label"], self._without("outcome", outcome["key"]))
            )
        if self.data.get("year_from") is not None:
            chips.append(
                Chip("Started from", str(self.data["year_from"]), self._without("year_from"))
            )
        if self.data.get("year_to") is not None:
            chips.append(Chip("Started by", str(self.data["year_to"]), self._without("year_to")))
        return chips

    def clear_all_query(self) -> str:
        """Keep only the sort (if not relevance): everything else is a filter."""
        query = QueryDict(mutable=True)
        sort = self.params.get("sort")
        if sort and sort != "relevance":
            query["sort"] = sort
        return query.urlencode()
