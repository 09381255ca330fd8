"""The preview: every row planned (create / update / unchanged) or reported, nothing written."""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext

from ..models import Case
from ..tabular.columns import case_columns, label_columns_for_import, outcome_dimensions
from ..writes.concurrency import changes_since
from .reading import read_sheet
from .validation import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Lookups,
    RowPlan,
    RowProblem,
    case_state,
    existing_cases,
    parse_row,
    transition_check,
)


@dataclass
class ImportReport:
    plans: list[RowPlan] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    notes: list[RowProblem] = field(default_factory=list)
    written: bool = False
    # slug -> the version of the case this plan is based on (None: a new case).
    versions: dict[str, int | None] = field(default_factory=dict)

    def _with(self, action: str) -> list[RowPlan]:
        return [plan for plan in self.plans if plan.action == action]

    @property
    def creates(self) -> list[RowPlan]:
        return self._with(CREATE)

    @property
    def updates(self) -> list[RowPlan]:
        return self._with(UPDATE)

    @property
    def unchanged(self) -> list[RowPlan]:
        return self._with(UNCHANGED)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        counts = {
            "rows": len(self.plans),
            "creates": len(self.creates),
            "updates": len(self.updates),
            "unchanged": len(self.unchanged),
            "errors": len(self.errors),
        }
        if self.written:
            return (
                gettext(
                    "%(rows)d rows: %(creates)d created, %(updates)d updated, %(unchanged)d "
                    "unchanged; %(errors)d error(s)."
                )
                % counts
            )
        return (
            gettext(
                "%(rows)d rows: %(creates)d to create, %(updates)d to update, %(unchanged)d "
                "unchanged; %(errors)d error(s)."
            )
            % counts
        )


def plan_import(
    data: bytes, *, user=None, seen_versions: dict[str, int | None] | None = None
) -> ImportReport:
    """Read, check and classify every row. Reads the database; never writes.

    With ``seen_versions`` (the preview's ``report.versions``, at confirmation,
    inside the writing transaction) the cases are locked and a row whose case
    changed, appeared or disappeared since the preview is an error that says
    what changed. Raises ImportFileError when the file as a whole cannot be used.
    """
    report = ImportReport()
    report.plans, report.errors = _parse_rows(data)
    slugs = list(dict.fromkeys(plan.slug for plan in report.plans if plan.slug))
    existing = existing_cases(slugs, lock=seen_versions is not None)
    ids = _Ids(report.plans, existing)
    report.versions = {slug: getattr(existing.get(slug), "version", None) for slug in slugs}
    if seen_versions is not None:
        report.errors.extend(_changed_since_preview(report.plans, existing, seen_versions))
    # Rows the file or the preview already fails skip the status check; an id
    # problem found below does not.
    rows_with_errors = {problem.row for problem in report.errors}
    for plan in report.plans:
        _classify(plan, existing.get(plan.slug), ids, report)
    report.errors.extend(_status_problems(report.plans, rows_with_errors, user))
    report.errors.sort(key=lambda p: p.row)
    return report


def _parse_rows(data: bytes) -> tuple[list[RowPlan], list[RowProblem]]:
    """Every row of the file as a plan, and the problems found in them, row by row.

    A slug a row shares with an earlier row is one of the problems. Raises
    ImportFileError when the file as a whole cannot be used.
    """
    dimensions = outcome_dimensions()
    columns = case_columns(dimensions)
    # An extract made with ?lang= has label columns: derived, so accepted and not read.
    _header, rows = read_sheet(data, columns, ignored=label_columns_for_import(columns))
    lookups = Lookups({"outcome_" + d.slug.replace("-", "_"): d for d in dimensions})
    plans, problems = [], []
    first_row: dict[str, int] = {}  # slug -> the row that uses it first
    for row in rows:
        plan, row_problems = parse_row(row, lookups)
        if plan.slug and plan.slug in first_row:
            row_problems.append(
                RowProblem(
                    row.number,
                    "slug",
                    gettext(
                        "The slug '%(slug)s' is already used in row %(row)d; each case "
                        "appears once."
                    )
                    % {"slug": plan.slug, "row": first_row[plan.slug]},
                )
            )
        elif plan.slug:
            first_row[plan.slug] = row.number
        problems.extend(row_problems)
        plans.append(plan)
    return plans, problems


class _Ids:
    """The ids new rows ask for: which a deleted case had, which other cases have (two
    batched reads), and which earlier rows of the file have claimed."""

    def __init__(self, plans: list[RowPlan], existing: dict):
        wanted = [
            p.requested_id for p in plans if p.requested_id is not None and p.slug not in existing
        ]
        self.deleted = _ids_of_deleted_cases(wanted)
        self.taken = _ids_taken(wanted)
        self.claimed: set[int] = set()


def _classify(plan: RowPlan, case: Case | None, ids: _Ids, report: ImportReport) -> None:
    """Set the row's action (create, update or unchanged) against its case; returns nothing.

    ``case`` is the existing case with the row's slug, if any; a new case's
    requested id is settled by :func:`_settle_requested_id`.
    """
    plan.existing = case
    if case is not None:
        plan.action = UNCHANGED if case_state(case) == plan.state() else UPDATE
    elif plan.requested_id is not None:
        _settle_requested_id(plan, ids, report)


def _settle_requested_id(plan: RowPlan, ids: _Ids, report: ImportReport) -> None:
    """Settle the id a new case's row asks for; returns nothing.

    The row keeps it when the id is free, or when it brings back the deleted
    case that had it (then one version past its deletion). Otherwise the id is
    dropped, with an error in ``report`` (a deleted case's id) or a note (another
    case's id: the new case gets a new one).
    """
    gone = ids.deleted.get(plan.requested_id)
    if gone is not None and gone.slug == plan.slug:
        # The deleted case itself coming back (restoring an export): same id,
        # same slug, its history reads on, one version past its deletion.
        plan.version = gone.version + 1
        ids.claimed.add(plan.requested_id)
    elif gone is not None:
        # Its history and its restore button still point at that id.
        report.errors.append(
            RowProblem(
                plan.row,
                "id",
                gettext(
                    "Id %(id)d belonged to the deleted case “%(title)s” ('%(slug)s'); "
                    "a deleted case keeps its id so that it can be restored with its "
                    "history. Restore it from the deleted cases page, or leave the id "
                    "empty to create a new case."
                )
                % {"id": plan.requested_id, "title": gone.title, "slug": gone.slug},
            )
        )
        plan.requested_id = None
    elif plan.requested_id in ids.taken or plan.requested_id in ids.claimed:
        report.notes.append(
            RowProblem(
                plan.row,
                "id",
                gettext("Id %(id)d belongs to another case; this new case gets a new id.")
                % {"id": plan.requested_id},
            )
        )
        plan.requested_id = None
    else:
        ids.claimed.add(plan.requested_id)


def _status_problems(plans: list[RowPlan], skip_rows: set[int], user) -> list[RowProblem]:
    """A problem for each row that changes a case whose status ``user`` may not set.

    Rows in ``skip_rows`` (already in error) are not checked.
    """
    problems = []
    for plan in plans:
        if plan.action != UNCHANGED and plan.row not in skip_rows:
            problem = transition_check(plan, user)
            if problem:
                problems.append(RowProblem(plan.row, "status", problem))
    return problems


class DeletedCase(NamedTuple):
    title: str
    slug: str
    version: int


def _ids_of_deleted_cases(wanted: list[int]) -> dict[int, DeletedCase]:
    """The ids of ``wanted`` a deleted case had: id -> its last record (batched)."""
    deleted: dict[int, DeletedCase] = {}
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        records = (
            Case.history.filter(id__in=batch)
            .exclude(id__in=Case.objects.filter(pk__in=batch).values("pk"))
            .order_by("history_date", "history_id")
            .values_list("id", "title", "slug", "version")
        )
        for case_id, *last in records:
            deleted[case_id] = DeletedCase(*last)  # the latest record wins
    return deleted


def _ids_taken(wanted: list[int]) -> set[int]:
    """The ids of ``wanted`` other cases already have (batched queries)."""
    taken: set[int] = set()
    for start in range(0, len(wanted), 500):
        batch = wanted[start : start + 500]
        taken.update(Case.objects.filter(pk__in=batch).values_list("pk", flat=True))
    return taken


def _changed_since_preview(plans: list[RowPlan], existing: dict, seen: dict) -> list[RowProblem]:
    """A problem for each row whose case is not at the version the preview was based on."""
    problems = []
    for plan in plans:
        if not plan.slug or (plan.slug not in seen and plan.slug not in existing):
            continue
        before, case = seen.get(plan.slug), existing.get(plan.slug)
        now = case.version if case is not None else None
        if before == now:
            continue
        again = gettext("Upload the file again for a new preview; nothing was written.")
        if case is None:
            message = gettext("The case '%(slug)s' was deleted since the preview.") % {
                "slug": plan.slug
            }
        elif before is None:
            message = gettext("A case with the slug '%(slug)s' was created since the preview.") % {
                "slug": plan.slug
            }
        else:
            changes = changes_since(case, before)
            message = gettext(
                "“%(case)s” was changed by someone else since the preview (version %(seen)s, "
                "now %(now)s): %(changes)s."
            ) % {"case": case, "seen": before, "now": now, "changes": "; ".join(changes)}
        message = f"{message} {again}"
        problems.append(RowProblem(plan.row, "slug", message))
    return problems
