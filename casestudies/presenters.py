"""How a case reads to a person: labelled rows, with "not stated" for unknowns.

Shared by the case page, the compare view and anything else that lays a case
out field by field, so every page names and orders the fields the same way.
Expects a case loaded with ``Case.objects.with_related()`` (no queries here).
"""

from dataclasses import dataclass

from .models import Case

NOT_STATED = "not stated"


@dataclass(frozen=True)
class FieldRow:
    key: str
    label: str
    values: tuple[str, ...]
    links: tuple[str, ...] = ()

    @property
    def items(self) -> list[tuple[str, str]]:
        """(text, link or "") pairs, for templates that link some values."""
        links = self.links or ("",) * len(self.values)
        return list(zip(self.values, links, strict=True))

    @property
    def is_stated(self) -> bool:
        return bool(self.values)

    @property
    def text(self) -> str:
        return "; ".join(self.values) if self.values else NOT_STATED


def _labels(manager) -> tuple[str, ...]:
    return tuple(str(term) for term in manager.all())


def period_text(case: Case) -> tuple[str, ...]:
    if case.start_year and case.end_year:
        return (f"{case.start_year}–{case.end_year}",)
    if case.start_year:
        return (f"from {case.start_year}",)
    if case.end_year:
        return (f"until {case.end_year}",)
    return ()


def case_field_rows(case: Case) -> list[FieldRow]:
    countries = list(case.countries.all())
    traditions = []
    for country in countries:
        tradition = (
            country.welfare_tradition.label if country.welfare_tradition else "not classified"
        )
        traditions.append(f"{country.name}: {tradition}")
    outcomes = tuple(f"{o.dimension}: {o.direction}" for o in case.outcomes.all())
    return [
        FieldRow(
            "chapter",
            "Chapter",
            (f"{case.chapter.number}. {case.chapter.authors}",),
            (case.chapter.get_absolute_url(),),
        ),
        FieldRow(
            "countries",
            "Countries",
            tuple(c.name for c in countries),
            tuple(c.get_absolute_url() for c in countries),
        ),
        FieldRow("locality", "Locality", (case.locality,) if case.locality else ()),
        FieldRow("welfare_tradition", "Welfare tradition", tuple(traditions)),
        FieldRow("policy_fields", "Policy fields", _labels(case.policy_fields)),
        FieldRow("provider_types", "Provider types", _labels(case.provider_types)),
        FieldRow("participation_forms", "Participation forms", _labels(case.participation_forms)),
        FieldRow("levels", "Level", _labels(case.levels)),
        FieldRow("phases", "Phases", _labels(case.phases)),
        FieldRow(
            "participation_dimensions",
            "Participation dimensions",
            _labels(case.participation_dimensions),
        ),
        FieldRow(
            "users_influence",
            "Users' influence",
            (str(case.users_influence),) if case.users_influence else (),
        ),
        FieldRow("citizen_roles", "Citizen roles", _labels(case.citizen_roles)),
        FieldRow("participants", "Participants", (case.participants,) if case.participants else ()),
        FieldRow("period", "Period", period_text(case)),
        FieldRow("methods", "Method", _labels(case.methods)),
        FieldRow(
            "units_studied",
            "Units studied",
            (str(case.units_studied),) if case.units_studied else (),
        ),
        FieldRow("outcomes", "Outcomes", outcomes),
    ]
