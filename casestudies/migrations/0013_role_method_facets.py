"""Citizen roles and methods become facets of the case list (casestudies.models.dimensions).

What a facet needs of the database, written out here as the registry's docstring
asks (migrations never import the app): the data stamp's statement triggers on the
tables the new facets' counts read, so cached counts never outlive a write
(PostgreSQL; casestudies/datastamp.py), and a (term, case) index on each new link
table, as 0006 gave the other facets, so that a ticked value is an index-only scan.
"""

from django.db import migrations

BUMP_FUNCTION = "casestudies_facet_stamp_bump"
NEW_WATCHED_TABLES = [
    "casestudies_case_citizen_roles",
    "casestudies_case_methods",
    "casestudies_citizenrole",
    "casestudies_method",
]
NEW_LINKS = {
    "casestudies_case_citizen_roles": "citizenrole_id",
    "casestudies_case_methods": "method_id",
}


def watch(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in NEW_WATCHED_TABLES:
        trigger = f"{table}_facet_stamp"
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {BUMP_FUNCTION}()"
        )


def unwatch(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in NEW_WATCHED_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_facet_stamp ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0012_vocabulary_names"),
    ]

    operations = [
        migrations.RunPython(watch, unwatch, elidable=False),
        *(
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {table}_term_case ON {table} ({term}, case_id)",
                f"DROP INDEX IF EXISTS {table}_term_case",
            )
            for table, term in NEW_LINKS.items()
        ),
    ]
