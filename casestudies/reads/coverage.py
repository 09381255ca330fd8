"""The coverage page's reads: how completely each chapter's cases are coded.

(The case list's query, which the list, the matrix, the map, the outcomes and
every extract share, is ``casestudies.facets.CaseQuery``: pages call it directly.)
"""

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Q

from .. import datastamp
from ..benchmark.synthetic import SYNTHETIC_SOURCE_SLUG
from ..models import DIMENSION_FIELDS, Case, CaseStatus, Chapter, Outcome, m2m_link
from .presenters import FIELD_LABELS

# --- the coverage page ----------------------------------------------------------------

# Rows of the case page that are not coded per case: the chapter is always there,
# and the welfare tradition is derived from the countries.
NOT_CODED_PER_CASE = {"chapter", "welfare_tradition"}
COVERAGE_CACHE_PREFIX = "coverage"


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


def _stated_conditions() -> dict[str, Q]:
    """Per coded dimension, in the case page's order: when a case has it stated.

    The same meaning as ``FieldRow.is_stated`` on the case page (a test holds
    them together), as conditions the database counts. Many-valued dimensions
    and outcomes are "the case's id is in the link table", which PostgreSQL
    answers with one hashed scan of each table, not a probe per case.
    """
    conditions = {}
    for key in FIELD_LABELS:
        if key in NOT_CODED_PER_CASE:
            continue
        if key in DIMENSION_FIELDS:
            through, case_field, _term = m2m_link(key)
            conditions[key] = Q(pk__in=through.objects.values(case_field.attname))
        elif key == "outcomes":
            conditions[key] = Q(pk__in=Outcome.objects.values("case_id"))
        elif key == "period":
            conditions[key] = Q(start_year__isnull=False) | Q(end_year__isnull=False)
        elif key in ("users_influence", "units_studied"):
            conditions[key] = Q(**{f"{key}__isnull": False})
        else:  # a text field
            conditions[key] = ~Q(**{key: ""})
    return conditions


def _coverage_counts() -> dict[int, dict[str, int]]:
    """chapter id -> {"published", "unpublished", "coded_<key>"...}: one grouped query,
    cached on PostgreSQL under the data stamp (never stale: a write changes the stamp)."""
    cases = Case.objects.real()
    # The stamp from the database the counts come from (a replica for a public page),
    # so counts from a replica that lags are never served under a newer stamp.
    stamp = datastamp.data_stamp(connections[cases.db])
    key = f"{COVERAGE_CACHE_PREFIX}:{stamp}"
    if stamp is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    published = Q(status=CaseStatus.PUBLISHED)
    counted = {
        "published": Count("pk", filter=published),
        "unpublished": Count("pk", filter=~published),
        **{f"coded_{k}": Count("pk", filter=q) for k, q in _stated_conditions().items()},
    }
    rows = cases.order_by().values("chapter_id").annotate(**counted)
    counts = {row.pop("chapter_id"): row for row in rows}
    if stamp is not None:
        cache.set(key, counts, datastamp.timeout())
    return counts


def coverage_chapters():
    """The chapters the coverage page lists: every chapter but the synthetic benchmark's."""
    return (
        Chapter.objects.select_related("source")
        .exclude(source__slug=SYNTHETIC_SOURCE_SLUG)
        .order_by("source__year", "source__title", "number")
    )


def coverage_summary() -> tuple[list[ChapterCoverage], list[DimensionCount]]:
    """Coded vs not stated, per chapter and over all real cases (drafts included).

    Two queries (the chapters, the counts; the counts come from the cache when
    the data has not changed), whatever the number of cases.
    """
    keys = [key for key in FIELD_LABELS if key not in NOT_CODED_PER_CASE]
    counts = _coverage_counts()
    rows, overall = [], [DimensionCount(key, FIELD_LABELS[key]) for key in keys]
    for chapter in coverage_chapters():
        tally = counts.get(chapter.pk, {})
        entry = ChapterCoverage(
            chapter,
            published=tally.get("published", 0),
            unpublished=tally.get("unpublished", 0),
        )
        for key, total in zip(keys, overall, strict=True):
            coded = tally.get(f"coded_{key}", 0)
            entry.dimensions.append(DimensionCount(key, FIELD_LABELS[key], coded, entry.total))
            total.coded += coded
            total.total += entry.total
        rows.append(entry)
    return rows, overall


@dataclass(frozen=True)
class UnpublishedRow:
    """One line of the curators' to-do list: plain values, so a page of them caches."""

    chapter_number: int
    chapter_authors: str
    chapter_url: str
    title: str
    status: str
    coder_note: str


class UnpublishedCases:
    """Real cases not yet published, for the curators' to-do list, to page with a Paginator.

    The count is known from ``coverage_summary`` (no COUNT query), and each page
    is one query for its rows, cached under the data stamp on PostgreSQL like
    the counts: the list can be thousands long, the page costs the same.
    """

    def __init__(self, total: int):
        self.total = total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[UnpublishedRow]:
        cases = Case.objects.real()
        stamp = datastamp.data_stamp(connections[cases.db])  # as in _coverage_counts
        key = f"{COVERAGE_CACHE_PREFIX}-drafts:{stamp}:{window.start}:{window.stop}"
        if stamp is not None:
            cached = cache.get(key)
            if cached is not None:
                return cached
        cases = (
            cases.filter(status__in=[s for s in CaseStatus.values if s != CaseStatus.PUBLISHED])
            .select_related("chapter")
            .only("title", "status", "coder_note", "chapter__number", "chapter__authors")
            .order_by("chapter__number", "title", "pk")[window]
        )
        rows = [
            UnpublishedRow(
                case.chapter.number,
                case.chapter.authors,
                case.chapter.get_absolute_url(),
                case.title,
                case.get_status_display(),
                case.coder_note,
            )
            for case in cases
        ]
        if stamp is not None:
            cache.set(key, rows, datastamp.timeout())
        return rows
