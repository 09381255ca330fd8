"""Restore a ``dumpdata`` backup into a new, migrated database, exactly as it was.

The backup (docs/operations.md) is ``dumpdata --exclude sessions`` with plain
primary keys: natural keys cannot serialise the history of a deleted case, whose
rows point at a case that no longer exists. So the backup carries its own content
types and permissions, and this command first removes the ones ``migrate`` made
(their ids may differ) before loading.

Plain ``loaddata`` would also record the restore itself as history: setting each
case's many-to-many fields fires django-simple-history's signal, adding a
"Changed" entry per case, dated today and made by nobody. Here history is off
while loading. A database that already holds cases or users is refused (a
restore is not a merge), and everything is written or nothing.

Last, the id counters of models with history move past every id their history
remembers: otherwise a new case could take the id of a deleted one and inherit
its history (``loaddata`` sets them only past the rows that still exist). And the
data stamp gets a new epoch, so that no count cached before the restore is read.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import override_settings

from casestudies.datastamp import rotate_epoch
from casestudies.models import Case


class Command(BaseCommand):
    help = "Restore a dumpdata backup (JSON, optionally .gz/.xz/.bz2) into a new database."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The file written by the documented dumpdata command.")

    def handle(self, *args, backup, verbosity=1, **options):
        if Case.objects.exists() or Case.history.exists() or get_user_model().objects.exists():
            raise CommandError(
                "This database already holds cases or users. Restore into a new database: "
                "create it, run `manage.py migrate`, then this command."
            )
        with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
            # Made by migrate's post_migrate hooks; the backup has the originals, with their ids.
            Group.objects.all().delete()
            Permission.objects.all().delete()
            ContentType.objects.all().delete()
            ContentType.objects.clear_cache()
            call_command("loaddata", backup, verbosity=verbosity)
            for model in apps.get_models():
                _move_id_counter_past_history(model)
            # Counts cached before the restore (this database's or another's sharing the
            # cache) must never be read for the restored data: a stamp never seen before.
            rotate_epoch(connection)
        ContentType.objects.clear_cache()
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Restored {Case.objects.count()} cases and "
                    f"{Case.history.count()} history entries of cases."
                )
            )


def _move_id_counter_past_history(model) -> None:
    manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager_name is None or not model._meta.pk.get_internal_type().endswith("AutoField"):
        return
    pk = model._meta.pk.attname
    history_max = getattr(model, manager_name).aggregate(top=Max(pk))["top"]
    if history_max is None:
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), "
                "GREATEST(%s, (SELECT COALESCE(MAX(" + connection.ops.quote_name(pk) + "), 0) "
                "FROM " + connection.ops.quote_name(table) + ")))",
                [table, pk, history_max],
            )
        elif connection.vendor == "sqlite":
            # Django's SQLite tables use AUTOINCREMENT, whose counter lives in sqlite_sequence.
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s",
                [history_max, table],
            )
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT %s, %s "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                [table, history_max, table],
            )
