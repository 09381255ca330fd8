"""THE registry of a case's coded many-valued dimensions.

One :class:`Dimension` per many-to-many field of ``Case`` onto a codebook table
(the countries included), in codebook order. Everything that lists the
dimensions derives from this list: the model's fields and their history, the
``with_related`` prefetch, the admin form and list filters, the completeness
check, the case page and the coverage page, the facets of the case list, the
extract columns and the import's accepted columns, the benchmark data.
``tests/test_dimensions.py`` walks the registry through each of them.

Adding a dimension: a vocabulary model (``casestudies.models.vocabulary``), one
entry here, and the migration ``makemigrations`` writes for both. Migrations are
frozen (they never import the app), so that migration also installs, by hand,
what the database keeps for the dimension: the search index again (it reads every
coded label) and, for a facet, the data stamp's triggers on the new tables
(``tests/test_migrations.py`` checks the stamp on PostgreSQL).

``FIELD_ORDER`` places the case's other fields among the dimensions: the case
page, the admin form and the extracts lay the case out in that one order.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from .reference import Country
from .vocabulary import (
    CitizenRole,
    Level,
    Method,
    ParticipationDimension,
    ParticipationForm,
    Phase,
    PolicyField,
    ProviderType,
)

# Fieldsets of the admin form a dimension can sit in.
WHERE = _("Where and when")
CODING = _("Coding")
STUDY = _("Study")


@dataclass(frozen=True)
class Dimension:
    field: str  # the many-to-many field of Case
    model: type[models.Model]  # its codebook table (or Country)
    label: str  # its row on the case page, the coverage page and in the completeness check
    order: int  # its place among the case's fields (see FIELD_ORDER)
    admin_section: str  # the fieldset of the admin form
    # How many values a synthetic benchmark case has: index = number of values.
    synthetic_weights: tuple[float, ...]
    # The case list's URL parameter; None: the list cannot filter by it, and the
    # case page links its values to their codebook definitions instead.
    param: str | None = None
    facet_label: str | None = None  # the heading of its facet; None: no facet
    # The description of its extract column (the column is named after the field);
    # None: its columns are laid out by hand (the countries: codes, names, regions).
    extract: str | None = None
    key_field: str = "slug"  # how URLs and extracts name a term
    admin_list_filter: bool = False  # offered as a filter of the admin's case list

    def model_field(self) -> models.ManyToManyField:
        return models.ManyToManyField(
            self.model, related_name="cases", blank=True, verbose_name=self.label
        )


def _listed(label: str) -> str:
    return f"{label}: codebook slugs, '|'-separated (empty: not stated)."


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "countries",
        Country,
        _("Countries"),
        20,
        WHERE,
        (0.01, 0.88, 0.08, 0.03),
        param="country",
        facet_label=_("Country"),
        key_field="code",
        admin_list_filter=True,
    ),
    Dimension(
        "policy_fields",
        PolicyField,
        _("Policy fields"),
        40,
        CODING,
        (0.03, 0.75, 0.2, 0.02),
        param="policy_field",
        facet_label=_("Policy field"),
        extract=_listed("Policy fields"),
        admin_list_filter=True,
    ),
    Dimension(
        "provider_types",
        ProviderType,
        _("Provider types"),
        45,
        CODING,
        (0.08, 0.7, 0.2, 0.02),
        param="provider_type",
        facet_label=_("Provider type"),
        extract=_listed("Provider types"),
        admin_list_filter=True,
    ),
    Dimension(
        "participation_forms",
        ParticipationForm,
        _("Participation forms"),
        50,
        CODING,
        (0.05, 0.65, 0.25, 0.05),
        param="participation_form",
        facet_label=_("Participation form"),
        extract=_listed("Participation forms"),
        admin_list_filter=True,
    ),
    Dimension(
        "levels",
        Level,
        _("Level"),
        55,
        CODING,
        (0.15, 0.7, 0.15),
        param="level",
        facet_label=_("Level"),
        extract=_listed("Levels (individual, group, collective)"),
        admin_list_filter=True,
    ),
    Dimension(
        "phases",
        Phase,
        _("Phases"),
        60,
        CODING,
        (0.2, 0.35, 0.3, 0.15),
        param="phase",
        facet_label=_("Phase"),
        extract=_listed("Phases of the service cycle"),
    ),
    Dimension(
        "participation_dimensions",
        ParticipationDimension,
        _("Participation dimensions"),
        65,
        CODING,
        (0.2, 0.3, 0.3, 0.2),
        param="participation_dimension",
        facet_label=_("Participation dimension"),
        extract=_listed("Participation dimensions"),
    ),
    Dimension(
        "citizen_roles",
        CitizenRole,
        _("Citizen roles"),
        80,
        CODING,
        (0.3, 0.5, 0.2),
        param="citizen_role",
        facet_label=_("Citizen role"),
        extract="Roles citizens play: codebook slugs, '|'-separated.",
    ),
    Dimension(
        "methods",
        Method,
        _("Method"),
        90,
        STUDY,
        (0.1, 0.8, 0.1),
        param="method",
        facet_label=_("Method"),
        extract="How the case was studied: codebook slugs, '|'-separated.",
    ),
)

DIMENSION_FIELDS: tuple[str, ...] = tuple(d.field for d in DIMENSIONS)
COUNTRIES = DIMENSIONS[0]
# The dimensions whose values are codebook slugs (all but the countries).
CODED_DIMENSIONS: tuple[Dimension, ...] = DIMENSIONS[1:]

# The case's other fields, by the same numbers as Dimension.order: where each
# sits on the case page (its rows), in the admin form and among the extract columns.
FIELD_ORDER: dict[str, int] = {
    "chapter": 10,
    "locality": 30,
    "welfare_tradition": 35,  # derived from the countries: a row of the case page only
    "users_influence": 70,
    "participants": 85,
    "period": 87,  # the case page's row for the two years
    "start_year": 87,
    "end_year": 88,
    "units_studied": 95,
    "source_pages": 96,
    "coder_note": 97,
    "outcomes": 100,
    **{d.field: d.order for d in DIMENSIONS},
}


def in_field_order(names) -> list[str]:
    """``names`` (dimensions and other fields of the case) in the case's one order."""
    return sorted(names, key=FIELD_ORDER.__getitem__)
