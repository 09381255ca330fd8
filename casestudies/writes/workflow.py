"""The publishing workflow: draft -> in review -> published, and back to draft.

Shared by the admin (change form and list actions) and the spreadsheet import,
so a case can only become public in one way and under the same rules:

* ``publication_problems(case)`` says what still stops a case from being
  published (empty list = ready);
* ``transition_problem(...)`` says whether a user may move a case between two
  statuses;
* ``case_set_status(...)`` does it, in a transaction, leaving one history
  entry that records who, when and why.

Publishing (and taking a case off the public site) is its own permission,
``casestudies.publish_case``, so a contributor role could later prepare cases
and submit them for review without being able to publish them; curators hold it.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from ..models import Case, CaseStatus
from .concurrency import lock_case
from .versions import one_version

PUBLISH_PERMISSION = "casestudies.publish_case"
CHANGE_PERMISSION = "casestudies.change_case"

# (from, to) -> the permission the move needs. Moves not listed are refused:
# a published case goes back to draft before it is reworked or reviewed again.
TRANSITIONS: dict[tuple[str, str], str] = {
    (CaseStatus.DRAFT, CaseStatus.REVIEW): CHANGE_PERMISSION,
    (CaseStatus.REVIEW, CaseStatus.DRAFT): CHANGE_PERMISSION,
    (CaseStatus.REVIEW, CaseStatus.PUBLISHED): PUBLISH_PERMISSION,
    # A curator who coded and checked a case may publish it without a second reader.
    (CaseStatus.DRAFT, CaseStatus.PUBLISHED): PUBLISH_PERMISSION,
    (CaseStatus.PUBLISHED, CaseStatus.DRAFT): PUBLISH_PERMISSION,
}


def _label(status: str) -> str:
    try:
        return CaseStatus(status).label
    except ValueError:
        return repr(status)


def publication_problems(
    case: Case,
    *,
    countries: Iterable | None = None,
    sources: Iterable | None = None,
) -> list[str]:
    """What stops ``case`` from being published; an empty list means it may be.

    Forms and imports that check *before* writing pass the values about to be
    saved as ``countries`` and ``sources`` (any iterables, only their emptiness
    counts). Otherwise the case's saved relations are read: no query when they
    were prefetched (``Case.objects.with_related()``), else up to two small ones.
    An unsaved case without them has no countries or sources yet.
    """
    problems = []
    if case.chapter_id is None:
        problems.append(gettext("A chapter is required before publishing."))
    if countries is None:
        has_countries = case.pk is not None and _exists(case.countries)
    else:
        has_countries = bool(list(countries))
    if not has_countries:
        problems.append(gettext("At least one country is required before publishing."))
    if sources is None:
        has_sources = case.pk is not None and _exists(case.case_sources)
    else:
        has_sources = bool(list(sources))
    if not has_sources:
        problems.append(gettext("A source is required before publishing."))
    return problems


def _exists(manager) -> bool:
    # .all() uses a prefetch cache when there is one; .exists() would always query.
    queryset = manager.all()
    if queryset._result_cache is not None:
        return bool(queryset._result_cache)
    return queryset.exists()


def transition_problem(*, from_status: str, to_status: str, user) -> str | None:
    """Why ``user`` may not move a case from one status to another, or None if they may."""
    if to_status not in CaseStatus.values:
        return gettext("Unknown status %(status)r; use one of: %(statuses)s.") % {
            "status": to_status,
            "statuses": ", ".join(CaseStatus.values),
        }
    if from_status == to_status:
        return None
    permission = TRANSITIONS.get((from_status, to_status))
    if permission is None:
        return gettext(
            "A case cannot go from %(from)s to %(to)s; move it back to %(draft)s first."
        ) % {"from": _label(from_status), "to": _label(to_status), "draft": CaseStatus.DRAFT.label}
    if user is None or not user.has_perm(permission):
        if permission == PUBLISH_PERMISSION:
            return gettext("You do not have permission to publish or unpublish cases.")
        return gettext("You do not have permission to edit cases.")
    return None


def allowed_statuses(*, from_status: str, user) -> list[str]:
    """The statuses ``user`` may choose for a case now in ``from_status`` (itself included)."""
    return [
        status
        for status in CaseStatus.values
        if transition_problem(from_status=from_status, to_status=status, user=user) is None
    ]


def case_set_status(
    *, case: Case, status: str, user, reason: str = "", seen_version: int | None = None
) -> Case:
    """Move ``case`` to ``status`` on behalf of ``user``; returns the saved case.

    Raises ``PermissionDenied`` when the user may not make this move and
    ``ValidationError`` when the move is not allowed or (for publishing) the
    case has publication problems. Saves in a transaction with the row locked,
    leaving one history entry with the user and ``reason``. Setting the status
    a case already has is a no-op and writes nothing. With ``seen_version`` (the
    version the curator's list showed) a case changed since is refused with
    :class:`~casestudies.writes.concurrency.StaleVersion`.
    """
    with transaction.atomic():
        locked = lock_case(case.pk, seen_version)
        if locked.status == status:
            return locked
        problem = transition_problem(from_status=locked.status, to_status=status, user=user)
        if problem:
            if status in CaseStatus.values and (locked.status, status) in TRANSITIONS:
                raise PermissionDenied(problem)
            raise ValidationError(problem, code="transition")
        if status == CaseStatus.PUBLISHED:
            problems = publication_problems(locked)
            if problems:
                raise ValidationError(problems, code="publication")
        if not reason:
            # A recorded reason is data: in English, whatever the curator's language.
            with translation.override(settings.LANGUAGE_CODE):
                reason = f"{_label(locked.status)} → {_label(status)}"
        # One history row with who and why, holding the outcomes and sources too.
        with one_version(locked, user=user, reason=reason):
            locked.status = status
            locked.updated_by = user
    case.status = locked.status
    case.version = locked.version
    case.updated_by = locked.updated_by
    case.updated_at = locked.updated_at
    return locked
