"""THE column specification of the extracts (and of the spreadsheet import).

One :class:`Column` per CSV column, in the documented order: its name, its
Frictionless type, a description, the codebook table its allowed values come
from, and how to compute it from a :class:`~.records.CaseRecord` (plain values, no
queries here). The CSV and JSON writers, ``datapackage.json`` and the importer
all read this list, which is what keeps export -> spreadsheet -> import lossless.

Many-valued cells join their values with ``|`` (:data:`SEPARATOR`). Codes (slugs,
ISO codes, H/M) cannot contain it; free-text lists (source locators and notes,
country names) escape a literal ``|`` as ``\\|`` and a backslash as ``\\\\``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from ..models import (
    DIMENSIONS,
    CaseStatus,
    Confidence,
    Country,
    InfluenceLevel,
    OutcomeDimension,
    OutcomeDirection,
    Source,
    WelfareTradition,
    WorldRegion,
    in_field_order,
)

if TYPE_CHECKING:  # the rows' type only: the extracts build them, this module reads them
    from ..extracts.records import CaseRecord

SEPARATOR = "|"
ESCAPE = "\\"

SINGLE = "single"  # one value
CODES = "codes"  # several codes joined with "|"
TEXTS = "texts"  # several free-text values joined with "|", escaped


@dataclass(frozen=True)
class ExportContext:
    """What every row needs and no row should query for: built once per extract."""

    dimensions: tuple[OutcomeDimension, ...]
    base_url: str
    case_url_template: str = field(init=False)

    def __post_init__(self):
        # reverse() once, not once per row (it costs more than the rest of a row).
        template = reverse("casestudies:case_detail", args=["SLUG-PLACEHOLDER"])
        object.__setattr__(self, "case_url_template", self.base_url.rstrip("/") + template)

    def case_url(self, case: CaseRecord) -> str:
        return self.case_url_template.replace("SLUG-PLACEHOLDER", case.slug)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Frictionless field type: string, integer or datetime
    description: str
    get: Callable[[Any, ExportContext], Any]
    kind: str = SINGLE
    # Allowed values: a codebook table (its slugs, or codes for Country) or a fixed list.
    vocabulary: type | None = None
    enum: tuple[str, ...] | None = None
    # Derived columns are computed from other data and ignored on import.
    derived: bool = False
    # Optional on import (may be absent from the header).
    optional: bool = False


# --- many-valued cells ---------------------------------------------------------------


def escape_text(value: str) -> str:
    return value.replace(ESCAPE, ESCAPE * 2).replace(SEPARATOR, ESCAPE + SEPARATOR)


def join_values(values: Iterable[str], kind: str) -> str:
    if kind == TEXTS:
        return SEPARATOR.join(escape_text(v) for v in values)
    return SEPARATOR.join(values)


def split_values(cell: str, kind: str) -> list[str]:
    """The values of a many-valued cell; an empty cell is no value."""
    if cell == "":
        return []
    if kind != TEXTS:
        return [part.strip() for part in cell.split(SEPARATOR)]
    values, current, chars = [], [], iter(cell)
    for char in chars:
        if char == ESCAPE:
            current.append(next(chars, ESCAPE))
        elif char == SEPARATOR:
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current))
    return values


def format_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- computing values from a prefetched case ---------------------------------------------


def _terms(name: str) -> Callable[[CaseRecord, ExportContext], list[str]]:
    def get(case, ctx):
        return case.terms[name]

    # The CSV writer computes a column for a batch of rows at once (see _attr).
    get.bulk = lambda cases, ctx: [case.terms[name] for case in cases]
    return get


def _distinct(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def outcome_column_names(dimension: OutcomeDimension) -> tuple[str, str, str]:
    """The names of a dimension's direction, finding and pages columns."""
    base = "outcome_" + dimension.slug.replace("-", "_")
    return base, base + "_finding", base + "_pages"


def _outcome_column(dimension: OutcomeDimension, part: str) -> Column:
    direction_name, finding_name, pages_name = outcome_column_names(dimension)

    # outcome tuples: (dimension pk, dimension slug, direction slug, finding, pages)
    def direction(case, ctx, dim_id=dimension.pk):
        outcome = case.outcomes_by_dimension.get(dim_id)
        return outcome[2] if outcome else None

    def finding(case, ctx, dim_id=dimension.pk):
        outcome = case.outcomes_by_dimension.get(dim_id)
        return outcome[3] if outcome else None

    def pages(case, ctx, dim_id=dimension.pk):
        outcome = case.outcomes_by_dimension.get(dim_id)
        return outcome[4] if outcome else None

    # The same for a batch of rows at once (the CSV writer's fast path, see _attr).
    def bulk(index: int, dim_id=dimension.pk):
        return lambda cases, ctx: [
            outcome[index] if (outcome := case.outcomes_by_dimension.get(dim_id)) else None
            for case in cases
        ]

    direction.bulk, finding.bulk, pages.bulk = bulk(2), bulk(3), bulk(4)

    if part == "direction":
        return Column(
            direction_name,
            "string",
            f"Outcome '{dimension.label}': its direction (empty: no outcome stated).",
            direction,
            vocabulary=OutcomeDirection,
        )
    if part == "finding":
        return Column(
            finding_name,
            "string",
            f"Outcome '{dimension.label}': the finding in one sentence.",
            finding,
        )
    return Column(pages_name, "string", f"Outcome '{dimension.label}': page reference.", pages)


def _head_columns() -> list[Column]:
    return [
        Column("id", "integer", "The atlas's number for the case.", _attr("pk")),
        Column(
            "slug",
            "string",
            "Stable identifier of the case, as in its URL; the import matches cases by it.",
            _attr("slug"),
        ),
        Column("title", "string", "Title of the case.", _attr("title")),
        Column("summary", "string", "Short description of the case.", _attr("summary")),
        Column(
            "chapter_source",
            "string",
            "Identifier (slug) of the publication the chapter belongs to.",
            _attr("chapter_source"),
            vocabulary=Source,
        ),
        Column(
            "chapter_number",
            "integer",
            "Number of the chapter that reports the case.",
            _attr("chapter_number"),
        ),
        Column(
            "chapter_title",
            "string",
            "Title of the chapter (empty where no source gives it).",
            _attr("chapter_title"),
            derived=True,
        ),
        Column(
            "chapter_authors",
            "string",
            "Authors of the chapter.",
            _attr("chapter_authors"),
            derived=True,
        ),
        Column(
            "countries",
            "string",
            "Countries of the case as ISO 3166-1 alpha-2 codes, '|'-separated.",
            lambda c, x: [country[0] for country in c.countries],
            kind=CODES,
            vocabulary=Country,
        ),
        Column(
            "country_names",
            "string",
            "Names of the countries, in the same order as 'countries', '|'-separated.",
            lambda c, x: [country[1] for country in c.countries],
            kind=TEXTS,
            derived=True,
        ),
        Column("locality", "string", "City or region (empty: not stated).", _attr("locality")),
        Column(
            "world_regions",
            "string",
            "World regions of the countries, '|'-separated.",
            lambda c, x: _distinct(country[2] for country in c.countries),
            kind=CODES,
            vocabulary=WorldRegion,
            derived=True,
        ),
        Column(
            "welfare_traditions",
            "string",
            "Welfare traditions of the countries, '|'-separated (unclassified countries add none).",
            lambda c, x: _distinct(country[3] for country in c.countries),
            kind=CODES,
            vocabulary=WelfareTradition,
            derived=True,
        ),
    ]


def _coded_columns() -> list[Column]:
    """The coded dimensions' columns (from their registry) and the case's other
    coded fields, in the case's one order (``FIELD_ORDER``)."""
    columns = {
        d.field: Column(
            d.field, "string", d.extract, _terms(d.field), kind=CODES, vocabulary=d.model
        )
        for d in DIMENSIONS
        if d.extract
    }
    columns |= {
        "users_influence": Column(
            "users_influence",
            "string",
            "Users' influence over the service: an ordinal codebook slug.",
            _attr("users_influence"),
            vocabulary=InfluenceLevel,
        ),
        "participants": Column(
            "participants",
            "string",
            "Who co-produces, as the source describes them.",
            _attr("participants"),
        ),
        "start_year": Column(
            "start_year", "integer", "First year of the period studied.", _attr("start_year")
        ),
        "end_year": Column(
            "end_year", "integer", "Last year of the period studied.", _attr("end_year")
        ),
        "units_studied": Column(
            "units_studied",
            "integer",
            "How many units (organisations, partnerships...) the case stands for.",
            _attr("units_studied"),
        ),
    }
    return [columns[name] for name in in_field_order(columns)]


def _attr(name: str) -> Callable[[CaseRecord, ExportContext], Any]:
    def get(case, ctx):
        return getattr(case, name)

    # The writers read this to use a C-level attrgetter: 100,000 rows x 20 columns.
    get.attribute = name
    return get


def _tail_columns() -> list[Column]:
    return [
        Column(
            "sources",
            "string",
            "Publications the case rests on (source slugs), '|'-separated.",
            lambda c, x: [source[0] for source in c.sources],
            kind=CODES,
            vocabulary=Source,
        ),
        Column(
            "source_confidence",
            "string",
            "Confidence per source, aligned with 'sources': H = the source describes this "
            "chapter itself; M = a closely related article by the same authors.",
            lambda c, x: [source[1] for source in c.sources],
            kind=CODES,
            enum=tuple(Confidence.values),
        ),
        Column(
            "source_locators",
            "string",
            "Where in each source, aligned with 'sources' (free text, '|' escaped as '\\|').",
            lambda c, x: [source[2] for source in c.sources],
            kind=TEXTS,
        ),
        Column(
            "source_notes",
            "string",
            "A note per source, aligned with 'sources' (free text, '|' escaped as '\\|').",
            lambda c, x: [source[3] for source in c.sources],
            kind=TEXTS,
        ),
        Column(
            "source_pages",
            "string",
            "Pages of the source the case draws on.",
            _attr("source_pages"),
        ),
        Column(
            "coder_note",
            "string",
            "What is uncertain or still missing, in the coder's words.",
            _attr("coder_note"),
        ),
        Column(
            "status",
            "string",
            "Publication status (public extracts hold published cases only).",
            _attr("status"),
            enum=tuple(CaseStatus.values),
        ),
        Column(
            "url",
            "string",
            "Address of the case's page in the atlas.",
            lambda c, ctx: ctx.case_url(c),
            derived=True,
        ),
        Column(
            "last_updated",
            "datetime",
            "When the case was last changed (UTC). On import it is kept for new cases "
            "(restoring an export) and set to the time of the import for changed ones.",
            lambda c, x: format_datetime(c.updated_at),
            optional=True,
        ),
    ]


def case_columns(dimensions: Iterable[OutcomeDimension]) -> list[Column]:
    """The columns of cases.csv, in order, for these outcome dimensions (in codebook order)."""
    outcome_columns = [
        _outcome_column(dimension, part)
        for dimension in dimensions
        for part in ("direction", "finding", "pages")
    ]
    return _head_columns() + _coded_columns() + outcome_columns + _tail_columns()


def outcome_dimensions() -> tuple[OutcomeDimension, ...]:
    """The outcome dimensions in codebook order. Runs one query."""
    return tuple(OutcomeDimension.objects.ordered())


# --- the long (tidy) outcomes extract: one row per case x outcome ---------------------------

OUTCOME_COLUMNS: list[Column] = [
    Column("case_id", "integer", "The atlas's number for the case.", lambda r, x: r[0].pk),
    Column("case_slug", "string", "Stable identifier of the case.", lambda r, x: r[0].slug),
    Column("case_title", "string", "Title of the case.", lambda r, x: r[0].title, derived=True),
    Column(
        "countries",
        "string",
        "Countries of the case as ISO 3166-1 alpha-2 codes, '|'-separated.",
        lambda r, x: [country[0] for country in r[0].countries],
        kind=CODES,
        vocabulary=Country,
    ),
    Column(
        "dimension",
        "string",
        "Outcome dimension (codebook slug).",
        lambda r, x: r[1][1],
        vocabulary=OutcomeDimension,
    ),
    Column(
        "direction",
        "string",
        "Which way the outcome went (codebook slug).",
        lambda r, x: r[1][2],
        vocabulary=OutcomeDirection,
    ),
    Column("finding", "string", "The finding, in one sentence.", lambda r, x: r[1][3]),
    Column("pages", "string", "Page reference (empty: not stated).", lambda r, x: r[1][4]),
]


# --- translated labels beside the codes (``?lang=``) -------------------------------------


class Labels:
    """The labels of every code an extract may hold, in one language: vocabulary terms
    from their ``label_in_<lang>`` columns (the English label where none is written),
    countries from the ISO catalogues. Runs one query when created."""

    def __init__(self, language: str):
        from django.db.models import Value
        from django.utils import translation

        from ..models import VOCABULARIES, country_name

        self.language = language
        english = language == settings.LANGUAGE_CODE
        columns = ["slug", "label"] if english else ["slug", "label", f"label_in_{language}"]
        queries = [
            model.objects.order_by().values_list(Value(model.vocabulary_key), *columns)
            for model in VOCABULARIES
        ]
        rows = queries[0].union(*queries[1:], all=True)
        # An empty translation falls back to the English label.
        self.terms = {(row[0], row[1]): row[-1] or row[2] for row in rows}
        self._countries: dict[str, str] = {}
        self._override = lambda: translation.override(language)
        self._country_name = country_name

    def term(self, vocabulary: str, slug: str | None) -> str | None:
        if slug is None or slug == "":
            return None
        return self.terms.get((vocabulary, slug), slug)

    def country_of_row(self, row, code: str) -> str:
        """The name of ``code``, one of the countries of ``row`` (a case's record, or
        an outcome row's (record, outcome) pair), in the language."""
        name = self._countries.get(code)
        if name is None:
            record = row[0] if isinstance(row, tuple) else row
            english = next((c[1] for c in record.countries if c[0] == code), code)
            with self._override():
                name = self._countries[code] = self._country_name(code, english)
        return name


def label_column_name(column: Column, language: str) -> str:
    return f"{column.name}_label_{language}"


def _labelled(column: Column, language: str, translate) -> Column:
    """The column of ``column``'s codes as labels in ``language``, same shape."""
    get = column.get
    many = column.kind == CODES

    def labels(row, ctx):
        value = get(row, ctx)
        if many:
            return [translate(row, code) for code in value or []]
        return translate(row, value)

    return Column(
        label_column_name(column, language),
        "string",
        f"The labels of '{column.name}' in the language '{language}' (English where no "
        "translation is written), in the same order.",
        labels,
        kind=TEXTS if many else SINGLE,
        derived=True,
        optional=True,
    )


def with_labels(columns: list[Column], labels: Labels) -> list[Column]:
    """``columns`` with a label column right after each column of codebook codes or
    country codes; every other column, its name and its values unchanged."""
    out = []
    for column in columns:
        out.append(column)
        vocabulary = column.vocabulary
        if vocabulary is Country:
            out.append(_labelled(column, labels.language, labels.country_of_row))
        elif getattr(vocabulary, "vocabulary_key", ""):
            key = vocabulary.vocabulary_key
            out.append(
                _labelled(
                    column, labels.language, lambda row, code, key=key: labels.term(key, code)
                )
            )
    return out


def label_columns_for_import(columns: list[Column]) -> list[Column]:
    """Every language's label columns: the import accepts an extract made with ``lang``
    and ignores them (derived)."""
    from ..models import VOCABULARIES

    vocabularies = {Country, *VOCABULARIES}
    return [
        Column(
            label_column_name(column, code), "string", "", column.get, derived=True, optional=True
        )
        for column in columns
        if column.vocabulary in vocabularies
        for code, _name in settings.LANGUAGES
    ]
