"""The codebook and reference admin pages: they answer, and their query counts stay flat."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casestudies.models import VOCABULARIES, Chapter, Country, Source

from . import factories

pytestmark = pytest.mark.django_db

FACTORIES = {model: getattr(factories, f"{model.__name__}Factory") for model in VOCABULARIES}
FACTORIES.update(
    {
        Chapter: factories.ChapterFactory,
        Country: factories.CountryFactory,
        Source: factories.SourceFactory,
    }
)
MODELS = sorted(FACTORIES, key=lambda m: m.__name__)


def url(model, name, *args):
    return reverse(f"admin:casestudies_{model._meta.model_name}_{name}", args=args)


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow_with_rows(
    client, curator, model, django_assert_max_num_queries
):
    # N+1 guard for every codebook and reference list a curator uses.
    client.force_login(curator)
    make = FACTORIES[model]
    make.create_batch(2)
    few = queries_for(client, url(model, "changelist"))
    make.create_batch(10)
    assert queries_for(client, url(model, "changelist")) == few
    with django_assert_max_num_queries(15):
        client.get(url(model, "changelist"))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_answers_within_a_fixed_query_budget(
    client, curator, model, django_assert_max_num_queries
):
    client.force_login(curator)
    obj = FACTORIES[model]()
    with django_assert_max_num_queries(15):
        response = client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


@pytest.mark.parametrize("model", VOCABULARIES, ids=lambda m: m.__name__)
def test_vocabulary_term_history_page_answers(client, curator, model):
    client.force_login(curator)
    term = FACTORIES[model]()
    response = client.get(url(model, "history", term.pk))
    assert response.status_code == 200
    assert term.label in response.content.decode()
