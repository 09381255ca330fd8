"""The case list's page of rows: from the case index where it holds the query, else SQL.

In SQL the page is the ordered query with OFFSET (every selected case sorted to
keep 25: 15–20 ms for a filter, 300 ms and more deep in the unfiltered list at
100,000 cases) and three prefetches for the cells. Where the worker's case index
(casestudies/reads/case_index.py) was built under the current stamp and holds the
list's order (title, start year, first country), the page's cases are a slice of
its bitmaps, loaded by primary key in one query, and each row's countries, policy
fields and participation forms are the terms whose bitmaps hold it: no prefetch.

Either way every row carries its cells as :class:`RowCells`, so the template reads
the same thing whichever path gave the page.
"""

import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from ..models import (
    VOCABULARIES,
    Case,
    ParticipationForm,
    PolicyField,
    country_name,
    term_label,
)
from ..reads import case_index

# What a row of the list shows (templates/includes/case_results.html); the summary
# and the chapter's title also feed the search's match line (reads/search_explain.py).
# A search's match line also reads the case's own coded columns (its foreign keys to a
# vocabulary, such as users' influence).
ROW_FIELDS = [
    "id",
    "slug",
    "title",
    "start_year",
    "summary",
    "chapter__number",
    "chapter__authors",
    "chapter__title",
    *(
        f.name
        for f in Case._meta.concrete_fields
        if f.is_relation and f.related_model in VOCABULARIES
    ),
]


@dataclass(frozen=True)
class RowCells:
    """A row's links and coded cells: the case's and its chapter's URLs; countries as
    (URL, name in the page's language); policy fields and participation forms as what
    the ``localized`` filter shows."""

    url: str
    chapter_url: str
    countries: list[tuple[str, str]]
    policy_fields: list
    participation_forms: list


SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MARKER = "slug-marker-0"


class _Links:
    """The rows' URLs, reversed once a page: a case's by filling in its slug (the
    path converter's characters need no quoting), a chapter's once per chapter."""

    def __init__(self):
        self._case = reverse("casestudies:case_detail", args=[_MARKER])
        self._chapters: dict[int, str] = {}

    def case(self, case: Case) -> str:
        if SLUG.fullmatch(case.slug):
            return self._case.replace(_MARKER, case.slug)
        return case.get_absolute_url()

    def chapter(self, case: Case) -> str:
        if case.chapter_id not in self._chapters:
            self._chapters[case.chapter_id] = case.chapter.get_absolute_url()
        return self._chapters[case.chapter_id]


def cells_from_prefetched(cases: list[Case]) -> None:
    """``RowCells`` from the prefetched relations (``CaseQuery.cases_for_list``)."""
    links = _Links()
    for case in cases:
        case.cells = RowCells(
            links.case(case),
            links.chapter(case),
            [(c.get_absolute_url(), c.display_name) for c in case.countries.all()],
            list(case.policy_fields.all()),
            list(case.participation_forms.all()),
        )


class IndexedRows:
    """The selected cases in the list's order, paged from the case index.

    Slicing it (what ``Paginator.page`` does) runs one query: the page's cases by
    primary key. ``selected``: the cases the filters select (None: every published
    case); ``count``: how many that is.
    """

    def __init__(self, index, selected, order: list, count: int, using: str):
        self.index, self.selected, self.order = index, selected, order
        self._count, self.using = count, using

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, window: slice) -> list[Case]:
        start, stop = window.start or 0, window.stop if window.stop is not None else self._count
        positions = case_index.page_in(self.order, self.selected, start, max(0, stop - start))
        pks = [self.index.pk_at(p) for p in positions]
        loaded = (
            Case.objects.using(self.using).select_related("chapter").only(*ROW_FIELDS).in_bulk(pks)
        )
        # A case gone since the stamp was read (a commit racing this request) is left out.
        rows = [(loaded[pk], p) for pk, p in zip(pks, positions, strict=True) if pk in loaded]
        urls: dict[str, str] = {}

        def country(term) -> tuple[str, str]:
            if term.key not in urls:
                urls[term.key] = reverse("casestudies:country_detail", args=[term.key.lower()])
            return urls[term.key], country_name(term.key, term.label)

        def labels(param: str, model, position: int) -> list:
            return [term_label(model, t.key, t.label) for t in self.index.terms_at(param, position)]

        links = _Links()
        for case, position in rows:
            case.cells = RowCells(
                links.case(case),
                links.chapter(case),
                [country(t) for t in self.index.terms_at(case_index.RELATED_COUNTRY, position)],
                labels("policy_field", PolicyField, position),
                labels("participation_form", ParticipationForm, position),
            )
        return [case for case, _ in rows]


def list_rows(query) -> "IndexedRows | QuerySet":
    """What the list's paginator pages for the ``CaseQuery`` ``query``: its cases from
    the case index where it holds the query and its order (relevance included: the
    search's hits come grouped by rank), else the SQL query (``cases_for_list``, whose
    rows get their cells from ``cells_from_prefetched``)."""
    found = query.selected_in_memory()
    order = None if found is None else query.order_in_memory(found[0])
    if order is None:
        return query.cases_for_list()
    index, selected = found
    selected = None if selected is index.published else selected
    return IndexedRows(index, selected, order, query.count(), query.db.alias)
