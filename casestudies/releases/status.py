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
def _status_sql(using: str) -> tuple[str, tuple]:
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
    Cached on the request so a page that shows it twice asks once.
    """
    cached = getattr(request, "_atlas_live_status", None)
    if cached is not None:
        return cached
    using = Release.objects.all().db
    sql, params = _status_sql(using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    release = None
    if row is not None:
        names = [Release._meta.pk.attname if name == "pk" else name for name in _FIELDS]
        release = Release.from_db(using, names, row[: len(_FIELDS)])
    status = LiveStatus(release, row[-1] if row else 0)
    if request is not None:
        request._atlas_live_status = status
    return status
