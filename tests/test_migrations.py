"""Migrations stand alone: what they install never depends on the app's live code."""

import ast
from pathlib import Path

import pytest
from django.db import connection

from casestudies.facets.definitions import TERM_FACETS, ManyToManyFacet
from casestudies.models import Case, Chapter, Country, Outcome, OutcomeDimension, OutcomeDirection

MIGRATIONS = Path(__file__).resolve().parent.parent / "casestudies" / "migrations"
ALLOWED = "casestudies.migrations"


def _imported_modules(path: Path) -> list[str]:
    """Absolute names of the modules ``path`` imports (relative ones resolved)."""
    package = ALLOWED.split(".")
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            names.append(".".join([*base, *([node.module] if node.module else [])]))
    return names


def _migration_files() -> list[Path]:
    return sorted(p for p in MIGRATIONS.glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", _migration_files(), ids=lambda p: p.name)
def test_no_migration_imports_the_app_s_code(path):
    live = [
        name
        for name in _imported_modules(path)
        if name.split(".")[0] == "casestudies" and not name.startswith(ALLOWED)
    ]
    assert live == [], f"{path.name} imports {live}: freeze what it needs in the migration"


def test_the_import_walk_sees_relative_and_absolute_imports(tmp_path):
    # The check above is only as good as this walk: it must catch both spellings.
    sample = tmp_path / "0099_sample.py"
    sample.write_text(
        "from .. import search_index\nfrom casestudies.facets import cache\n"
        "import casestudies.models\nfrom ._frozen import install\n"
    )
    assert _imported_modules(sample) == [
        "casestudies",
        "casestudies.facets",
        "casestudies.models",
        "casestudies.migrations._frozen",
    ]


@pytest.mark.django_db
def test_the_migrated_stamp_watches_every_table_the_facet_counts_read():
    """The stamp's triggers are frozen in migrations: a facet over a new table needs one."""
    if connection.vendor != "postgresql":
        pytest.skip("the data stamp exists on PostgreSQL only")
    read = {m._meta.db_table for m in (Case, Outcome, Country, Chapter)}
    read |= {OutcomeDimension._meta.db_table, OutcomeDirection._meta.db_table}
    for facet in TERM_FACETS:
        read.add(facet.model._meta.db_table)
        if isinstance(facet, ManyToManyFacet):
            read.add(Case._meta.get_field(facet.field_name).remote_field.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE '%%_facet_stamp'"
        )
        watched = {row[0] for row in cursor.fetchall()}
    assert read <= watched
