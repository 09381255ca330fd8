"""Cached counts stay right while a replica is behind the primary (PostgreSQL).

A lagging replica is stood in for by the replica connection holding a REPEATABLE
READ snapshot taken before a write on the primary: until the snapshot ends it
sees the data, and the data stamp, as they were, exactly as a replica that has
not replayed the write yet. Counts are cached under the stamp read from the
database that served the rows, so each reader gets the counts of the data it sees.
"""

import time

import pytest
from django.db import connections, transaction

from config import db_router
from config.db_router import READ_YOUR_WRITES_COOKIE

from .factories import CaseFactory, CountryFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica_1"]),
]


@pytest.fixture(autouse=True)
def cached_counts_with_a_replica(settings):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the data stamp (and so the count cache) exists on PostgreSQL only")
    settings.FACET_CACHE_SECONDS = 600
    settings.DATABASE_REPLICAS = ["replica_1"]
    settings.DATABASE_REPLICA_CHECK_SECONDS = 600
    settings.DATABASE_READ_YOUR_WRITES_SECONDS = 30
    db_router._monitor = None
    yield
    db_router._monitor = None


class LaggingReplica:
    """The replica connection frozen at the data committed so far, until ``catch_up``."""

    def __enter__(self):
        self.atomic = transaction.atomic(using="replica_1")
        self.atomic.__enter__()
        with connections["replica_1"].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT count(*) FROM casestudies_case")  # the snapshot starts
        return self

    def catch_up(self):
        self.atomic.__exit__(None, None, None)

    def __exit__(self, *exc):
        if connections["replica_1"].in_atomic_block:
            self.atomic.__exit__(*exc)


def _curator_cookie(client):
    """The cookie a write leaves: this client's reads go to the primary for a while."""
    client.cookies[READ_YOUR_WRITES_COOKIE] = f"{time.time() + 20:.0f}"


def _list_count(client, url="/cases/?country=SE"):
    response = client.get(url)
    assert response.status_code == 200
    panel = next(p for p in response.context["panels"] if p.param == "country")
    counts = {value.key: value.count for value in panel.values}
    return response.context["page"].paginator.count, counts.get("SE", 0)


def test_list_counts_follow_the_database_that_served_the_rows(client, django_db_blocker):
    sweden = CountryFactory(code="SE", name="Sweden")
    CaseFactory(countries=[sweden])
    public, curator = client, client.__class__()
    _curator_cookie(curator)
    assert _list_count(public) == (1, 1)
    with LaggingReplica() as replica:
        CaseFactory(countries=[sweden])  # committed on the primary, not yet on the replica
        # The replica's rows and its counts agree: one Swedish case, cached under its stamp.
        assert _list_count(public) == (1, 1)
        assert _list_count(public) == (1, 1)
        # The curator reads the primary, whose stamp is newer: never the replica's counts.
        assert _list_count(curator) == (2, 2)
        # ...and caching the primary's counts does not leak them to the lagging replica.
        assert _list_count(public) == (1, 1)
        replica.catch_up()
        assert _list_count(public) == (2, 2)


def test_matrix_counts_follow_the_database_that_served_the_rows(client):
    sweden = CountryFactory(code="SE", name="Sweden")
    CaseFactory(countries=[sweden])
    public, curator = client, client.__class__()
    _curator_cookie(curator)

    def total(who):
        response = who.get("/matrix/")
        assert response.status_code == 200
        return response.context["matrix"].grand_total.count

    assert total(public) == 1
    with LaggingReplica() as replica:
        CaseFactory(countries=[sweden])
        assert total(public) == 1
        assert total(curator) == 2
        assert total(public) == 1
        replica.catch_up()
        assert total(public) == 2


def test_home_counts_follow_the_database_that_served_the_rows(client):
    sweden = CountryFactory(code="SE", name="Sweden")
    CaseFactory(countries=[sweden])
    public, curator = client, client.__class__()
    _curator_cookie(curator)

    def published(who):
        response = who.get("/")
        assert response.status_code == 200
        return response.context["case_count"]

    assert published(public) == 1
    with LaggingReplica() as replica:
        CaseFactory(countries=[sweden])
        assert published(public) == 1
        assert published(curator) == 2
        assert published(public) == 1
        replica.catch_up()
        assert published(public) == 2
