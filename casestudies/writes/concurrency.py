"""Optimistic concurrency for cases: a write based on an out-of-date version is refused.

Every recorded write of a case (the admin form, a list action, a revert, a
restore, an import) sets ``Case.version`` one higher, and the history keeps the
number with each version. A form, a list, a version page or an import preview
carries the number it showed; the write locks the case's row
(``SELECT ... FOR UPDATE`` inside the writing transaction) and goes ahead only
if the number is still the same. Otherwise it raises :class:`StaleVersion`,
nothing is written, and the message says who changed what meanwhile, from the
history's own diff between the version the curator saw and the case now.

Why not django-concurrency (well kept): the refusal has to show our history diff,
the import writes with ``bulk_update`` (which it does not guard), and its
list-action support rewrites the ``_selected_action`` checkbox values into
"pk,version" pairs; here the check is one comparison under the row lock that
the writing services already take.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from ..models import Case

MAX_CHANGES_SHOWN = 12


class StaleVersion(ValidationError):
    """The case changed since version ``seen``; ``lines`` say who changed what."""

    def __init__(self, case: Case, *, seen: int, current: int, lines: list[str]):
        self.case = case
        self.seen = seen
        self.current = current
        self.lines = lines
        super().__init__(
            [
                gettext(
                    "“%(case)s” was changed by someone else since you opened it (you saw "
                    "version %(seen)s, it is now at version %(current)s), so nothing was saved. "
                    "Reload the page, look at the changes below and make your change again."
                )
                % {"case": case, "seen": seen, "current": current},
                *lines,
            ],
            code="stale",
        )


def lock_case(case_id: int, seen_version: int | None) -> Case:
    """The case's row, locked for the rest of the transaction; checked against ``seen_version``.

    Call inside ``transaction.atomic()``. ``seen_version`` None skips the check
    (a caller that showed no version, e.g. a script). Raises ``Case.DoesNotExist``
    if the case is gone and :class:`StaleVersion` if its version moved on.
    """
    locked = Case.objects.select_for_update().get(pk=case_id)
    if seen_version is not None and locked.version != seen_version:
        raise StaleVersion(
            locked,
            seen=seen_version,
            current=locked.version,
            lines=changes_since(locked, seen_version),
        )
    return locked


def next_version(case: Case) -> int:
    """The number the case's next recorded write takes: one above the saved one.

    Reads the row under lock, so a caller holding an older copy of the case
    cannot write a number that is already in the history.
    """
    saved = (
        Case.objects.select_for_update()
        .filter(pk=case.pk)
        .values_list("version", flat=True)
        .first()
    )
    return (saved if saved is not None else case.version) + 1


def changes_since(case: Case, seen_version: int) -> list[str]:
    """What changed since ``seen_version`` as lines: who and when, then each change."""
    # Imported here: casestudies.writes.history imports the workflow, which imports this module.
    from .history import case_diff, case_versions, live_state

    versions = case_versions(case.pk)
    seen = [v for v in versions if v.case_version == seen_version]
    if not seen:
        return [
            gettext("The history holds no version %(number)s of this case to compare with.")
            % {"number": seen_version}
        ]
    base = seen[-1]
    later = [v for v in versions if v.number > base.number]
    lines = [
        gettext("Changed meanwhile: %(date)s by %(user)s")
        % {
            "date": f"{timezone.localtime(v.date):%Y-%m-%d %H:%M}",
            "user": v.user.get_username() if v.user else gettext("an unrecorded user"),
        }
        + (f" (“{v.reason}”)" if v.reason else "")
        for v in later
    ]
    fresh = Case.objects.with_related().get(pk=case.pk)
    changes = case_diff(base.state, live_state(fresh))
    for change in changes[:MAX_CHANGES_SHOWN]:
        lines.append(f"{change.label}: {change.old} → {change.new}")
    if len(changes) > MAX_CHANGES_SHOWN:
        more = len(changes) - MAX_CHANGES_SHOWN
        lines.append(
            ngettext(
                "… and %(count)d more change (see its history).",
                "… and %(count)d more changes (see its history).",
                more,
            )
            % {"count": more}
        )
    return lines
