"""Cases related to a case: the same policy field elsewhere, and its chapter's others.

Each related case comes with the fields in which it differs from the case being
read (named as ``case_field_rows`` names them), which is what makes a related
case worth following: "the same childcare arrangement, but a municipal provider".
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from ..models import Case
from . import case_index
from .case_index import Chosen
from .presenters import case_field_rows

MAX_SAME_FIELD = 6
MAX_SAME_CHAPTER = 12


@dataclass(frozen=True)
class RelatedCase:
    case: Case
    differences: list[str]  # labels of the fields whose values differ


@dataclass(frozen=True)
class RelatedCases:
    same_field: list[RelatedCase]
    same_chapter: list[RelatedCase]
    same_chapter_total: int

    def __bool__(self) -> bool:
        return bool(self.same_field or self.same_chapter)


# The chapter is shown beside each related case (and differs by construction for
# the same-field list), so naming it among the differences would only add noise.
NOT_COMPARED = {"chapter"}


def differing_fields(case: Case, other: Case, rows=None) -> list[str]:
    """Labels of the fields in which two cases (loaded ``with_related``) differ.

    ``rows``: ``case_field_rows(case)`` when the caller has them already.
    """
    rows = rows if rows is not None else case_field_rows(case)
    return [
        mine.label
        for mine, theirs in zip(rows, case_field_rows(other), strict=True)
        if mine.key not in NOT_COMPARED and mine.text != theirs.text
    ]


def choose_by_sql(case: Case) -> Chosen:
    """The related lists chosen in SQL (SQLite, which has no data stamp): three queries.

    ``case`` loaded ``with_related``. Gives what :meth:`CaseIndex.choose` gives.
    """
    others = Case.objects.published().exclude(pk=case.pk)
    same_chapter = others.filter(chapter_id=case.chapter_id)
    chapter_total = same_chapter.count()
    chapter_ids = list(
        same_chapter.order_by("title", "pk").values_list("pk", flat=True)[:MAX_SAME_CHAPTER]
    )
    field_ids: list[int] = []
    policy_fields = [term.pk for term in case.policy_fields.all()]
    if policy_fields:
        countries = [country.pk for country in case.countries.all()]
        elsewhere = Case.countries.through.objects.filter(case_id=OuterRef("pk")).exclude(
            country_id__in=countries
        )
        field_ids = list(
            others.exclude(chapter_id=case.chapter_id)
            .filter(policy_fields__in=policy_fields)
            .filter(Exists(elsewhere))
            .annotate(shared=Count("policy_fields", distinct=True))
            .order_by("-shared", "title", "pk")
            .values_list("pk", flat=True)[:MAX_SAME_FIELD]
        )
    return Chosen(field_ids, chapter_ids, chapter_total)


def _choose_in_memory(pk: int, using: str) -> Chosen | None:
    index = case_index.current(using)
    if index is None:
        return None
    return index.choose(pk, MAX_SAME_FIELD, MAX_SAME_CHAPTER)


def _assemble(case: Case, chosen: Chosen, loaded: dict) -> RelatedCases:
    mine = case_field_rows(case)  # once, not once per related case

    def related(ids):
        return [RelatedCase(loaded[pk], differing_fields(case, loaded[pk], mine)) for pk in ids]

    return RelatedCases(
        related(chosen.same_field), related(chosen.same_chapter), chosen.same_chapter_total
    )


def related_cases(case: Case) -> RelatedCases:
    """Related published cases of ``case`` (loaded with ``with_related``).

    Chosen from the in-memory index where there is one (PostgreSQL: the stamp's one
    query), else in SQL; then one ``with_related`` load of the chosen cases.
    """
    chosen = _choose_in_memory(case.pk, case._state.db) or choose_by_sql(case)
    ids = [*chosen.same_field, *chosen.same_chapter]
    loaded = Case.objects.using(case._state.db).with_related().in_bulk(ids) if ids else {}
    return _assemble(case, chosen, loaded)


def published_case_with_related(slug: str) -> tuple[Case, RelatedCases]:
    """The case page's case and its related cases, loaded together.

    With the in-memory index (PostgreSQL): the stamp, the case's pk, then one
    ``with_related`` load of the case and its related cases at once. Without
    (SQLite): the case, the SQL choice, then the related cases. Raises
    Case.DoesNotExist.
    """
    published = Case.objects.published()
    index = case_index.current(published.db)
    if index is None:
        case = published.with_related().get(slug=slug)
        return case, related_cases(case)
    head = published.filter(slug=slug).values_list("pk", flat=True).first()
    chosen = index.choose(head, MAX_SAME_FIELD, MAX_SAME_CHAPTER) if head else None
    if chosen is None:  # no such published case (or published after the stamp was read)
        case = published.with_related().get(slug=slug)
        return case, related_cases(case)
    loaded = published.with_related().in_bulk([head, *chosen.same_field, *chosen.same_chapter])
    case = loaded[head]
    return case, _assemble(case, chosen, loaded)
