"""Cases related to a case: the same policy field elsewhere, and its chapter's others.

Each related case comes with the fields in which it differs from the case being
read (named as ``case_field_rows`` names them), which is what makes a related
case worth following: "the same childcare arrangement, but a municipal provider".
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from ..models import Case
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


def differing_fields(case: Case, other: Case) -> list[str]:
    """Labels of the fields in which two cases (loaded ``with_related``) differ."""
    return [
        mine.label
        for mine, theirs in zip(case_field_rows(case), case_field_rows(other), strict=True)
        if mine.key not in NOT_COMPARED and mine.text != theirs.text
    ]


def related_cases(case: Case) -> RelatedCases:
    """Related published cases of ``case`` (loaded with ``with_related``).

    Same field: other chapters' cases sharing a policy field and set in at least
    one country this case is not, most shared fields first. Runs a bounded number
    of queries: three to choose and count, then one ``with_related`` load.
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

    if not chapter_ids and not field_ids:
        return RelatedCases([], [], 0)
    loaded = Case.objects.with_related().in_bulk([*chapter_ids, *field_ids])

    def related(ids):
        return [RelatedCase(loaded[pk], differing_fields(case, loaded[pk])) for pk in ids]

    return RelatedCases(related(field_ids), related(chapter_ids), chapter_total)
