"""One history version per write of a case, however many rows the write touches.

Every service that writes a case (the admin, the workflow, a revert, the import,
the book loader) wraps its writes in :func:`one_version`. Its own module so that
the workflow (which records versions) and the history (which reads them and
checks publishing rules on a revert) do not import each other.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from ..models import Case, CaseSource, Outcome
from .concurrency import next_version


@contextmanager
def one_version(
    case: Case, *, user, reason: str = "", created: bool | None = None
) -> Iterator[Case]:
    """Record every write to ``case`` inside the block as a single history version.

    Without it a save, each many-to-many change and the outcome edits would each
    leave a row, and the case's own rows would be written *before* its outcomes,
    so no version would hold the finished edit. Inside the block the case's rows
    are held back; on leaving it the case is saved once more, which writes one
    row with the final values and the user and reason ("Created" for a new case).
    Use it inside a transaction. ``created`` defaults to "the case is not saved
    yet"; pass it when the case was first saved (without history) before the block.
    """
    if created is None:
        created = case.pk is None
    case.skip_history_when_saving = True
    try:
        yield case
    finally:
        del case.skip_history_when_saving
    _record_untracked_children(case, user=user)
    case._history_user = user
    case._change_reason = reason[:100]
    if not created:
        case.version = next_version(case)
    case.save()
    if created:
        # The row above came from an update, so simple-history typed it "changed".
        record = Case.history.filter(id=case.pk).latest("history_date", "history_id")
        record.history_type = "+"
        record.save(update_fields=["history_type"])


def _record_untracked_children(case: Case, *, user) -> None:
    """Give outcomes and sources that have no history yet (e.g. loaded from a fixture,
    which simple-history skips) a first row now, so this version and later ones hold them."""
    for model in (Outcome, CaseSource):
        # A fresh query: the admin's case carries a prefetch from before the save.
        children = list(model.objects.filter(case=case))
        tracked = set(
            model.history.filter(id__in=[c.pk for c in children]).values_list("id", flat=True)
        )
        untracked = [c for c in children if c.pk not in tracked]
        if untracked:
            model.history.bulk_history_create(
                untracked,
                default_user=user,
                default_change_reason="First recorded (saved without history before)",
            )
