# ruff: noqa: S608 -- SQL built from this migration's constants only.
"""Full-text search index for cases (see casestudies/reads/search_index.py).

PostgreSQL: a weighted tsvector column kept by triggers, with a GIN index.
SQLite: an FTS5 table kept by triggers (nothing when SQLite lacks FTS5).
PostgreSQL also gets the data stamp the facet-count cache is keyed on
(casestudies/datastamp.py): a counter that statement-level triggers on every
table the facet counts read bump.
Neither is a model field, so the migration state does not change.

Frozen: the index comes from this package's copy of it (``_search_index_0008``),
and the stamp's SQL and tables are written out here, so that what this migration
installs does not change with the app's code. A migration that adds a table the
facet counts read (a new coded dimension with a facet) adds its trigger itself.
"""

from django.db import migrations

from ._search_index_0008 import install as install_search_index
from ._search_index_0008 import uninstall as uninstall_search_index

STAMP_TABLE = "casestudies_facet_stamp"
BUMP_FUNCTION = "casestudies_facet_stamp_bump"
# Every table the facet counts read, as they stood at this migration.
WATCHED_TABLES = [
    "casestudies_case",
    "casestudies_case_countries",
    "casestudies_case_levels",
    "casestudies_case_participation_dimensions",
    "casestudies_case_participation_forms",
    "casestudies_case_phases",
    "casestudies_case_policy_fields",
    "casestudies_case_provider_types",
    "casestudies_chapter",
    "casestudies_country",
    "casestudies_level",
    "casestudies_outcome",
    "casestudies_outcomedimension",
    "casestudies_outcomedirection",
    "casestudies_participationdimension",
    "casestudies_participationform",
    "casestudies_phase",
    "casestudies_policyfield",
    "casestudies_providertype",
    "casestudies_welfaretradition",
    "casestudies_worldregion",
]


def install_stamp(schema_editor):
    """The stamp table and its triggers (PostgreSQL only). Idempotent."""
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute(
        f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} "
        "(id smallint PRIMARY KEY CHECK (id = 1), n bigint NOT NULL)"
    )
    execute(f"INSERT INTO {STAMP_TABLE} VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
    execute(
        f"CREATE OR REPLACE FUNCTION {BUMP_FUNCTION}() RETURNS trigger AS $$ "
        f"BEGIN UPDATE {STAMP_TABLE} SET n = n + 1 WHERE id = 1; RETURN NULL; END "
        "$$ LANGUAGE plpgsql"
    )
    for table in WATCHED_TABLES:
        trigger = f"{table}_facet_stamp"
        execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        execute(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {BUMP_FUNCTION}()"
        )


def uninstall_stamp(schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_facet_stamp ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {BUMP_FUNCTION}()")
    schema_editor.execute(f"DROP TABLE IF EXISTS {STAMP_TABLE}")


def install(apps, schema_editor):
    install_search_index(schema_editor.connection, apps)
    install_stamp(schema_editor)


def uninstall(apps, schema_editor):
    uninstall_stamp(schema_editor)
    uninstall_search_index(schema_editor.connection, apps)


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0002_curation"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
