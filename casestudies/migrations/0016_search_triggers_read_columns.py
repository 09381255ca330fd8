"""The search index's triggers compare a row's old and new versions.

The admin writes every column of a term it saves: before this migration an edit of
a translated label or a definition recomputed the search vector of each of the
term's cases (17,000 cases for a popular term at 100,000), though the document
reads only a term's label and synonyms. Now a trigger touches no case unless a
column the document reads changed (casestudies/reads/search_index.py, ``Watch.columns``).

Frozen: the triggers come from this package's copy (``_search_index_0016``). The
document itself is unchanged, so the vectors are kept (``reindex=False``); going
back puts 0008's triggers back, again without recomputing them.

cases.csv's stored lines follow the same rule; their triggers come from the app's
code at every ``migrate`` (``stored_lines.install_after_migrate``), no migration.
"""

from django.db import migrations

from . import _search_index_0008 as previous
from ._search_index_0016 import install


def install_triggers(apps, schema_editor):
    install(schema_editor.connection, apps, reindex=False)


def reinstall_previous_triggers(apps, schema_editor):
    """0008's triggers: every update of a watched row reindexes its cases."""
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # 0008's functions and triggers, not its column, index and reindex of every case
        # (minutes at 100,000): the vectors are what 0008's triggers would have kept.
        schema = previous._Schema(apps)
        kept = (f"UPDATE {schema.case} ", f"ALTER TABLE {schema.case} ", "CREATE INDEX ")
        with connection.cursor() as cursor:
            for sql in previous._pg_statements(schema):
                if not sql.startswith(kept):
                    cursor.execute(sql)
    else:
        previous.install(connection, apps)


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0015_extract_lines"),
    ]

    operations = [
        migrations.RunPython(install_triggers, reinstall_previous_triggers, elidable=False),
    ]
