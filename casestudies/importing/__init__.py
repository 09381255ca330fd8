"""Spreadsheet import: a CSV in the columns of /cases.csv, previewed, then written all at once.

``cases_import(data, user=..., commit=False)`` is the preview: it reads and checks
every row and says which cases would be created, updated or left unchanged,
with every row error (row number, column, message). With ``commit=True`` the
same checks run again inside one transaction and, only if no row has an error,
everything is written; otherwise nothing is.
"""

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from .planning import ImportReport, plan_import
from .reading import ImportFileError
from .writing import apply_plans

__all__ = ["ImportFileError", "ImportReport", "cases_import"]


def cases_import(
    data: bytes,
    *,
    user=None,
    commit: bool = False,
    seen_versions: dict[str, int | None] | None = None,
) -> ImportReport:
    """Preview (commit=False) or import (commit=True) a CSV file's bytes.

    Raises ImportFileError when the file cannot be used at all. With commit=True
    and no row errors, writes every change in one transaction and sets
    ``report.written``; with any error, writes nothing. ``seen_versions`` is the
    preview's ``report.versions``: a case changed since the preview is a row
    error (optimistic concurrency, casestudies.writes.concurrency).
    """
    if not commit:
        # Reads only; no transaction, so a preview never holds SQLite's write lock.
        return plan_import(data, user=user)
    try:
        with transaction.atomic():
            report = plan_import(data, user=user, seen_versions=seen_versions)
            if report.ok:
                apply_plans(report.plans, user=user, now=timezone.now())
                report.written = True
    except DatabaseError as exc:
        # A rule the checks above missed (or a concurrent edit): refuse the whole file.
        raise ImportFileError(
            gettext("The database refused the import, so nothing was written: %(error)s")
            % {"error": exc}
        ) from exc
    return report
