"""The synthetic benchmark data command: flagged, apart from the book, reproducible."""

import pytest
from django.core.management import CommandError, call_command

from casestudies.benchmark.synthetic import SYNTHETIC_CHAPTER_NUMBER, SYNTHETIC_SOURCE_SLUG
from casestudies.models import Case, CaseStatus, Chapter, Outcome, Source

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def codebook():
    """A small codebook and a few countries, as load_book --reference-only would give."""
    factories.CountryFactory.create_batch(6)
    for factory in (
        factories.PolicyFieldFactory,
        factories.ProviderTypeFactory,
        factories.ParticipationFormFactory,
        factories.LevelFactory,
        factories.PhaseFactory,
        factories.ParticipationDimensionFactory,
        factories.CitizenRoleFactory,
        factories.MethodFactory,
        factories.OutcomeDimensionFactory,
        factories.InfluenceLevelFactory,
    ):
        factory.create_batch(4)
    for slug in ("improved", "worsened", "mixed", "no-effect", "not-assessed"):
        factories.OutcomeDirectionFactory(slug=slug)


def _snapshot():
    return [
        (
            c.slug,
            c.title,
            c.start_year,
            tuple(c.countries.values_list("code", flat=True)),
            tuple(c.policy_fields.values_list("slug", flat=True)),
            tuple(c.outcomes.values_list("dimension__slug", "direction__slug")),
        )
        for c in Case.objects.filter(is_synthetic=True).order_by("slug")
    ]


def test_generates_flagged_published_cases_in_their_own_source(codebook):
    book_case = factories.CaseFactory(title="A real case from the book")
    call_command("generate_synthetic_cases", count=50, seed=3, verbosity=0)

    synthetic = Case.objects.filter(is_synthetic=True)
    assert synthetic.count() == 50
    assert synthetic.filter(status=CaseStatus.PUBLISHED).count() == 50
    assert all(t.startswith("[synthetic]") for t in synthetic.values_list("title", flat=True))
    chapter = Chapter.objects.get(number=SYNTHETIC_CHAPTER_NUMBER)
    assert chapter.source.slug == SYNTHETIC_SOURCE_SLUG
    assert set(synthetic.values_list("chapter", flat=True)) == {chapter.pk}
    assert not synthetic.exclude(case_sources__source=chapter.source).exists()
    # The book's data is untouched and `real()` never sees synthetic rows.
    assert list(Case.objects.real()) == [book_case]
    # The relations are filled: most cases have a country, many have outcomes.
    assert synthetic.filter(countries__isnull=False).distinct().count() >= 40
    assert Outcome.objects.filter(case__is_synthetic=True).count() > 20


def test_same_seed_same_cases_and_running_twice_replaces(codebook):
    call_command("generate_synthetic_cases", count=30, seed=7, verbosity=0)
    first = _snapshot()
    call_command("generate_synthetic_cases", count=30, seed=7, verbosity=0)
    assert Case.objects.filter(is_synthetic=True).count() == 30
    assert _snapshot() == first
    call_command("generate_synthetic_cases", count=30, seed=8, verbosity=0)
    assert _snapshot() != first


def test_delete_removes_synthetic_cases_and_source_only(codebook):
    book_case = factories.CaseFactory()
    call_command("generate_synthetic_cases", count=20, seed=1, verbosity=0)
    call_command("generate_synthetic_cases", delete=True, verbosity=0)
    assert list(Case.objects.all()) == [book_case]
    assert not Source.objects.filter(slug=SYNTHETIC_SOURCE_SLUG).exists()
    assert book_case.case_sources.count() == 1


def test_refuses_without_reference_data():
    with pytest.raises(CommandError, match="load_book --reference-only"):
        call_command("generate_synthetic_cases", count=5, verbosity=0)
    assert not Case.objects.exists()


def test_follows_the_real_distribution(codebook):
    """A term the book's cases use a lot is drawn far more often than an unused one."""
    common, rare = factories.PolicyFieldFactory(), factories.PolicyFieldFactory()
    for _ in range(30):
        factories.CaseFactory(policy_fields=[common])
    call_command("generate_synthetic_cases", count=300, seed=5, verbosity=0)
    synthetic = Case.objects.filter(is_synthetic=True)
    assert synthetic.filter(policy_fields=common).count() > 3 * max(
        1, synthetic.filter(policy_fields=rare).count()
    )


def test_synthetic_cases_are_searchable(codebook):
    """The search index covers cases loaded in bulk (SQLite rebuilds it after the load)."""
    from django.http import QueryDict

    from casestudies.facets import CaseQuery

    call_command("generate_synthetic_cases", count=25, seed=2, verbosity=0)
    assert CaseQuery(QueryDict("q=synthetic")).cases.count() == 25
    factories.CaseFactory(title="Added after the load")
    assert CaseQuery(QueryDict("q=added")).cases.count() == 1
