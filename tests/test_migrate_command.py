"""``migrate`` runs without the web's statement timeout (PostgreSQL).

The entry point migrates on every start; a data migration at 100,000 cases (0008
re-indexes every case: minutes) cut at DATABASE_STATEMENT_TIMEOUT's 30 s would
fail the deploy.
"""

from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def _slow_migration(self, *args, **options):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.5)")


@pytest.fixture
def short_timeout():
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '200ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")


def test_a_migration_longer_than_the_statement_timeout_completes(short_timeout):
    with mock.patch.object(DjangoMigrate, "handle", _slow_migration):
        call_command("migrate", verbosity=0)  # raised QueryCanceled before the fix


def test_the_timeout_is_back_after_migrating(short_timeout):
    with mock.patch.object(DjangoMigrate, "handle", _slow_migration):
        call_command("migrate", verbosity=0)
    assert _timeout() == "200ms"


def test_behind_a_transaction_pooler_the_session_is_left_alone(short_timeout, settings):
    # A SET would outlive the transaction on a pooled server connection; there the
    # timeout is the database's own (docs/operations.md).
    settings.DATABASE_TRANSACTION_POOLING = True
    seen = []
    with mock.patch.object(DjangoMigrate, "handle", lambda *a, **k: seen.append(_timeout())):
        call_command("migrate", verbosity=0)
    assert seen == ["200ms"]
