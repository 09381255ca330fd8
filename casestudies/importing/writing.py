"""Writing a checked plan: bulk inserts and updates, each with its history record.

Called inside the import's transaction only when no row has an error. Works in
batches, so 10,000 rows cost a few hundred queries, not one set per row. Every
created or changed case, outcome and source leaves a django-simple-history
record with the importing user and the change reason "import"; a case's record
carries the snapshot of its many-to-many fields, as the admin's records do.
"""

from datetime import datetime

from django.db import connection
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..models import Case, CaseSource, Outcome, m2m_link
from .validation import CREATE, M2M_FIELDS, SCALAR_FIELDS, UPDATE, RowPlan

BATCH = 500
CHANGE_REASON = "import"
# bulk_update wants field names, not the *_id attribute names the plan compares.
_UPDATE_FIELDS = [name.removesuffix("_id") for name in SCALAR_FIELDS] + [
    "updated_by",
    "updated_at",
    "version",
]


def apply_plans(plans: list[RowPlan], *, user, now: datetime) -> None:
    creates = [plan for plan in plans if plan.action == CREATE]
    updates = [plan for plan in plans if plan.action == UPDATE]
    created = _create_cases(creates, user=user, now=now)
    updated = _update_cases(updates, user=user, now=now)
    pairs = list(zip(creates, created, strict=True)) + list(zip(updates, updated, strict=True))
    if not pairs:
        return
    history = {"default_user": user, "default_change_reason": CHANGE_REASON, "default_date": now}
    _write_m2m(pairs)
    _write_outcomes(pairs, history)
    _write_sources(pairs, history)
    _case_history(created, updated, history)


def _create_cases(plans: list[RowPlan], *, user, now: datetime) -> list[Case]:
    cases = [
        Case(
            id=plan.requested_id,
            slug=plan.slug,
            version=plan.version,
            created_by=user,
            updated_by=user,
            **plan.scalars,
        )
        for plan in plans
    ]
    Case.objects.bulk_create(cases, batch_size=BATCH)
    if any(plan.requested_id is not None for plan in plans):
        _sequence_past_every_case_id()
    # bulk_create stamps auto_now; a restored case keeps the time it was last changed.
    restored = []
    for plan, case in zip(plans, cases, strict=True):
        if plan.last_updated is not None:
            case.updated_at = plan.last_updated
            restored.append(case)
        else:
            case.updated_at = now
    Case.objects.bulk_update(restored, ["updated_at"], batch_size=BATCH)
    return cases


def _sequence_past_every_case_id() -> None:
    """Explicit ids (restoring an export) leave PostgreSQL's id sequence behind them.

    Move it past every id a case ever had, deleted ones included (they stay
    reserved for restoring), never back: Django's own reset goes to the highest
    *live* id, which hands a deleted case's id to the next new case.
    """
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT never reuses an id
    table = connection.ops.quote_name(Case._meta.db_table)
    history = connection.ops.quote_name(Case.history.model._meta.db_table)
    with connection.cursor() as cursor:
        # Ids above both maxima were never used (a rolled-back insert), so free.
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST("  # noqa: S608
            f"(SELECT MAX(id) FROM {table}), (SELECT MAX(id) FROM {history}), 1))",
            [Case._meta.db_table],
        )


def _update_cases(plans: list[RowPlan], *, user, now: datetime) -> list[Case]:
    cases = []
    for plan in plans:
        case = plan.existing
        for name, value in plan.scalars.items():
            setattr(case, name, value)
        case.updated_by = user
        case.updated_at = now
        # Read under lock in the import's transaction (plan_import), so one up is free.
        case.version += 1
        cases.append(case)
    Case.objects.bulk_update(cases, _UPDATE_FIELDS, batch_size=BATCH)
    return cases


def _through(name: str) -> tuple:
    """The link table and the attributes of its case and term ids."""
    through, case_field, term_field = m2m_link(name)
    return through, case_field.attname, term_field.attname


def _write_m2m(pairs: list[tuple[RowPlan, Case]]) -> None:
    for name in M2M_FIELDS:
        through, case_attr, target_attr = _through(name)
        changed = []
        for plan, case in pairs:
            before = [t.pk for t in getattr(case, name).all()] if plan.existing else []
            if sorted(before) != sorted(plan.m2m[name]):
                changed.append((plan, case))
        replaced = [case.pk for plan, case in changed if plan.existing]
        for start in range(0, len(replaced), BATCH):
            through.objects.filter(**{f"{case_attr}__in": replaced[start : start + BATCH]}).delete()
        rows = [
            through(**{case_attr: case.pk, target_attr: target})
            for plan, case in changed
            for target in plan.m2m[name]
        ]
        through.objects.bulk_create(rows, batch_size=BATCH)


def _write_outcomes(pairs: list[tuple[RowPlan, Case]], history: dict) -> None:
    new, changed, removed = [], [], []
    for plan, case in pairs:
        current = {o.dimension_id: o for o in case.outcomes.all()} if plan.existing else {}
        for dimension, (direction, finding, pages) in plan.outcomes.items():
            outcome = current.get(dimension)
            if outcome is None:
                new.append(
                    Outcome(
                        case=case,
                        dimension_id=dimension,
                        direction_id=direction,
                        finding=finding,
                        pages=pages,
                    )
                )
            elif (outcome.direction_id, outcome.finding, outcome.pages) != (
                direction,
                finding,
                pages,
            ):
                outcome.direction_id, outcome.finding, outcome.pages = direction, finding, pages
                changed.append(outcome)
        removed += [o for dimension, o in current.items() if dimension not in plan.outcomes]
    _delete_with_history(removed, history)
    if new:
        bulk_create_with_history(new, Outcome, batch_size=BATCH, **history)
    if changed:
        bulk_update_with_history(
            changed, Outcome, ["direction", "finding", "pages"], batch_size=BATCH, **history
        )


def _write_sources(pairs: list[tuple[RowPlan, Case]], history: dict) -> None:
    new, changed, removed = [], [], []
    for plan, case in pairs:
        current = {cs.source_id: cs for cs in case.case_sources.all()} if plan.existing else {}
        wanted = {source: rest for source, *rest in plan.sources}
        for source, (confidence, locator, note) in wanted.items():
            link = current.get(source)
            if link is None:
                new.append(
                    CaseSource(
                        case=case,
                        source_id=source,
                        confidence=confidence,
                        locator=locator,
                        note=note,
                    )
                )
            elif (link.confidence, link.locator, link.note) != (confidence, locator, note):
                link.confidence, link.locator, link.note = confidence, locator, note
                changed.append(link)
        removed += [link for source, link in current.items() if source not in wanted]
    _delete_with_history(removed, history)
    if new:
        bulk_create_with_history(new, CaseSource, batch_size=BATCH, **history)
    if changed:
        bulk_update_with_history(
            changed, CaseSource, ["confidence", "locator", "note"], batch_size=BATCH, **history
        )


def _delete_with_history(objects: list, history: dict) -> None:
    # One by one so that simple-history records each deletion (rare in an import).
    for obj in objects:
        obj._history_user = history["default_user"]
        obj._change_reason = CHANGE_REASON
        obj.delete()


def _case_history(created: list[Case], updated: list[Case], history: dict) -> None:
    """One history record per case, with the snapshot of its many-to-many fields."""
    manager = Case.history
    records = list(manager.bulk_history_create(created, batch_size=BATCH, **history))
    records += manager.bulk_history_create(updated, batch_size=BATCH, update=True, **history)
    record_of = {record.id: record for record in records}
    case_ids = list(record_of)
    historical_model = manager.model
    for name in M2M_FIELDS:
        through, case_attr, target_attr = _through(name)
        snapshot_model = getattr(historical_model, name).model
        snapshot = []
        for start in range(0, len(case_ids), BATCH):
            rows = through.objects.filter(
                **{f"{case_attr}__in": case_ids[start : start + BATCH]}
            ).values_list("id", case_attr, target_attr)
            snapshot += [
                snapshot_model(
                    history=record_of[case_id],
                    id=row_id,
                    **{case_attr: case_id, target_attr: target},
                )
                for row_id, case_id, target in rows
            ]
        snapshot_model.objects.bulk_create(snapshot, batch_size=BATCH)
