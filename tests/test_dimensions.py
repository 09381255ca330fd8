"""The registry of coded dimensions (casestudies.models.dimensions) drives every list of them.

Each test walks the registry through one of the places that used to spell the
dimensions out by hand; the last one fails if a module does so again.
"""

import ast
from pathlib import Path

import pytest
from django.contrib import admin

from casestudies.admin.completeness import STATED
from casestudies.benchmark import synthetic
from casestudies.extracts.records import VOCAB_FIELDS
from casestudies.facets.definitions import TERM_FACETS, ManyToManyFacet
from casestudies.importing.validation import M2M_FIELDS, SCALAR_FIELDS, Lookups
from casestudies.models import (
    CODED_DIMENSIONS,
    COUNTRIES,
    DIMENSION_FIELDS,
    DIMENSIONS,
    FIELD_ORDER,
    Case,
)
from casestudies.reads.presenters import FIELD_LABELS, case_field_rows
from casestudies.tabular.columns import CODES, case_columns
from casestudies.writes import history

from . import factories

APP = Path(__file__).resolve().parent.parent / "casestudies"


def test_the_registry_names_each_field_once_and_gives_each_a_place():
    assert len(set(DIMENSION_FIELDS)) == len(DIMENSIONS)
    assert DIMENSIONS[0] is COUNTRIES and COUNTRIES.field == "countries"
    assert DIMENSIONS[1:] == CODED_DIMENSIONS
    # Two keys share a place only when they are one row of the case page and two
    # extract columns (the period: start and end year).
    assert sorted(d.order for d in DIMENSIONS) == [d.order for d in DIMENSIONS]
    assert len({d.order for d in DIMENSIONS}) == len(DIMENSIONS)
    assert {d.order for d in DIMENSIONS}.isdisjoint(
        v for k, v in FIELD_ORDER.items() if k not in DIMENSION_FIELDS
    )


def test_the_model_s_many_to_many_fields_onto_terms_are_the_registry_s():
    m2m = [f for f in Case._meta.many_to_many if f.remote_field.through._meta.auto_created]
    assert [(f.name, f.related_model) for f in m2m] == [(d.field, d.model) for d in DIMENSIONS]


def test_the_history_and_the_prefetch_cover_every_dimension():
    historical = Case.history.model
    assert {f.name for f in historical._history_m2m_fields} == set(DIMENSION_FIELDS)
    assert history.m2m_field_names() == list(DIMENSION_FIELDS)
    lookups = {
        getattr(p, "prefetch_through", p)
        for p in Case.objects.with_related()._prefetch_related_lookups
    }
    assert set(DIMENSION_FIELDS) <= lookups


def test_the_facets_are_the_registry_s_dimensions_with_a_facet():
    facets = [f for f in TERM_FACETS if isinstance(f, ManyToManyFacet)]
    assert [(f.field_name, f.param, f.label, f.model, f.key_field) for f in facets] == [
        (d.field, d.param, d.facet_label, d.model, d.key_field) for d in DIMENSIONS if d.facet_label
    ]


def test_the_extract_columns_and_the_import_take_every_coded_dimension():
    columns = {c.name: c for c in case_columns(())}
    for d in DIMENSIONS:
        if d.extract is None:
            continue
        column = columns[d.field]
        assert (column.description, column.vocabulary, column.kind) == (d.extract, d.model, CODES)
        # Not derived: the import reads it back.
        assert not column.derived
    assert COUNTRIES.field in columns
    assert [d.field for d in CODED_DIMENSIONS] == VOCAB_FIELDS
    assert list(DIMENSION_FIELDS) == M2M_FIELDS
    assert set(DIMENSION_FIELDS).isdisjoint(SCALAR_FIELDS)


@pytest.mark.django_db
def test_the_import_looks_up_the_terms_of_every_coded_dimension():
    assert set(Lookups({}).vocab) == {d.field for d in CODED_DIMENSIONS}


def test_the_admin_form_edits_and_filters_by_the_registry_s_dimensions():
    case_admin = admin.site._registry[Case]
    placed = {
        field: title for title, options in case_admin.fieldsets for field in options["fields"]
    }
    for d in DIMENSIONS:
        assert placed[d.field] == d.admin_section
        assert d.field in case_admin.autocomplete_fields
    filters = [f for f in case_admin.list_filter if isinstance(f, str)]
    assert [f for f in filters if f in DIMENSION_FIELDS] == [
        d.field for d in DIMENSIONS if d.admin_list_filter
    ]


@pytest.mark.django_db
def test_the_case_page_and_the_completeness_check_show_every_dimension():
    case = factories.CaseFactory(
        **{
            d.field: [factories.CountryFactory() if d is COUNTRIES else _term(d)]
            for d in DIMENSIONS
        }
    )
    rows = {row.key: row for row in case_field_rows(Case.objects.with_related().get(pk=case.pk))}
    for d in DIMENSIONS:
        assert rows[d.field].label == FIELD_LABELS[d.field] == d.label
        assert rows[d.field].is_stated
        assert d.field in STATED
    # The rows follow the one order the registry gives.
    assert list(rows) == sorted(rows, key=FIELD_ORDER.__getitem__)


def _term(d):
    return d.model.objects.create(slug=f"t-{d.field}", label=f"A {d.field} term", order=1)


def test_the_benchmark_data_draws_every_dimension():
    assert [(name, model) for name, model, _weights in synthetic.M2M_PLAN] == [
        (d.field, d.model) for d in DIMENSIONS
    ]
    for d in DIMENSIONS:
        assert sum(d.synthetic_weights) == pytest.approx(1)


# Modules that used to spell the dimensions out by hand. A string naming a coded
# dimension (the countries aside, which have pages and columns of their own) in
# any of them is a list the registry no longer drives.
DERIVED_MODULES = [
    "models/case.py",
    "admin/case.py",
    "admin/completeness.py",
    "reads/presenters.py",
    "tabular/columns.py",
    "extracts/records.py",
    "facets/definitions.py",
    "writes/history.py",
    "importing/validation.py",
]


@pytest.mark.parametrize("module", DERIVED_MODULES)
def test_no_module_spells_a_coded_dimension_by_hand(module):
    names = {d.field for d in CODED_DIMENSIONS} | {d.param for d in CODED_DIMENSIONS if d.param}
    tree = ast.parse((APP / module).read_text())
    spelled = sorted(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in names
    )
    assert spelled == [], f"{module} names {spelled}: derive them from DIMENSIONS instead"
