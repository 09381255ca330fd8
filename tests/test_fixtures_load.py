"""The reference and book fixtures: they load, load again without duplicates, and
hold a complete codebook. (What the book's cases say is tests/test_book_data.py.)"""

import pytest
import yaml
from django.core.management import call_command

from casestudies.models import (
    VOCABULARIES,
    Case,
    CaseSource,
    Chapter,
    Country,
    InfluenceLevel,
    Outcome,
    Source,
)
from casestudies.plumbing.fixtures import BOOK_FIXTURES, REFERENCE_FIXTURES
from casestudies.writes.versions import one_version

pytestmark = pytest.mark.django_db

COUNTED = [Case, Outcome, CaseSource, Chapter, Country, Source, *VOCABULARIES]


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    # Many-to-many rows too: a second load must not add a second link.
    for name in ("countries", "policy_fields", "provider_types", "participation_dimensions"):
        counts[f"Case.{name}"] = getattr(Case, name).through.objects.count()
    return counts


def test_load_book_twice_gives_the_same_rows(book_data):
    first = _counts()
    pks = dict(Case.objects.values_list("slug", "pk"))
    call_command("load_book", verbosity=0)
    assert _counts() == first
    # Natural keys: the second run updates the same rows rather than adding new ones.
    assert dict(Case.objects.values_list("slug", "pk")) == pks
    assert first["Case"] > 0 and first["Outcome"] > 0 and first["CaseSource"] >= first["Case"]


def test_reference_only_loads_no_cases(reference_data):
    assert Case.objects.count() == 0
    assert Chapter.objects.count() == 20
    assert Country.objects.count() >= 11
    assert Source.objects.filter(slug="pestoff-brandsen-verschuere-2012").exists()
    for model in VOCABULARIES:
        assert model.objects.exists(), model.__name__


def test_reference_only_then_full_load_adds_only_cases(reference_data):
    before = {m.__name__: m.objects.count() for m in (Chapter, Country, Source, *VOCABULARIES)}
    call_command("load_book", verbosity=0)
    after = {m.__name__: m.objects.count() for m in (Chapter, Country, Source, *VOCABULARIES)}
    assert after == before
    assert Case.objects.count() > 0


def test_the_codebook_is_complete(reference_data):
    """Every vocabulary has terms, each with a definition, a source and its own order."""
    from casestudies.models import OutcomeDirection, ParticipationForm

    for model in VOCABULARIES:
        terms = list(model.objects.all())
        assert terms, f"{model.__name__} has no terms"
        for term in terms:
            assert term.definition.strip(), f"{model.__name__} {term.slug}: no definition"
            assert term.source.strip(), f"{model.__name__} {term.slug}: no source"
        orders = [t.order for t in terms]
        assert len(set(orders)) == len(orders), f"{model.__name__}: two terms share an order"

    scale = list(InfluenceLevel.objects.order_by("order").values_list("slug", flat=True))
    assert scale[0] == "manipulation"
    assert scale[-1] == "client-control"
    assert set(ParticipationForm.objects.values_list("slug", flat=True)) == {
        "co-production",
        "co-management",
        "co-governance",
        "co-construction",
    }
    assert set(OutcomeDirection.objects.values_list("slug", flat=True)) == {
        "improved",
        "worsened",
        "mixed",
        "no-effect",
        "not-assessed",
        "problem-reported",
    }


def test_welfare_tradition_only_with_its_cited_classification(reference_data):
    for country in Country.objects.all():
        assert bool(country.welfare_tradition_id) == bool(country.welfare_source), country.code
        assert country.world_region_id, f"{country.code} has no world region"


@pytest.mark.parametrize("path", REFERENCE_FIXTURES + BOOK_FIXTURES, ids=lambda p: p.name)
def test_fixtures_use_natural_keys(path):
    # A numeric pk would collide with rows curators add; natural keys make reloads safe.
    # Countries are the exception that proves it: their natural key is their pk.
    with open(path, encoding="utf-8") as handle:
        objects = yaml.safe_load(handle)
    assert objects, path
    for obj in objects:
        if obj["model"] == "casestudies.country":
            assert str(obj["pk"]).isupper() and len(str(obj["pk"])) == 2, obj
        else:
            assert "pk" not in obj, obj


def test_every_book_case_gets_one_first_history_version(db):
    call_command("load_book", verbosity=0)
    cases = Case.objects.real()
    assert cases.exists()
    first = Case.history.filter(id__in=cases.values("pk")).count()
    assert first == cases.count()
    assert set(Case.history.values_list("history_change_reason", flat=True)) == {
        "Loaded from the book's fixtures"
    }
    call_command("load_book", verbosity=0)
    assert Case.history.count() == first


def test_a_rerun_that_resets_an_edited_case_leaves_a_version_saying_so(db):
    call_command("load_book", verbosity=0)
    case = Case.objects.real().first()
    original_title = case.title
    with one_version(case, user=None, reason="A curator's edit"):
        case.title = "Edited by a curator"
    call_command("load_book", verbosity=0)
    case.refresh_from_db()
    assert case.title == original_title
    latest = Case.history.filter(id=case.pk).latest("history_date", "history_id")
    assert latest.history_change_reason == "Reset to the book's fixtures"
    assert latest.title == original_title
