"""The preview: every row planned (create / update / unchanged) or reported, nothing written."""

from dataclasses import dataclass, field
from typing import NamedTuple

from ..models import Case
from ..tabular.columns import case_columns, outcome_dimensions
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
        verb = ("created", "updated") if self.written else ("to create", "to update")
        return (
            f"{len(self.plans)} rows: {len(self.creates)} {verb[0]}, {len(self.updates)} "
            f"{verb[1]}, {len(self.unchanged)} unchanged; {len(self.errors)} error(s)."
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
    dimensions = outcome_dimensions()
    columns = case_columns(dimensions)
    _header, rows = read_sheet(data, columns)
    lookups = Lookups({"outcome_" + d.slug.replace("-", "_"): d for d in dimensions})
    report = ImportReport()
    seen: dict[str, int] = {}
    for row in rows:
        plan, problems = parse_row(row, lookups)
        if plan.slug and plan.slug in seen:
            problems.append(
                RowProblem(
                    row.number,
                    "slug",
                    f"The slug '{plan.slug}' is already used in row {seen[plan.slug]}; "
                    "each case appears once.",
                )
            )
        elif plan.slug:
            seen[plan.slug] = row.number
        report.errors.extend(problems)
        report.plans.append(plan)

    existing = existing_cases(list(seen), lock=seen_versions is not None)
    deleted = _ids_of_deleted_cases(report.plans, existing)
    report.versions = {slug: getattr(existing.get(slug), "version", None) for slug in seen}
    if seen_versions is not None:
        report.errors.extend(_changed_since_preview(report.plans, existing, seen_versions))
    taken = _ids_taken(report.plans, existing)
    claimed: set[int] = set()
    rows_with_errors = {problem.row for problem in report.errors}
    for plan in report.plans:
        plan.existing = existing.get(plan.slug)
        if plan.existing is not None:
            plan.action = UNCHANGED if case_state(plan.existing) == plan.state() else UPDATE
        elif plan.requested_id is not None:
            gone = deleted.get(plan.requested_id)
            if gone is not None and gone.slug == plan.slug:
                # The deleted case itself coming back (restoring an export): same id,
                # same slug, its history reads on, one version past its deletion.
                plan.version = gone.version + 1
                claimed.add(plan.requested_id)
            elif gone is not None:
                # Its history and its restore button still point at that id.
                report.errors.append(
                    RowProblem(
                        plan.row,
                        "id",
                        f"Id {plan.requested_id} belonged to the deleted case “{gone.title}” "
                        f"('{gone.slug}'); a deleted case keeps its id so that it can be "
                        "restored with its history. Restore it from the deleted cases page, "
                        "or leave the id empty to create a new case.",
                    )
                )
                plan.requested_id = None
            elif plan.requested_id in taken or plan.requested_id in claimed:
                report.notes.append(
                    RowProblem(
                        plan.row,
                        "id",
                        f"Id {plan.requested_id} belongs to another case; this new case "
                        "gets a new id.",
                    )
                )
                plan.requested_id = None
            else:
                claimed.add(plan.requested_id)
        if plan.action != UNCHANGED and plan.row not in rows_with_errors:
            problem = transition_check(plan, user)
            if problem:
                report.errors.append(RowProblem(plan.row, "status", problem))
    report.errors.sort(key=lambda p: p.row)
    return report


class DeletedCase(NamedTuple):
    title: str
    slug: str
    version: int


def _ids_of_deleted_cases(plans: list[RowPlan], existing: dict) -> dict[int, DeletedCase]:
    """Ids that new rows ask for and a deleted case had: id -> its last record (batched)."""
    wanted = [
        p.requested_id for p in plans if p.requested_id is not None and p.slug not in existing
    ]
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


def _ids_taken(plans: list[RowPlan], existing: dict) -> set[int]:
    """Ids that new rows ask for but other cases already have (batched queries)."""
    wanted = [
        p.requested_id for p in plans if p.requested_id is not None and p.slug not in existing
    ]
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
        again = "Upload the file again for a new preview; nothing was written."
        if case is None:
            message = f"The case '{plan.slug}' was deleted since the preview. {again}"
        elif before is None:
            message = f"A case with the slug '{plan.slug}' was created since the preview. {again}"
        else:
            changes = changes_since(case, before)
            message = (
                f"“{case}” was changed by someone else since the preview (version {before}, "
                f"now {now}): {'; '.join(changes)}. {again}"
            )
        problems.append(RowProblem(plan.row, "slug", message))
    return problems
