import pytest
from django.core.cache import cache
from django.core.management import call_command

from casestudies.roles import curators_group_sync

from . import factories


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (pages cache counts between requests)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def book_data(db):
    """The real reference data and the book's cases, loaded as `make run` loads them."""
    call_command("load_book", verbosity=0)


@pytest.fixture
def reference_data(db):
    call_command("load_book", reference_only=True, verbosity=0)


@pytest.fixture
def curator(db):
    user = factories.UserFactory(username="curator", is_staff=True)
    user.groups.add(curators_group_sync())
    return user


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)
