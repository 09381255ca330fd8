"""How a case reads to a person: labelled rows, with "not stated" for unknowns.

Shared by the case page, the compare view and anything else that lays a case
out field by field, so every page names and orders the fields the same way.
Expects a case loaded with ``Case.objects.with_related()`` (no queries here).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import (
    CODED_DIMENSIONS,
    COUNTRIES,
    DIMENSION_FIELDS,
    DIMENSIONS,
    Case,
    Dimension,
    in_field_order,
)

NOT_STATED = _("not stated")
# Rows whose values are free text as the source or the curator wrote it, in English.
_FREE_TEXT = {"locality", "participants"}


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
    def text_lang(self) -> str:
        """ "en" for a row of the source's own words (English whatever the page's language)."""
        return "en" if self.key in _FREE_TEXT else ""

    @property
    def is_name(self) -> bool:
        """A row of names (the chapter's authors): never translated."""
        return self.key == "chapter"

    @property
    def text(self) -> str:
        return "; ".join(self.values) if self.values else str(NOT_STATED)


# Every row of case_field_rows, in order: key -> label. Pages that count or list the
# dimensions (the coverage page) name them from here, so they read as on the case page.
# The coded dimensions come from their registry, placed among the other rows by
# casestudies.models.dimensions.FIELD_ORDER.
_OTHER_ROWS = {
    "chapter": _("Chapter"),
    "locality": _("Locality"),
    "welfare_tradition": _("Welfare tradition"),
    "users_influence": _("Users' influence"),
    "participants": _("Participants"),
    "period": _("Period"),
    "units_studied": _("Units studied"),
    "outcomes": _("Outcomes"),
}
FIELD_LABELS = {
    key: ({d.field: d.label for d in DIMENSIONS} | _OTHER_ROWS)[key]
    for key in in_field_order([*DIMENSION_FIELDS, *_OTHER_ROWS])
}


def _row(key: str, values: tuple[str, ...], links: tuple[str, ...] = ()) -> FieldRow:
    return FieldRow(key, FIELD_LABELS[key], values, links)


def list_url(param: str, value: str) -> str:
    """The case list filtered to one value: where a coded value leads."""
    return f"{reverse('casestudies:case_list')}?{urlencode({param: value})}"


def _linked(key: str, manager, param: str) -> FieldRow:
    """Each term of a many-valued field, linked to the list filtered to it."""
    terms = list(manager.all())
    return _row(key, tuple(str(t) for t in terms), tuple(list_url(param, t.slug) for t in terms))


def codebook_url(term) -> str:
    """A term's definition: where a value leads that the list cannot filter by."""
    return f"{reverse('casestudies:codebook')}#{term.vocabulary_key}-{term.slug}"


def _defined(key: str, terms) -> FieldRow:
    terms = [t for t in terms if t is not None]
    return _row(key, tuple(str(t) for t in terms), tuple(codebook_url(t) for t in terms))


def period_text(case: Case) -> tuple[str, ...]:
    if case.start_year and case.end_year:
        return (f"{case.start_year}–{case.end_year}",)
    if case.start_year:
        return (gettext("from %(year)s") % {"year": case.start_year},)
    if case.end_year:
        return (gettext("until %(year)s") % {"year": case.end_year},)
    return ()


def _dimension_row(case: Case, d: Dimension) -> FieldRow:
    """A coded dimension's row: each value linked to the list filtered to it, or to
    its definition when the list has no filter for it."""
    if d.param is None:
        return _defined(d.field, getattr(case, d.field).all())
    return _linked(d.field, getattr(case, d.field), d.param)


def case_field_rows(case: Case) -> list[FieldRow]:
    countries = list(case.countries.all())
    traditions, tradition_links = [], []
    for country in countries:
        tradition = country.welfare_tradition
        named = str(tradition) if tradition else gettext("not classified")
        traditions.append(f"{country}: {named}")
        # "Not classified" is no value the list can select: plain text.
        tradition_links.append(list_url("welfare_tradition", tradition.slug) if tradition else "")
    outcomes = list(case.outcomes.all())
    rows = [
        _row(
            "chapter",
            (f"{case.chapter.number}. {case.chapter.authors}",),
            (case.chapter.get_absolute_url(),),
        ),
        # The countries link to their own pages, not to the filtered list.
        _row(
            COUNTRIES.field,
            tuple(str(c) for c in countries),
            tuple(c.get_absolute_url() for c in countries),
        ),
        _row("locality", (case.locality,) if case.locality else ()),
        _row("welfare_tradition", tuple(traditions), tuple(tradition_links)),
        *(_dimension_row(case, d) for d in CODED_DIMENSIONS),
        _defined("users_influence", [case.users_influence]),
        _row("participants", (case.participants,) if case.participants else ()),
        _row("period", period_text(case)),
        _row(
            "units_studied",
            (str(case.units_studied),) if case.units_studied else (),
        ),
        _row(
            "outcomes",
            tuple(f"{o.dimension}: {o.direction}" for o in outcomes),
            tuple(list_url("outcome", f"{o.dimension.slug}:{o.direction.slug}") for o in outcomes),
        ),
    ]
    order = list(FIELD_LABELS)
    return sorted(rows, key=lambda row: order.index(row.key))
