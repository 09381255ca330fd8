"""cases.csv lines stored per case (casestudies/extracts/stored_lines.py).

The tables only, frozen here. Their rendering functions and triggers come from the
app's code and are installed, and every line rendered, by the post_migrate hook
(``stored_lines.install_after_migrate``) at the end of this and every later
``migrate``: the SQL that renders a line follows the columns of cases.csv, which the
code defines, so the lines are rendered again whenever it changes.
"""

from django.db import migrations

TABLE = "casestudies_case_extract_line"
STATE_TABLE = "casestudies_extract_line_state"

CREATE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(case_id bigint PRIMARY KEY, head text NOT NULL, tail text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
    "(id integer PRIMARY KEY CHECK (id = 1), signature text NOT NULL)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # CASCADE: the triggers that run the functions go with them.
    for function in (
        "casestudies_extract_lines_touch()",
        "casestudies_extract_lines_refresh(bigint[])",
        "casestudies_extract_lines_live(bigint[])",
    ):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0014_translated_labels"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
