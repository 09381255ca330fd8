"""The data stamp gets an epoch: a random value written at every migrate and restore.

The counter alone is wound back by a restore, and counts cached under its old
values would be read again (casestudies/datastamp.py). The SQL is written out
here, not imported from the app, so that this migration does the same whatever
the code becomes. PostgreSQL only: SQLite has no stamp (it caches no counts).
"""

from django.db import migrations

STAMP_TABLE = "casestudies_facet_stamp"


def add_epoch(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {STAMP_TABLE} ADD COLUMN IF NOT EXISTS epoch text NOT NULL "
        "DEFAULT md5(random()::text || clock_timestamp()::text)"
    )


def drop_epoch(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {STAMP_TABLE} DROP COLUMN IF EXISTS epoch")


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0009_case_version")]

    operations = [migrations.RunPython(add_epoch, drop_epoch, elidable=False)]
