"""Which release the live data was last frozen as, and how much has changed since."""

from dataclasses import dataclass
from functools import cache

from django.db.models import IntegerField, OuterRef, Subquery

from ..models import Case, Release


class _SubqueryCount(Subquery):
    template = "(SELECT count(*) FROM (%(subquery)s) _changes)"
    output_field = IntegerField()


@dataclass(frozen=True)
class LiveStatus:
    release: Release | None
    changes_since: int  # case history entries (edits, publications, deletions) since


@cache
def _case_history():
    """The cases' history model (``Case.history`` builds a manager class per access:
    a quarter of a millisecond of every page that says which release is live)."""
    return Case.history.model


def live_status(request=None) -> LiveStatus:
    """One query: the latest release with the number of case history entries after it.

    Drafts' edits count too (the history does not say which edits touched published
    data); the next release's changelog says what changed in the published data.
    Cached on the request so a page that shows it twice asks once.
    """
    cached = getattr(request, "_atlas_live_status", None)
    if cached is not None:
        return cached
    later = (
        _case_history()
        ._default_manager.filter(history_id__gt=OuterRef("history_mark"))
        .order_by()
        .values("pk")
    )
    release = (
        Release.objects.latest_first()
        .only("version", "created", "history_mark")
        .annotate(changes_since=_SubqueryCount(later))
        .first()
    )
    status = LiveStatus(release, release.changes_since if release else 0)
    if request is not None:
        request._atlas_live_status = status
    return status
