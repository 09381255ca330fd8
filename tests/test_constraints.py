"""Integrity rules live in the database: they hold on SQLite and PostgreSQL alike."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from casestudies.models import Case, CaseSource, Country, Outcome

from .factories import (
    CaseFactory,
    ChapterFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
)

pytestmark = pytest.mark.django_db


def _violates(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_case_slug_is_unique():
    CaseFactory(slug="vamstad-parent-coops")
    _violates(lambda: CaseFactory(slug="vamstad-parent-coops"))


def test_case_slug_cannot_be_empty():
    chapter = ChapterFactory()
    _violates(lambda: Case.objects.create(chapter=chapter, title="No slug", slug=""))


def test_start_year_cannot_follow_end_year():
    case = CaseFactory(start_year=2000, end_year=2005)
    case.start_year = 2006
    _violates(lambda: case.save())


def test_years_must_be_plausible():
    case = CaseFactory()
    case.start_year = 1500
    _violates(lambda: case.save())


def test_units_studied_must_be_positive():
    case = CaseFactory()
    case.units_studied = 0
    _violates(lambda: case.save())


def test_status_must_be_a_known_value():
    case = CaseFactory()
    _violates(lambda: Case.objects.filter(pk=case.pk).update(status="archived"))


def test_one_outcome_per_case_and_dimension():
    outcome = OutcomeFactory()
    _violates(
        lambda: Outcome.objects.create(
            case=outcome.case,
            dimension=outcome.dimension,
            direction=OutcomeDirectionFactory(),
            finding="A second finding for the same dimension.",
        )
    )


def test_same_dimension_on_two_cases_is_fine():
    dimension = OutcomeDimensionFactory()
    OutcomeFactory(dimension=dimension)
    OutcomeFactory(dimension=dimension)
    assert Outcome.objects.filter(dimension=dimension).count() == 2


def test_a_source_is_linked_once_per_case():
    case = CaseFactory()
    source = case.chapter.source
    _violates(lambda: CaseSource.objects.create(case=case, source=source))


def test_country_code_is_two_upper_case_letters():
    _violates(lambda: Country.objects.create(code="se", name="Lower-case Sweden"))


def test_chapter_number_is_unique_within_a_source():
    chapter = ChapterFactory(number=16)
    _violates(lambda: ChapterFactory(source=chapter.source, number=16))


def test_chapter_pages_in_order():
    chapter = ChapterFactory(page_start=10, page_end=20)
    chapter.page_start = 30
    _violates(lambda: chapter.save())


def test_clean_explains_years_out_of_order():
    case = CaseFactory.build(start_year=2010, end_year=2001)
    with pytest.raises(ValidationError) as excinfo:
        case.clean()
    assert "end_year" in excinfo.value.message_dict


def test_many_valued_dimensions_are_relations_not_strings():
    case = CaseFactory()
    for name in ("countries", "policy_fields", "provider_types", "participation_forms"):
        assert Case._meta.get_field(name).many_to_many, name
    assert case.countries.count() == 0
