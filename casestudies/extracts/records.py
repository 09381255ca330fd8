"""Cases as plain records, read in chunks with a fixed number of queries per chunk.

Django's ``prefetch_related`` builds a filtered queryset per case and relation
(11 relations x 100,000 cases = over a million clones), which alone takes minutes.
The extracts need only values, so each chunk is read as tuples: one query for
the cases (with chapter and influence joined) and one per relation keyed by
case id (9 many-to-many fields, outcomes, sources): 12 queries per chunk of
CHUNK_SIZE cases, whatever the number of rows, and one chunk in memory.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime

from ..models import CASE_M2M_DIMENSIONS, Case, CaseSource, Outcome

CHUNK_SIZE = 2000

CASE_FIELDS = (
    "pk",
    "slug",
    "title",
    "summary",
    "locality",
    "participants",
    "start_year",
    "end_year",
    "units_studied",
    "source_pages",
    "coder_note",
    "status",
    "updated_at",
    "chapter__number",
    "chapter__title",
    "chapter__authors",
    "chapter__source__slug",
    "users_influence__slug",
)
VOCAB_FIELDS = [name for name, _model in CASE_M2M_DIMENSIONS if name != "countries"]


class CaseRecord:
    """What an extract row needs of a case: values only, no database access."""

    __slots__ = (
        "chapter_authors",
        "chapter_number",
        "chapter_source",
        "chapter_title",
        "coder_note",
        "countries",
        "end_year",
        "locality",
        "outcomes",
        "outcomes_by_dimension",
        "participants",
        "pk",
        "slug",
        "source_pages",
        "sources",
        "start_year",
        "status",
        "summary",
        "terms",
        "title",
        "units_studied",
        "updated_at",
        "users_influence",
    )

    def __init__(self, row: tuple):
        (
            self.pk,
            self.slug,
            self.title,
            self.summary,
            self.locality,
            self.participants,
            self.start_year,
            self.end_year,
            self.units_studied,
            self.source_pages,
            self.coder_note,
            self.status,
            self.updated_at,
            self.chapter_number,
            self.chapter_title,
            self.chapter_authors,
            self.chapter_source,
            self.users_influence,
        ) = row
        self.updated_at: datetime
        # (code, name, world region slug, welfare tradition slug), in country-name order
        self.countries: list[tuple] = []
        self.terms: dict[str, list[str]] = {name: [] for name in VOCAB_FIELDS}
        # (dimension pk, dimension slug, direction slug, finding, pages), in codebook order
        self.outcomes: list[tuple] = []
        self.outcomes_by_dimension: dict[int, tuple] = {}
        # (source slug, confidence, locator, note), in a stable order
        self.sources: list[tuple] = []


def _column(model, attname: str) -> str:
    """The table-qualified, quoted column, as the joins of the query need it."""
    from django.db import connection

    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(attname)}"


def _through(name: str):
    field = Case._meta.get_field(name)
    through = field.remote_field.through
    return through, field.m2m_field_name() + "_id", field.m2m_reverse_field_name()


def _case_ids_in(column: str, ids: list[int]) -> dict:
    """``extra()`` arguments for ``<column> IN (1, 2, ...)``.

    The ids are integers read from the database a moment ago, so writing them into
    the SQL is safe; it spares Django preparing 2,000 parameters for each of the 11
    queries of every chunk (seconds over 100,000 cases).
    """
    values = ",".join(str(int(i)) for i in ids)
    return {"where": [f"{column} IN ({values})"]}


def _load_relations(records: dict[int, CaseRecord], *, full: bool) -> None:
    ids = list(records)
    through, case_attr, target = _through("countries")
    for case_id, *country in (
        through.objects.extra(**_case_ids_in(_column(through, case_attr), ids))
        .order_by(f"{target}__name", f"{target}__code")
        .values_list(
            case_attr,
            f"{target}__code",
            f"{target}__name",
            f"{target}__world_region__slug",
            f"{target}__welfare_tradition__slug",
        )
    ):
        records[case_id].countries.append(tuple(country))
    outcomes = (
        Outcome.objects.extra(**_case_ids_in(_column(Outcome, "case_id"), ids))
        .order_by("dimension__order", "dimension__label", "dimension_id")
        .values_list(
            "case_id", "dimension_id", "dimension__slug", "direction__slug", "finding", "pages"
        )
    )
    for case_id, *outcome in outcomes:
        record = records[case_id]
        record.outcomes.append(tuple(outcome))
        record.outcomes_by_dimension[outcome[0]] = tuple(outcome)
    if not full:
        return
    for name in VOCAB_FIELDS:
        through, case_attr, target = _through(name)
        for case_id, slug in (
            through.objects.extra(**_case_ids_in(_column(through, case_attr), ids))
            .order_by(f"{target}__order", f"{target}__label", f"{target}__slug")
            .values_list(case_attr, f"{target}__slug")
        ):
            records[case_id].terms[name].append(slug)
    for case_id, *source in (
        CaseSource.objects.extra(**_case_ids_in(_column(CaseSource, "case_id"), ids))
        .order_by("confidence", "source__year", "source__slug")
        .values_list("case_id", "source__slug", "confidence", "locator", "note")
    ):
        records[case_id].sources.append(tuple(source))


def iter_records(
    queryset, *, full: bool = True, chunk_size: int | None = None
) -> Iterator[CaseRecord]:
    """Records of the queryset's cases in its order; 12 queries per chunk (3 if not full)."""
    size = chunk_size or CHUNK_SIZE
    rows = queryset.values_list(*CASE_FIELDS).iterator(chunk_size=size)
    chunk: dict[int, CaseRecord] = {}
    for row in rows:
        record = CaseRecord(row)
        chunk[record.pk] = record
        if len(chunk) >= size:
            yield from _flush(chunk, full)
            chunk = {}
    if chunk:
        yield from _flush(chunk, full)


def _flush(chunk: dict[int, CaseRecord], full: bool) -> Iterable[CaseRecord]:
    _load_relations(chunk, full=full)
    return chunk.values()
