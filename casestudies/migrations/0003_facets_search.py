"""Full-text search index for cases (see casestudies/search.py).

PostgreSQL: a weighted tsvector column kept by triggers, with a GIN index.
SQLite: an FTS5 table kept by triggers (nothing when SQLite lacks FTS5).
PostgreSQL also gets the data stamp the facet-count cache is keyed on
(casestudies/facets/cache.py).
Neither is a model field, so the migration state does not change.
"""

from django.db import migrations


def install(apps, schema_editor):
    from casestudies.facets.cache import install_stamp
    from casestudies.search import install_search_index

    install_search_index(schema_editor.connection, apps)
    install_stamp(schema_editor.connection)


def uninstall(apps, schema_editor):
    from casestudies.facets.cache import uninstall_stamp
    from casestudies.search import uninstall_search_index

    uninstall_stamp(schema_editor.connection)
    uninstall_search_index(schema_editor.connection, apps)


class Migration(migrations.Migration):
    dependencies = [
        ("casestudies", "0002_curation"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
