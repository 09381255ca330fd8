"""Faceted browsing of cases: filters (django-filter), disjunctive counts, chips."""

from .definitions import OUTCOME_FACET, TERM_FACETS
from .filterset import SORTS, CaseFilterSet, clean_params
from .query import CaseQuery, Chip, FacetPanel, FacetValue

__all__ = [
    "OUTCOME_FACET",
    "SORTS",
    "TERM_FACETS",
    "CaseFilterSet",
    "CaseQuery",
    "Chip",
    "FacetPanel",
    "FacetValue",
    "clean_params",
]
