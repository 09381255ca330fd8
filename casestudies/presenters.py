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


# Every row of case_field_rows, in order: key -> label. Pages that count or list the
# dimensions (the coverage page) name them from here, so they read as on the case page.
FIELD_LABELS = {
    "chapter": "Chapter",
    "countries": "Countries",
    "locality": "Locality",
    "welfare_tradition": "Welfare tradition",
    "policy_fields": "Policy fields",
    "provider_types": "Provider types",
    "participation_forms": "Participation forms",
    "levels": "Level",
    "phases": "Phases",
    "participation_dimensions": "Participation dimensions",
    "users_influence": "Users' influence",
    "citizen_roles": "Citizen roles",
    "participants": "Participants",
    "period": "Period",
    "methods": "Method",
    "units_studied": "Units studied",
    "outcomes": "Outcomes",
}


def _row(key: str, values: tuple[str, ...], links: tuple[str, ...] = ()) -> FieldRow:
    return FieldRow(key, FIELD_LABELS[key], values, links)


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
        _row(
            "chapter",
            (f"{case.chapter.number}. {case.chapter.authors}",),
            (case.chapter.get_absolute_url(),),
        ),
        _row(
            "countries",
            tuple(c.name for c in countries),
            tuple(c.get_absolute_url() for c in countries),
        ),
        _row("locality", (case.locality,) if case.locality else ()),
        _row("welfare_tradition", tuple(traditions)),
        _row("policy_fields", _labels(case.policy_fields)),
        _row("provider_types", _labels(case.provider_types)),
        _row("participation_forms", _labels(case.participation_forms)),
        _row("levels", _labels(case.levels)),
        _row("phases", _labels(case.phases)),
        _row(
            "participation_dimensions",
            _labels(case.participation_dimensions),
        ),
        _row(
            "users_influence",
            (str(case.users_influence),) if case.users_influence else (),
        ),
        _row("citizen_roles", _labels(case.citizen_roles)),
        _row("participants", (case.participants,) if case.participants else ()),
        _row("period", period_text(case)),
        _row("methods", _labels(case.methods)),
        _row(
            "units_studied",
            (str(case.units_studied),) if case.units_studied else (),
        ),
        _row("outcomes", outcomes),
    ]
