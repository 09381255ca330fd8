"""Row by row: turn spreadsheet cells into a plan (create / update / unchanged) or errors.

Reads the database (codebook, countries, chapters, sources, the cases the file
names) in a fixed number of queries and never writes. Every error names the row
a spreadsheet shows, the column and what is wrong.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import (
    CODED_DIMENSIONS,
    DIMENSION_FIELDS,
    MAX_YEAR,
    MIN_YEAR,
    Case,
    CaseStatus,
    Chapter,
    Confidence,
    Country,
    InfluenceLevel,
    OutcomeDirection,
    Source,
)
from ..tabular.columns import CODES, TEXTS, split_values
from ..tabular.csv_safe import restore
from . import workflow_rules
from .reading import SheetRow

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
SCALAR_FIELDS = [
    "title",
    "summary",
    "chapter_id",
    "locality",
    "users_influence_id",
    "participants",
    "start_year",
    "end_year",
    "units_studied",
    "source_pages",
    "coder_note",
    "status",
]
TEXT_FIELDS = ["title", "summary", "locality", "participants", "source_pages", "coder_note"]
M2M_FIELDS = list(DIMENSION_FIELDS)
EXISTING_BATCH = 500


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class RowPlan:
    row: int
    slug: str
    action: str = CREATE
    requested_id: int | None = None
    scalars: dict = field(default_factory=dict)
    m2m: dict[str, list[int]] = field(default_factory=dict)  # field -> target pks, in order
    outcomes: dict[int, tuple] = field(
        default_factory=dict
    )  # dimension pk -> (dir pk, finding, pages)
    sources: list[tuple] = field(default_factory=list)  # (source pk, confidence, locator, note)
    last_updated: datetime | None = None
    existing: Case | None = None
    version: int = 1  # a deleted case brought back continues its history's numbering

    def state(self) -> tuple:
        return (
            tuple(self.scalars[name] for name in SCALAR_FIELDS),
            tuple(tuple(sorted(self.m2m[name])) for name in M2M_FIELDS),
            frozenset(self.outcomes.items()),
            frozenset(self.sources),
        )


def case_state(case: Case) -> tuple:
    """The same shape as RowPlan.state() for a saved case (prefetched with with_related())."""
    return (
        tuple(getattr(case, name) for name in SCALAR_FIELDS),
        tuple(tuple(sorted(t.pk for t in getattr(case, name).all())) for name in M2M_FIELDS),
        frozenset(
            (o.dimension_id, (o.direction_id, o.finding, o.pages)) for o in case.outcomes.all()
        ),
        frozenset(
            (cs.source_id, cs.confidence, cs.locator, cs.note) for cs in case.case_sources.all()
        ),
    )


class Lookups:
    """Every code a row may use, loaded once (one query per table)."""

    def __init__(self, outcome_columns: dict[str, object]):
        self.countries = {c.code: c.pk for c in Country.objects.only("code")}
        self.vocab = {
            d.field: {t.slug: t.pk for t in d.model.objects.only("slug")} for d in CODED_DIMENSIONS
        }
        self.influence = {t.slug: t.pk for t in InfluenceLevel.objects.only("slug")}
        self.directions = {t.slug: t.pk for t in OutcomeDirection.objects.only("slug")}
        self.sources = {s.slug: s.pk for s in Source.objects.only("slug")}
        self.chapters: dict[tuple[str, int], int] = {}
        self.chapters_by_number: dict[int, list[int]] = {}
        for chapter in Chapter.objects.select_related("source").only("number", "source__slug"):
            self.chapters[(chapter.source.slug, chapter.number)] = chapter.pk
            self.chapters_by_number.setdefault(chapter.number, []).append(chapter.pk)
        # outcome column base name ("outcome_service_quality") -> dimension
        self.outcome_columns = outcome_columns


def existing_cases(slugs: list[str], *, lock: bool = False) -> dict[str, Case]:
    """The saved cases the file names, with everything compared pre-loaded (batched).

    ``lock`` (inside the import's transaction) locks their rows until it ends, so
    the versions checked are the versions written over.
    """
    cases = Case.objects.with_related()
    if lock:
        # "self" only: the nullable joins of with_related() cannot be locked.
        cases = cases.select_for_update(of=("self",))
    found = {}
    for start in range(0, len(slugs), EXISTING_BATCH):
        batch = slugs[start : start + EXISTING_BATCH]
        for case in cases.filter(slug__in=batch):
            found[case.slug] = case
    return found


class RowReader:
    """Parses one row's cells, collecting problems instead of stopping at the first."""

    def __init__(self, row: SheetRow, lookups: Lookups):
        self.row = row
        self.lookups = lookups
        self.problems: list[RowProblem] = []

    def error(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(self.row.number, column, message))

    def text(self, column: str) -> str:
        # Spreadsheet safety added an apostrophe on export; take it off again.
        return restore(self.row.cells.get(column, "") or "")

    def integer(self, column: str) -> int | None:
        raw = self.text(column).strip()
        if raw == "":
            return None
        if raw.endswith(".0") and raw[:-2].isdigit():
            raw = raw[:-2]  # a spreadsheet that turned 2004 into 2004.0
        if not raw.isdigit():
            self.error(column, gettext("'%(value)s' is not a whole number.") % {"value": raw})
            return None
        return int(raw)

    def year(self, column: str) -> int | None:
        value = self.integer(column)
        if value is not None and not MIN_YEAR <= value <= MAX_YEAR:
            self.error(
                column,
                gettext("%(value)d is not a year between %(min)d and %(max)d.")
                % {"value": value, "min": MIN_YEAR, "max": MAX_YEAR},
            )
            return None
        return value

    def codes(self, column: str, known: dict, what: str, *, upper: bool = False) -> list:
        values = []
        for code in split_values(self.text(column).strip(), CODES):
            code = code.upper() if upper else code
            if code == "":
                self.error(column, gettext("An empty value between two '|' separators."))
            elif code not in known:
                self.error(
                    column,
                    gettext("Unknown %(what)s '%(code)s'.") % {"code": code, "what": what},
                )
            elif known[code] not in values:
                values.append(known[code])
        return values

    def code(self, column: str, known: dict, what: str) -> int | None:
        values = self.codes(column, known, what)
        if len(values) > 1:
            self.error(column, gettext("Takes one %(what)s, not several.") % {"what": what})
        return values[0] if values else None


def parse_row(row: SheetRow, lookups: Lookups) -> tuple[RowPlan, list[RowProblem]]:
    reader = RowReader(row, lookups)
    slug = reader.text("slug").strip()
    plan = RowPlan(row=row.number, slug=slug)
    if not slug:
        reader.error("slug", gettext("A slug is required: it identifies the case."))
    else:
        try:
            validate_slug(slug)
        except ValidationError:
            reader.error(
                "slug",
                gettext("'%(slug)s' is not a slug (letters, digits, '-' and '_' only).")
                % {"slug": slug},
            )
    plan.requested_id = reader.integer("id") if "id" in row.cells else None

    scalars = {name: reader.text(name) for name in TEXT_FIELDS}
    scalars["start_year"] = reader.year("start_year")
    scalars["end_year"] = reader.year("end_year")
    if (
        scalars["start_year"] is not None
        and scalars["end_year"] is not None
        and scalars["start_year"] > scalars["end_year"]
    ):
        reader.error(
            "end_year",
            gettext("The end year (%(end)d) is before the start year (%(start)d).")
            % {"end": scalars["end_year"], "start": scalars["start_year"]},
        )
    scalars["units_studied"] = reader.integer("units_studied")
    if scalars["units_studied"] == 0:
        reader.error(
            "units_studied", gettext("The number of units studied is at least 1 (or empty).")
        )
    scalars["chapter_id"] = _chapter(reader)
    scalars["users_influence_id"] = reader.code(
        "users_influence", lookups.influence, _("users' influence level")
    )
    status = reader.text("status").strip()
    if status not in CaseStatus.values:
        reader.error(
            "status",
            gettext("'%(status)s' is not a status; use one of: %(statuses)s.")
            % {"status": status, "statuses": ", ".join(CaseStatus.values)}
            if status
            else gettext("A status is required: one of %(statuses)s.")
            % {"statuses": ", ".join(CaseStatus.values)},
        )
    scalars["status"] = status
    plan.scalars = scalars

    plan.m2m["countries"] = reader.codes(
        "countries", lookups.countries, _("country code"), upper=True
    )
    for name, known in lookups.vocab.items():
        what = Case._meta.get_field(name).related_model._meta.verbose_name
        plan.m2m[name] = reader.codes(name, known, what)

    plan.outcomes = _outcomes(reader)
    plan.sources = _sources(reader)
    plan.last_updated = _last_updated(reader)
    _model_checks(reader, plan)
    return plan, reader.problems


def _chapter(reader: RowReader) -> int | None:
    number = reader.integer("chapter_number")
    source = reader.text("chapter_source").strip()
    if number is None:
        if "chapter_number" not in {p.column for p in reader.problems}:
            reader.error("chapter_number", gettext("A chapter number is required."))
        return None
    if source:
        chapter = reader.lookups.chapters.get((source, number))
        if chapter is None:
            reader.error(
                "chapter_number",
                gettext("No chapter %(number)d in the source '%(source)s'.")
                % {"number": number, "source": source},
            )
        return chapter
    candidates = reader.lookups.chapters_by_number.get(number, [])
    if len(candidates) != 1:
        reader.error(
            "chapter_number",
            gettext("No chapter %(number)d is known.") % {"number": number}
            if not candidates
            else gettext("Several sources have a chapter %(number)d; fill in chapter_source.")
            % {"number": number},
        )
        return None
    return candidates[0]


def _outcomes(reader: RowReader) -> dict[int, tuple]:
    outcomes = {}
    for base, dimension in reader.lookups.outcome_columns.items():
        direction = reader.code(base, reader.lookups.directions, _("outcome direction"))
        finding = reader.text(f"{base}_finding")
        pages = reader.text(f"{base}_pages")
        if direction is None:
            if (finding.strip() or pages.strip()) and base not in {
                p.column for p in reader.problems
            }:
                reader.error(base, gettext("A finding or pages are given but no direction."))
            continue
        if not finding.strip():
            reader.error(f"{base}_finding", gettext("An outcome needs its finding (one sentence)."))
        outcomes[dimension.pk] = (direction, finding, pages)
    return outcomes


def _aligned(reader: RowReader, column: str, count: int, kind: str) -> list[str]:
    cell = reader.text(column)
    if cell == "":
        return [""] * count
    values = split_values(cell if kind == TEXTS else cell.strip(), kind)
    if len(values) != count:
        reader.error(
            column,
            gettext(
                "Has %(values)d value(s) but 'sources' has %(count)d; give one per source, "
                "in the same order, separated by '|'."
            )
            % {"values": len(values), "count": count},
        )
        return [""] * count
    return values


def _sources(reader: RowReader) -> list[tuple]:
    source_ids = reader.codes("sources", reader.lookups.sources, _("source"))
    count = len(source_ids)
    confidences = _aligned(reader, "source_confidence", count, CODES)
    confidences = [c or Confidence.HIGH for c in confidences]
    for value in confidences:
        if value not in Confidence.values:
            reader.error(
                "source_confidence",
                gettext("Unknown confidence '%(value)s'; use one of: %(values)s.")
                % {"value": value, "values": ", ".join(Confidence.values)},
            )
    locators = _aligned(reader, "source_locators", count, TEXTS)
    notes = _aligned(reader, "source_notes", count, TEXTS)
    return list(zip(source_ids, confidences, locators, notes, strict=True))


def _last_updated(reader: RowReader) -> datetime | None:
    raw = reader.text("last_updated").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        reader.error(
            "last_updated",
            gettext("'%(value)s' is not a date and time like 2024-05-01T12:00:00Z.")
            % {"value": raw},
        )
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _model_checks(reader: RowReader, plan: RowPlan) -> None:
    """The model's own field rules (lengths, clean()), shared with the admin forms."""
    if reader.problems:
        return
    case = Case(slug=plan.slug, **plan.scalars)
    try:
        case.full_clean(
            exclude=["chapter", "users_influence", "created_by", "updated_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            column = "slug" if name == "__all__" else name
            for message in messages:
                reader.error(column, message)


def transition_check(plan: RowPlan, user) -> str | None:
    """Why this row's status may not be set (publication rules, the workflow), or None."""
    status = plan.scalars["status"]
    before = plan.existing.status if plan.existing else CaseStatus.DRAFT
    problem = workflow_rules.transition_problem(from_status=before, to_status=status, user=user)
    if problem:
        return problem
    if status == CaseStatus.PUBLISHED:
        case = Case(**plan.scalars)
        problems = workflow_rules.publication_problems(
            case, countries=plan.m2m["countries"], sources=plan.sources
        )
        if problems:
            return " ".join(problems)
    return None
