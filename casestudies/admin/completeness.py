"""Coding completeness: which codebook dimensions of a case are coded.

The indicator reads ``case_field_rows`` (the same rows the public case page
shows as "not stated"), so the admin and the site always agree on what is
missing. The list filter needs the same rule in SQL; ``STATED`` spells it out
row by row, and tests/test_admin_case.py checks that both give the same answer.
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from ..models import COUNTRIES, DIMENSIONS, Case, Outcome
from ..reads.presenters import case_field_rows


def coding_completeness(case: Case) -> tuple[int, int, list[str]]:
    """(coded, total, labels of the missing rows). No query on a prefetched case."""
    rows = case_field_rows(case)
    missing = [str(row.label) for row in rows if not row.is_stated]
    return len(rows) - len(missing), len(rows), missing


def _has(m2m_name: str) -> Exists:
    through = Case._meta.get_field(m2m_name).remote_field.through
    return Exists(through.objects.filter(case_id=OuterRef("pk")))


# case_field_rows key -> the SQL condition under which that row is stated.
STATED: dict[str, Q | Exists] = {
    "chapter": Q(chapter__isnull=False),
    "locality": ~Q(locality=""),
    # Stated whenever there is a country: an unclassified one reads "not classified".
    "welfare_tradition": _has(COUNTRIES.field),
    "users_influence": Q(users_influence__isnull=False),
    "participants": ~Q(participants=""),
    "period": Q(start_year__isnull=False) | Q(end_year__isnull=False),
    # The presenter shows 0 units as not stated.
    "units_studied": Q(units_studied__gt=0),
    "outcomes": Exists(Outcome.objects.filter(case_id=OuterRef("pk"))),
    # Every coded dimension: stated when the case has a value.
    **{d.field: _has(d.field) for d in DIMENSIONS},
}


def coding_complete_q() -> Q:
    q = Q()
    for condition in STATED.values():
        q &= condition
    return q


class CodingCompleteFilter(admin.SimpleListFilter):
    title = _("coding")
    parameter_name = "coding"

    def lookups(self, request, model_admin):
        return [("complete", _("Complete")), ("incomplete", _("Incomplete"))]

    def queryset(self, request, queryset):
        if self.value() == "complete":
            return queryset.filter(coding_complete_q())
        if self.value() == "incomplete":
            return queryset.exclude(coding_complete_q())
        return queryset
