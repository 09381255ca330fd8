"""Batch commands run without the web's statement timeout (PostgreSQL).

``DATABASE_STATEMENT_TIMEOUT`` (30 s) guards the web's workers; a one-off job's
single statement may take longer at scale: the entry point migrates on every start,
and a data migration at 100,000 cases (0008 re-indexes every case: minutes) cut at
30 s would fail the deploy; ``generate_synthetic_cases --count 100000`` rebuilt its
deferred index for longer than 30 s and was cancelled, rolling back every case.
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


def _slow_returning(value):
    def slow(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.5)")
        return value

    return slow


@pytest.fixture
def short_timeout():
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '200ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")


# Each command, the function that does its long work, and what that returns.
SLOW_STEPS = [
    ("migrate", [], "django.core.management.commands.migrate.Command.handle", None),
    (
        "generate_synthetic_cases",
        ["--count", "1"],
        "casestudies.management.commands.generate_synthetic_cases.synthetic_cases_generate",
        mock.DEFAULT,
    ),
    (
        "release",
        ["9.9"],
        "casestudies.management.commands.release.create_release",
        mock.DEFAULT,  # the mock's own return value: a stand-in release for the report
    ),
]


@pytest.mark.parametrize(("command", "arguments", "target", "returns"), SLOW_STEPS)
def test_a_statement_longer_than_the_timeout_completes(
    short_timeout, command, arguments, target, returns
):
    with mock.patch(target, side_effect=_slow_returning(returns)) as step:
        call_command(command, *arguments, verbosity=0)  # raised QueryCanceled before
    assert step.called
    assert _timeout() == "200ms"  # and the session's own limit is back afterwards


def test_behind_a_transaction_pooler_the_session_is_left_alone(short_timeout, settings):
    settings.DATABASE_TRANSACTION_POOLING = True
    seen = []
    with mock.patch(
        "casestudies.management.commands.generate_synthetic_cases.synthetic_cases_generate",
        side_effect=lambda **kw: seen.append(_timeout()),
    ):
        call_command("generate_synthetic_cases", "--count", "1", verbosity=0)
    with mock.patch.object(DjangoMigrate, "handle", lambda *a, **k: seen.append(_timeout())):
        call_command("migrate", verbosity=0)
    assert seen == ["200ms", "200ms"]
