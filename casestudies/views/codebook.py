"""The codebook: every term, its definition, and how many published cases carry it.

Each term links to the case list filtered to it where the list can filter by its
vocabulary (the facets' vocabularies, and outcomes as dimension × direction
pairs); the count is the number the list then shows. Vocabularies the list does
not filter by (citizen roles, methods, users' influence) show their count only.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst

from ..facets import CaseQuery
from ..facets.definitions import OUTCOME_FACET, TERM_FACETS
from ..models import (
    VOCABULARIES,
    Case,
    CaseStatus,
    InfluenceLevel,
    Outcome,
    OutcomeDimension,
    OutcomeDirection,
)


@dataclass(frozen=True)
class TermCount:
    count: int
    query: str  # the case-list query selecting these cases; "" where the list cannot


def _facet_counts(panels: dict) -> dict[tuple[type, str], TermCount]:
    """Counts of every facet vocabulary's terms, from the list's own counting query."""
    counts = {}
    for facet in TERM_FACETS:
        panel = panels[facet.param]
        for value in [*panel.values, *panel.empty]:
            counts[facet.model, value.key] = TermCount(
                value.count, urlencode({facet.param: value.key})
            )
    return counts


def _outcome_counts(panel, directions: list[OutcomeDirection]) -> dict[tuple[type, str], TermCount]:
    """Outcome dimensions and directions as the list selects them: OR-ed pairs.

    A dimension's cases are those with any direction coded on it (one outcome per
    case and dimension, so the pair counts add up); a direction's are those with
    it on any dimension, counted distinct in one query.
    """
    by_dimension: dict[str, int] = {}
    for value in panel.values:
        dimension = value.key.split(":", 1)[0]
        by_dimension[dimension] = by_dimension.get(dimension, 0) + value.count
    dimensions = list(OutcomeDimension.objects.ordered().values_list("slug", flat=True))
    counts = {}
    for dimension in dimensions:
        pairs = [(OUTCOME_FACET.param, f"{dimension}:{d.slug}") for d in directions]
        counts[OutcomeDimension, dimension] = TermCount(
            by_dimension.get(dimension, 0), urlencode(pairs)
        )
    distinct = dict(
        Outcome.objects.filter(case__status=CaseStatus.PUBLISHED)
        .values_list("direction__slug")
        .annotate(n=Count("case", distinct=True))
    )
    for direction in directions:
        pairs = [(OUTCOME_FACET.param, f"{dimension}:{direction.slug}") for dimension in dimensions]
        counts[OutcomeDirection, direction.slug] = TermCount(
            distinct.get(direction.slug, 0), urlencode(pairs)
        )
    return counts


def _unfiltered_counts(model: type) -> dict[tuple[type, str], TermCount]:
    """Published cases per term of a vocabulary the list does not filter by."""
    published = Case.objects.published().order_by()
    if model is InfluenceLevel:
        rows = published.values_list("users_influence__slug").annotate(n=Count("pk"))
    else:
        field = next(
            f for f in Case._meta.many_to_many if f.related_model is model
        )  # citizen roles, methods
        rows = published.values_list(f"{field.name}__slug").annotate(n=Count("pk"))
    return {(model, slug): TermCount(n, "") for slug, n in rows if slug}


def codebook(request):
    directions = list(OutcomeDirection.objects.ordered())
    # The unfiltered list's panels: the very counts the list shows beside each value.
    panels = {panel.param: panel for panel in CaseQuery(QueryDict()).facet_panels()}
    counts = _facet_counts(panels) | _outcome_counts(panels[OUTCOME_FACET.param], directions)
    faceted = {facet.model for facet in TERM_FACETS} | {OutcomeDimension, OutcomeDirection}
    for model in VOCABULARIES:
        if model not in faceted:
            counts |= _unfiltered_counts(model)
    list_url = reverse("casestudies:case_list")
    vocabularies = []
    for model in VOCABULARIES:
        rows = []
        for term in directions if model is OutcomeDirection else model.objects.ordered():
            found = counts.get((model, term.slug), TermCount(0, ""))
            link = f"{list_url}?{found.query}" if found.query and found.count else ""
            rows.append((term, found.count, link))
        vocabularies.append(
            {
                "key": model.vocabulary_key,
                "name": capfirst(model._meta.verbose_name_plural),
                "description": model.description,
                "terms": rows,
                "filterable": model in faceted,
            }
        )
    return render(request, "casestudies/codebook.html", {"vocabularies": vocabularies})
