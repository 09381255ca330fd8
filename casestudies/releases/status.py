"""Which release the live data was last frozen as, and how much has changed since."""

from dataclasses import dataclass
from functools import cache

from django.db import connections
from django.db.models import IntegerField, OuterRef, Subquery

from ..models import Case, Release


class _SubqueryCount(Subquery):
    template = "(SELECT count(*) FROM (%(subquery)s) _changes)"
    output_field = IntegerField()


@dataclass(frozen=True)
class LiveStatus:
    release: Release | None
    changes_since: int  # case history entries (edits, publications, deletions) since


_FIELDS = ("pk", "version", "created", "history_mark")


@cache
def status_sql(using: str) -> tuple[str, tuple]:
    """The statement of :func:`live_status`, compiled once per database (compiling it
    was most of the ~1 ms it cost every page that says which release is live)."""
    history = Case.history.model._default_manager
    later = history.filter(history_id__gt=OuterRef("history_mark")).order_by().values("pk")
    query = (
        Release.objects.using(using)
        .latest_first()
        .annotate(changes_since=_SubqueryCount(later))
        .values_list(*_FIELDS, "changes_since")[:1]
    )
    return query.query.get_compiler(using).as_sql()


def live_status(request=None) -> LiveStatus:
    """One query: the latest release with the number of case history entries after it.

    Drafts' edits count too (the history does not say which edits touched published
    data); the next release's changelog says what changed in the published data.
    Cached on the request so a page that shows it twice asks once (the case page
    reads it with the case: :func:`remember`).
    """
    cached = getattr(request, "_atlas_live_status", None)
    if cached is not None:
        return cached
    using = Release.objects.all().db
    sql, params = status_sql(using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    status = status_of(row, using)
    if request is not None:
        remember(request, status)
    return status


# For a statement that reads the live status with other things (as a LATERAL
# subquery: ``status_sql``): its number of columns, and the status from them.
STATUS_COLUMNS = len(_FIELDS) + 1


def status_of(row, using: str) -> LiveStatus:
    """The status from ``status_sql``'s columns (None, or a first column of None: no
    release)."""
    if row is None or row[0] is None:
        return LiveStatus(None, 0)
    names = [Release._meta.pk.attname if name == "pk" else name for name in _FIELDS]
    return LiveStatus(Release.from_db(using, names, row[: len(_FIELDS)]), row[len(_FIELDS)])


def wanted(request) -> bool:
    """Whether ``request`` has not read the live status yet."""
    return getattr(request, "_atlas_live_status", None) is None


def remember(request, status: LiveStatus) -> None:
    """What :func:`live_status` gives for ``request`` from now on."""
    request._atlas_live_status = status
