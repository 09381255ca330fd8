"""How a case reads to a person: labelled rows, with "not stated" for unknowns.

Shared by the case page, the compare view and anything else that lays a case
out field by field, so every page names and orders the fields the same way.
Expects a case loaded with ``Case.objects.with_related()`` (no queries here).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

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


def list_url(param: str, value: str) -> str:
    """The case list filtered to one value: where a coded value leads."""
    return f"{reverse('casestudies:case_list')}?{urlencode({param: value})}"


def _linked(label: str, manager, param: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(label, values, links): each term of a many-valued field with its filtered list."""
    terms = list(manager.all())
    return label, tuple(str(t) for t in terms), tuple(list_url(param, t.slug) for t in terms)


def codebook_url(term) -> str:
    """A term's definition: where a value leads that the list cannot filter by."""
    return f"{reverse('casestudies:codebook')}#{term.vocabulary_key}-{term.slug}"


def _defined(terms) -> tuple[tuple[str, ...], tuple[str, ...]]:
    terms = [t for t in terms if t is not None]
    return tuple(str(t) for t in terms), tuple(codebook_url(t) for t in terms)


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
    traditions, tradition_links = [], []
    for country in countries:
        tradition = country.welfare_tradition
        traditions.append(f"{country.name}: {tradition.label if tradition else 'not classified'}")
        # "Not classified" is no value the list can select: plain text.
        tradition_links.append(list_url("welfare_tradition", tradition.slug) if tradition else "")
    outcomes = list(case.outcomes.all())
    outcome_links = tuple(
        list_url("outcome", f"{o.dimension.slug}:{o.direction.slug}") for o in outcomes
    )
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
        FieldRow(
            "welfare_tradition", "Welfare tradition", tuple(traditions), tuple(tradition_links)
        ),
        FieldRow("policy_fields", *_linked("Policy fields", case.policy_fields, "policy_field")),
        FieldRow(
            "provider_types", *_linked("Provider types", case.provider_types, "provider_type")
        ),
        FieldRow(
            "participation_forms",
            *_linked("Participation forms", case.participation_forms, "participation_form"),
        ),
        FieldRow("levels", *_linked("Level", case.levels, "level")),
        FieldRow("phases", *_linked("Phases", case.phases, "phase")),
        FieldRow(
            "participation_dimensions",
            *_linked(
                "Participation dimensions", case.participation_dimensions, "participation_dimension"
            ),
        ),
        FieldRow(
            "users_influence",
            "Users' influence",
            *_defined([case.users_influence]),
        ),
        FieldRow("citizen_roles", "Citizen roles", *_defined(case.citizen_roles.all())),
        FieldRow("participants", "Participants", (case.participants,) if case.participants else ()),
        FieldRow("period", "Period", period_text(case)),
        FieldRow("methods", "Method", *_defined(case.methods.all())),
        FieldRow(
            "units_studied",
            "Units studied",
            (str(case.units_studied),) if case.units_studied else (),
        ),
        FieldRow(
            "outcomes",
            "Outcomes",
            tuple(f"{o.dimension}: {o.direction}" for o in outcomes),
            outcome_links,
        ),
    ]
