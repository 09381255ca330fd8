"""The case-list query as a django-filter FilterSet, and its bad-input answers.

``clean_params`` reduces a query string to the keys the list knows, without
empty values or repeats. ``CaseFilterSet`` validates it (one query per facet
that has ticked values, to look the values up) and filters with each facet's
subquery condition. Invalid input becomes :class:`BadParameter`, naming the
parameter and, where there is a closed list, the allowed values.
"""

from functools import cached_property

import django_filters
from django import forms
from django.db import connections
from django.db.models import Value
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import MAX_YEAR, MIN_YEAR, OutcomeDimension, OutcomeDirection
from ..plumbing.bad_parameter import BadParameter
from ..reads.search import MAX_QUERY_LENGTH, parse_search, search_filter, search_rank
from ..reads.search_query import Search
from .definitions import OUTCOME_FACET, TERM_FACETS, TermFacet

SORTS = {
    "relevance": _("Relevance"),
    "title": _("Title (A–Z)"),
    "country": _("Country (A–Z)"),
    "start_year": _("Start year (earliest first)"),
    "updated": _("Recently updated"),
}
MULTI_PARAMS = [f.param for f in TERM_FACETS] + [OUTCOME_FACET.param]
SINGLE_PARAMS = ["q", "year_from", "year_to", "sort"]
MAX_VALUES = 50  # per facet: more is not a real selection


def clean_params(params: QueryDict) -> QueryDict:
    """Known keys only, values stripped, empty values and repeats dropped.

    Countries are upper-cased (ISO codes; ``se`` means ``SE``). A single-valued
    key given twice keeps its last value, as ``QueryDict.get`` does.
    """
    cleaned = QueryDict(mutable=True)
    for key in MULTI_PARAMS:
        values = []
        for raw in params.getlist(key):
            value = raw.strip()
            if key == "country":
                value = value.upper()
            if "\x00" in value or (key == "chapter" and value and not _is_chapter_number(value)):
                # Caught before any look-up: the database would choke on these.
                raise BadParameter(
                    key, gettext("unknown value %(value)r.") % {"value": value[:40]}, _allowed(key)
                )
            if value and value not in values:
                values.append(value)
        if len(values) > MAX_VALUES:
            raise BadParameter(
                key,
                gettext("at most %(limit)s values may be selected at once.")
                % {"limit": MAX_VALUES},
            )
        if values:
            cleaned.setlist(key, values)
    for key in SINGLE_PARAMS:
        value = (params.getlist(key) or [""])[-1].strip()
        if "\x00" in value:
            raise BadParameter(key, gettext("contains a null character."))
        if value:
            cleaned[key] = value
    return cleaned


class TermFilter(django_filters.ModelMultipleChoiceFilter):
    """Ticked terms of one facet, OR-ed in one subquery (see definitions.py)."""

    def __init__(self, *args, facet: TermFacet, **kwargs):
        self.facet = facet
        super().__init__(
            *args,
            queryset=facet.model.objects.all(),
            to_field_name=facet.key_field,
            **kwargs,
        )

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(self.facet.condition([term.pk for term in value]))


class OutcomeField(forms.Field):
    """``dimension:direction`` pairs, looked up in one query; cleaned to a list of dicts."""

    widget = forms.MultipleHiddenInput  # reads every value of the key, not the last

    def to_python(self, value):
        return list(value or [])

    def clean(self, value):
        values = self.to_python(value)
        if not values:
            return []
        pairs = []
        for raw in values:
            dim, sep, direction = raw.partition(":")
            if not sep or not dim or not direction:
                raise forms.ValidationError(
                    "'%(value)s' is not of the form dimension:direction.",
                    code="invalid_choice",
                    params={"value": raw},
                )
            pairs.append((raw, dim, direction))
        # Both vocabularies in one query, each row tagged with the table it came from.
        dims = (
            OutcomeDimension.objects.filter(slug__in={d for _, d, _ in pairs})
            .annotate(kind=Value("dimension"))
            .order_by()
            .values_list("kind", "pk", "slug", "label")
        )
        directions = (
            OutcomeDirection.objects.filter(slug__in={d for _, _, d in pairs})
            .annotate(kind=Value("direction"))
            .order_by()
            .values_list("kind", "pk", "slug", "label")
        )
        found = {(kind, slug): (pk, label) for kind, pk, slug, label in dims.union(directions)}
        cleaned = []
        for raw, dim, direction in pairs:
            if ("dimension", dim) not in found or ("direction", direction) not in found:
                raise forms.ValidationError(
                    "unknown outcome '%(value)s'.", code="invalid_choice", params={"value": raw}
                )
            dim_id, dim_label = found["dimension", dim]
            dir_id, dir_label = found["direction", direction]
            cleaned.append(
                {
                    "key": raw,
                    "dim_id": dim_id,
                    "dir_id": dir_id,
                    "label": f"{dim_label}: {dir_label.lower()}",
                }
            )
        return cleaned


class OutcomeFilter(django_filters.Filter):
    field_class = OutcomeField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(OUTCOME_FACET.condition([(v["dim_id"], v["dir_id"]) for v in value]))


class YearFilter(django_filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=MIN_YEAR, max_value=MAX_YEAR, **kwargs)


class SearchFilter(django_filters.CharFilter):
    """``q``: full-text search (casestudies/reads/search.py) with the filterset's parsed search."""

    def filter(self, qs, value):
        if not value:
            return qs
        return search_filter(qs, self.parent.search, connections[qs.db])


class SortFilter(django_filters.ChoiceFilter):
    """``sort``: validated with the other parameters; ``CaseQuery`` orders by it."""

    def filter(self, qs, value):
        return qs


class CaseFilterSet(django_filters.FilterSet):
    q = SearchFilter(max_length=MAX_QUERY_LENGTH)
    outcome = OutcomeFilter()
    year_from = YearFilter(field_name="start_year", lookup_expr="gte")
    year_to = YearFilter(field_name="start_year", lookup_expr="lte")
    sort = SortFilter(choices=list(SORTS.items()))
    # One filter per term facet, named by its URL parameter (after the others, in
    # the facets' order: the first bad parameter reported follows this order).
    vars().update({f.param: TermFilter(facet=f, field_name=f.param) for f in TERM_FACETS})

    @cached_property
    def search(self) -> Search | None:
        """The validated ``q`` read as a search (one query, for the synonyms), or None."""
        text = self.form.cleaned_data.get("q")
        return parse_search(text) if text else None

    def fall_back_to_any_word(self) -> None:
        """No case has every word: match cases with any of them from now on."""
        self.search = self.search.falling_back()
        if hasattr(self, "_qs"):
            del self._qs  # django-filter's cached result, built with the all-words search

    @property
    def rank(self):
        """The relevance of each case while searching, where the engine ranks; else None."""
        return search_rank(self.search, connections[self.queryset.db]) if self.search else None

    def queryset_without(self, *params: str):
        """The cases every filter selects except ``params``: a disjunctive-count base."""
        qs = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name not in params:
                qs = self.filters[name].filter(qs, value)
        return qs

    def validated(self) -> "CaseFilterSet":
        """Validate, raising :class:`BadParameter` for the first bad parameter."""
        if self.is_valid():
            start = self.form.cleaned_data.get("year_from")
            end = self.form.cleaned_data.get("year_to")
            if start is not None and end is not None and start > end:
                raise BadParameter(
                    "year_from",
                    gettext("the start (%(start)s) is after the end (year_to=%(end)s).")
                    % {"start": start, "end": end},
                )
            return self
        for name, errors in self.form.errors.as_data().items():
            raise _bad_parameter(self.filters[name], name, errors[0])
        raise AssertionError("invalid form without errors")


def _bad_parameter(filter_, name: str, error: forms.ValidationError) -> BadParameter:
    params = error.params or {}
    value = params.get("value", params.get("pk"))
    if name in ("year_from", "year_to"):
        message = gettext("must be a whole year from %(first)s to %(last)s.")
        return BadParameter(name, message % {"first": MIN_YEAR, "last": MAX_YEAR})
    if name == "q" and error.code == "max_length":
        message = gettext("a search may be at most %(limit)s characters long.")
        return BadParameter(name, message % {"limit": MAX_QUERY_LENGTH})
    if name == "sort":
        return BadParameter(
            name, gettext("unknown sort '%(value)s'.") % {"value": value}, list(SORTS)
        )
    if name == "outcome":
        message = gettext("unknown outcome '%(value)s'.") % {"value": value}
        return BadParameter(name, message, _outcome_values())
    if isinstance(filter_, TermFilter):
        message = gettext("unknown value '%(value)s'.") % {"value": value}
        return BadParameter(name, message, _allowed(name))
    return BadParameter(name, " ".join(error.messages))


def _is_chapter_number(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 5


def _allowed(param: str) -> list[str]:
    """The values a facet accepts (one query; only on the error path)."""
    if param == "outcome":
        return _outcome_values()
    facet = next(f for f in TERM_FACETS if f.param == param)
    return [str(v) for v in facet.model.objects.values_list(facet.key_field, flat=True)]


def _outcome_values() -> list[str]:
    dims = OutcomeDimension.objects.ordered().values_list("slug", flat=True)
    directions = list(OutcomeDirection.objects.ordered().values_list("slug", flat=True))
    return [f"{d}:{r}" for d in dims for r in directions]
