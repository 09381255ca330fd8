"""The coverage page: per chapter, what is coded and what is still "not stated".

It is the curators' to-do list, so unlike the public lists it counts drafts and
shows their titles and coder's notes. It reads every real case once through
``Case.objects.real().with_related()`` and lays each out with
``case_field_rows`` (the same rows the case page shows), so the page runs a
fixed number of queries however many cases there are.
"""

from dataclasses import dataclass, field

from django.shortcuts import render

from ..models import Case, CaseStatus, Chapter
from ..presenters import case_field_rows

# Rows of case_field_rows that are not coded per case: the chapter is always
# there, and the welfare tradition is derived from the countries.
NOT_CODED_PER_CASE = {"chapter", "welfare_tradition"}


@dataclass
class DimensionCount:
    key: str
    label: str
    coded: int = 0
    total: int = 0

    @property
    def not_stated(self) -> int:
        return self.total - self.coded

    @property
    def percent(self) -> int:
        return round(100 * self.coded / self.total) if self.total else 0

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.coded == self.total


@dataclass
class ChapterCoverage:
    chapter: Chapter
    published: int = 0
    unpublished: int = 0
    dimensions: list[DimensionCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.published + self.unpublished


def _blank_counts(keys) -> list[DimensionCount]:
    return [DimensionCount(key, label) for key, label in keys]


def coverage_summary(chapters, cases: list[Case]):
    """Tally coded vs not stated per chapter and overall.

    ``cases`` must come from ``with_related()``: then this runs no query.
    """
    # Dimensions and labels come from the presenter, so they match the case page.
    keys = [(row.key, row.label) for row in case_field_rows(cases[0])] if cases else []
    keys = [(key, label) for key, label in keys if key not in NOT_CODED_PER_CASE]
    by_chapter = {ch.pk: ChapterCoverage(ch, dimensions=_blank_counts(keys)) for ch in chapters}
    overall = _blank_counts(keys)
    for case in cases:
        entry = by_chapter.get(case.chapter_id)
        if entry is None:
            continue
        if case.status == CaseStatus.PUBLISHED:
            entry.published += 1
        else:
            entry.unpublished += 1
        stated = {row.key: row.is_stated for row in case_field_rows(case)}
        for counts in (entry.dimensions, overall):
            for count in counts:
                count.total += 1
                count.coded += stated[count.key]
    return list(by_chapter.values()), overall


def coverage(request):
    # Chapters of real sources only: the synthetic benchmark chapter has no real cases.
    chapters = (
        Chapter.objects.select_related("source")
        .exclude(cases__is_synthetic=True)
        .distinct()
        .order_by("source__year", "source__title", "number")
    )
    cases = list(Case.objects.real().with_related().order_by("chapter__number", "title"))
    rows, overall = coverage_summary(chapters, cases)
    unpublished = [case for case in cases if case.status != CaseStatus.PUBLISHED]
    context = {
        "rows": rows,
        "overall": overall,
        "dimension_labels": [d.label for d in overall],
        "case_count": len(cases),
        "published_count": len(cases) - len(unpublished),
        "unpublished": unpublished,
    }
    return render(request, "casestudies/coverage.html", context)
