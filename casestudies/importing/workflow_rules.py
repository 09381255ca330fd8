"""The publishing rules the import applies, from ``casestudies.writes.workflow``.

A thin adapter so the import checks a published row exactly as the admin does
(a chapter, a country and a source before publishing; allowed status moves),
without the importer depending on the workflow module's internals.
"""

from ..writes.workflow import TRANSITIONS, publication_problems
from ..writes.workflow import transition_problem as _transition_problem

__all__ = ["publication_problems", "transition_problem"]


def transition_problem(*, from_status: str, to_status: str, user) -> str | None:
    """As the workflow's check; with no user (the management command, run by an
    operator with shell access) only the move itself is checked, not permissions."""
    if user is not None:
        return _transition_problem(from_status=from_status, to_status=to_status, user=user)
    if from_status == to_status or (from_status, to_status) in TRANSITIONS:
        return None
    return _transition_problem(from_status=from_status, to_status=to_status, user=None)
