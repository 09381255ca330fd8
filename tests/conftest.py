import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from casestudies.models import CaseSource
from casestudies.plumbing.roles import curators_group_sync
from casestudies.reads import case_index

from . import factories
from .factories import (
    CaseFactory,
    CitizenRoleFactory,
    CountryFactory,
    InfluenceLevelFactory,
    LevelFactory,
    MethodFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    ParticipationDimensionFactory,
    ParticipationFormFactory,
    PhaseFactory,
    PolicyFieldFactory,
    ProviderTypeFactory,
    SourceFactory,
)


@pytest.fixture(autouse=True)
def _english_between_tests():
    """Each test starts in the default language.

    A request activates its language in the thread that serves it, which for the test
    client is the test's own: a German page would otherwise leave reverse() in the
    next test making German (/de/) addresses.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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


@pytest.fixture
def rich_atlas(db):
    """Three cases, one of them with every field filled with text that is hard to write."""
    se = CountryFactory(code="SE", name="Sweden")
    de = CountryFactory(code="DE", name="Germany")
    quality = OutcomeDimensionFactory(slug="service-quality", order=1)
    trust = OutcomeDimensionFactory(slug="trust", order=2)
    improved, mixed = (
        OutcomeDirectionFactory(slug="improved"),
        OutcomeDirectionFactory(slug="mixed"),
    )
    book = SourceFactory(slug="book")
    article = SourceFactory(slug="article", kind="article", year=2010)
    full = CaseFactory(
        title='Commas, "quotes",\nnew lines and Ελληνικά 日本語',
        summary="=Looks like a formula; '=and this too",
        countries=[se, de],
        locality="'-already apostrophed",
        policy_fields=[PolicyFieldFactory(), PolicyFieldFactory()],
        provider_types=[ProviderTypeFactory()],
        participation_forms=[ParticipationFormFactory()],
        levels=[LevelFactory()],
        phases=[PhaseFactory(), PhaseFactory()],
        participation_dimensions=[ParticipationDimensionFactory()],
        citizen_roles=[CitizenRoleFactory()],
        methods=[MethodFactory()],
        users_influence=InfluenceLevelFactory(),
        participants="Parents | staff\\volunteers",
        start_year=1989,
        end_year=2004,
        units_studied=17,
        source_pages="101–120",
        coder_note="@mention and a tab\tinside",
        chapter__source=book,
        sources=[],
    )
    CaseSource.objects.create(case=full, source=book, locator="Ch. 3 | table 2", note="")
    CaseSource.objects.create(
        case=full, source=article, confidence="M", locator="", note="back\\slash | bar"
    )
    OutcomeFactory(case=full, dimension=quality, direction=improved, finding="+Better", pages="7")
    OutcomeFactory(case=full, dimension=trust, direction=mixed, finding='Mixed, "a bit".')
    CaseFactory(title="Sparse case", chapter__source=book, sources=[book], countries=[se])
    CaseFactory(title="Another", chapter__source=book, sources=[book], countries=[de])
    return full


@pytest.fixture
def release_1_0(settings, tmp_path):
    """Release 1.0 of whatever the test has published, its files under tmp_path."""
    from casestudies.releases import create_release

    settings.STORAGES = {
        **settings.STORAGES,
        "releases": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "releases", "base_url": None},
        },
    }
    return create_release(version="1.0", base_url="http://testserver/")


@pytest.fixture
def clock(monkeypatch):
    """The case index's monotonic clock, moved by hand; no index kept before or after."""
    now = [1000.0]
    monkeypatch.setattr(case_index.time, "monotonic", lambda: now[0])
    case_index.forget()
    yield now
    case_index.forget()


@pytest.fixture
def uncached_counts(settings):
    """Count every time: a rolled-back test can bring the data stamp back to a value
    counts were cached under with other data."""
    settings.FACET_CACHE_SECONDS = 0
