from functools import partial

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext

from ..facets import CaseQuery
from ..facets.page import IndexedRows, cells_from_prefetched, list_rows
from ..models import Case, Release
from ..plumbing.bad_parameter import BadParameter
from ..reads.case_page import case_page
from ..reads.citations import chapter_apa, chapter_bibtex
from ..reads.presenters import rows_html
from ..reads.related import related_lines
from ..reads.search import uses_fts
from ..reads.search_explain import explain
from ..reads.search_suggest import suggestion
from ..releases import status as live_release
from .citing import record_citation

PAGE_SIZE = 25


def case_list(request):
    """The faceted list: filters, search, disjunctive counts, chips, sort, pages.

    A fixed number of queries however many cases and values: the ticked values'
    look-ups (one per facet with a selection), one count per facet, the result
    count, the page and three prefetches; on PostgreSQL one more for the data
    stamp, and the counts come from the cache while the data is unchanged. With the
    worker's case index (PostgreSQL, facets/page.py): the look-ups, the stamp (and a
    search's matches), the page's cases by primary key and the release section's one.
    """
    query = CaseQuery(request.GET)
    page_param = request.GET.get("page", "").strip()
    if page_param and not page_param.isdigit():
        raise BadParameter("page", gettext("must be a whole number from 1."))
    paginator = Paginator(list_rows(query), PAGE_SIZE)
    paginator.count = query.count()  # cached with the facet counts where possible
    number = page_param or 1
    try:
        page = paginator.page(number)
    except EmptyPage as exc:
        message = gettext("There is no page %(number)s of these results.") % {"number": number}
        raise Http404(message) from exc
    chips = query.chips()
    cases = list(page.object_list)
    if not isinstance(paginator.object_list, IndexedRows):
        cells_from_prefetched(cases)
    matches = explain(cases, query.filterset.search, query.db, query.case_index())
    for case in cases:
        case.match = matches.get(case.pk)
    context = {
        "query": query,
        "page": page,
        "cases": cases,
        "panels": query.facet_panels(),
        "chips": chips,
        # The search is a chip but no filter (its name is translated: compare in the language).
        "filter_count": sum(1 for chip in chips if str(chip.name) != gettext("Search")),
        "removals": _removals(query, chips) if not paginator.count else [],
        "suggestion": suggestion(query) if not paginator.count else None,
        "sort_choices": query.sort_choices,
        "search_mode": gettext("ranked full-text") if uses_fts(query.db) else gettext("substring"),
        **record_citation(
            request,
            title="Co-production cases" + (" (filtered list)" if query.is_filtered else ""),
            description="Data set, list view",
            key="atlas:cases",
        ),
    }
    return render(request, "casestudies/case_list.html", context)


def _removals(query, chips) -> list[dict]:
    """For an empty list: each active filter with how many cases removing it would give.

    Runs one count query per parameter a chip removes entirely (the search, the
    period bounds, a facet's only ticked value). Removing one of several ticked
    values of a facet gives 0 without a query: the list ORs them, so the others
    matched nothing under the remaining filters either.
    """
    counts = {}
    removals = []
    for chip in chips:
        gone = set(query.params) - set(QueryDict(chip.remove_query)) - {"sort"}
        param = next(iter(gone), None)
        if param is None:
            count = 0
        elif param in counts:
            count = counts[param]
        else:
            count = counts[param] = query.filterset.queryset_without(param).count()
        removals.append({"chip": chip, "count": count})
    return removals


def _live_release_sql(request, using: str):
    """The live release's statement, for the case page's first (when this request
    has not read it and the releases are read where the case is)."""
    if not live_release.wanted(request) or Release.objects.all().db != using:
        return None
    sql, params = live_release.status_sql(using)
    return sql, params, live_release.STATUS_COLUMNS


def case_detail(request, slug):
    """One case: its coding, outcomes, sources, related cases and citations.

    A fixed number of queries: on PostgreSQL two, the data stamp, the live release
    the record's citation names and the case with its outcomes and sources in one
    statement, then its related cases' own columns (their coded values and the
    case's own come from the in-memory case index: casestudies/reads/case_page.py).
    SQLite (no index) loads every case ``with_related``.
    """
    try:
        page = case_page(slug, alongside=partial(_live_release_sql, request))
    except Case.DoesNotExist as exc:
        raise Http404(gettext("No published case here.")) from exc
    case = page.case
    if page.alongside is not None:
        live_release.remember(request, live_release.status_of(page.alongside, case._state.db))
    context = {
        "case": case,
        "rows": page.rows,
        "rows_html": rows_html(page.rows),  # what the template prints of them
        "outcomes": page.outcomes,
        "sources": page.sources,
        "citation_apa": chapter_apa(case.chapter),
        "citation_bibtex": chapter_bibtex(case.chapter),
        "related": page.related,
        "related_same_field": related_lines(case, page.related.same_field),
        "related_same_chapter": related_lines(case, page.related.same_chapter),
        **record_citation(
            request,
            title=case.title,
            description="Case record",
            key=f"atlas:{case.slug}",
            year=case.updated_at.year,
        ),
    }
    return render(request, "casestudies/case_detail.html", context)
