"""Admin saves of rows the cases' derived data reads: the longer curation timeout.

The search index and cases.csv's stored lines are kept by the database's triggers in
the saving statement (casestudies/reads/search_index.py,
casestudies/extracts/stored_lines.py): a relabelled term re-indexes each of its cases,
~8 s for a term of 17,000 cases at 100,000 on a quiet server, and several times that
under load, near the web's 30 s statement timeout, which would cancel the save and
roll it back. Saves and deletions here run, still in the admin's transaction, with
``DATABASE_CURATION_STATEMENT_TIMEOUT`` (docs/operations.md). An edit that changes
nothing the derived data reads (a translation, a definition) touches no case.
"""

from contextlib import contextmanager

from django.db import connections, router, transaction

from ..plumbing.batch import curation_statement_timeout


class DerivedDataAdminMixin:
    """Saves and deletions (one object, or the delete action's) with the curation timeout."""

    @contextmanager
    def _curation(self):
        # The admin's change and delete views are atomic already; the delete action is
        # not: this transaction (or savepoint) holds the setting until the outer ends.
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            curation_statement_timeout(connections[using])
            yield

    def save_model(self, request, obj, form, change):
        with self._curation():
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with self._curation():
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with self._curation():
            super().delete_queryset(request, queryset)
