"""Case.version, the number that optimistic concurrency checks (casestudies.writes.concurrency).

On SQLite a NOT NULL column would normally be added by rebuilding the table,
which the full-text triggers that name ``casestudies_case`` do not survive;
SQLite adds a NOT NULL column with a default in place, so it does that instead.
"""

from django.db import migrations, models

TABLES = {"case": "casestudies_case", "historicalcase": "casestudies_historicalcase"}


def version_field():
    return models.PositiveIntegerField(default=1, editable=False)


def add_columns(apps, schema_editor):
    for model_name, table in TABLES.items():
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                f'ALTER TABLE "{table}" ADD COLUMN "version" integer unsigned NOT NULL '
                'DEFAULT 1 CHECK ("version" >= 0)'
            )
        else:
            model = apps.get_model("casestudies", model_name)
            field = version_field()
            field.set_attributes_from_name("version")
            schema_editor.add_field(model, field)


def remove_columns(apps, schema_editor):
    for model_name in TABLES:
        model = apps.get_model("casestudies", model_name)
        schema_editor.remove_field(model, model._meta.get_field("version"))


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0008_search_everything"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="case", name="version", field=version_field()),
                migrations.AddField(
                    model_name="historicalcase", name="version", field=version_field()
                ),
            ],
            database_operations=[migrations.RunPython(add_columns, remove_columns)],
        ),
    ]
