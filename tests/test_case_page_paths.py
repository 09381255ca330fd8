"""The case page read from the in-memory case index shows what the SQL path shows.

On PostgreSQL the case page reads every coded value from the case index and the
codebook kept with it (casestudies/reads/coding.py) and the case with its outcomes
and sources in one statement (casestudies/reads/case_page.py); SQLite, and the
seconds after a write, load everything ``with_related``. Both must give the same
HTML, in every language; and the page's queries must not grow with the data.
"""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.models import Case, CaseStatus, Confidence, PolicyField
from casestudies.reads import case_index, coding
from casestudies.reads.related import MAX_SAME_CHAPTER, MAX_SAME_FIELD

from .factories import (
    CaseFactory,
    ChapterFactory,
    CitizenRoleFactory,
    CountryFactory,
    InfluenceLevelFactory,
    LevelFactory,
    MethodFactory,
    OutcomeDimensionFactory,
    OutcomeDirectionFactory,
    OutcomeFactory,
    ParticipationFormFactory,
    PolicyFieldFactory,
    ProviderTypeFactory,
    SourceFactory,
)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the in-memory index needs the data stamp"
)
pytestmark = [pytest.mark.django_db, postgres_only]


def _varied_world(rng: random.Random) -> list[Case]:
    """Cases over every kind of value the rows show, some terms translated, some not."""
    countries = [CountryFactory() for _ in range(4)] + [CountryFactory(welfare_tradition=None)]
    fields = [PolicyFieldFactory(label_in_de=f"Feld {n}" if n % 2 else "") for n in range(4)]
    providers = [ProviderTypeFactory(label_in_fr="Fournisseur & co") for _ in range(3)]
    forms = [ParticipationFormFactory() for _ in range(2)]
    levels = [LevelFactory() for _ in range(2)]
    roles = [CitizenRoleFactory(label_in_de="Bürger <rolle>") for _ in range(2)]
    methods = [MethodFactory() for _ in range(2)]
    influence = [InfluenceLevelFactory(label_in_de="Einfluss"), InfluenceLevelFactory(), None]
    dimensions = [OutcomeDimensionFactory() for _ in range(3)]
    directions = [OutcomeDirectionFactory(label_in_es="mejoró") for _ in range(2)]
    chapters = [ChapterFactory() for _ in range(3)]
    extra_source = SourceFactory(journal="A Journal", volume="4", issue="2", doi="10.1/x")
    cases = []
    for i in range(40):
        case = CaseFactory(
            title=rng.choice(["Alpha", "beta", "Gamma", "Ωmega", "d'Ëpsilon & <co>"]) + f" {i}",
            chapter=rng.choice(chapters),
            countries=rng.sample(countries, rng.randint(0, 2)),
            policy_fields=rng.sample(fields, rng.randint(0, 3)),
            provider_types=rng.sample(providers, rng.randint(0, 2)),
            participation_forms=rng.sample(forms, rng.randint(0, 2)),
            levels=rng.sample(levels, rng.randint(0, 1)),
            citizen_roles=rng.sample(roles, rng.randint(0, 2)),
            methods=rng.sample(methods, rng.randint(0, 1)),
            users_influence=rng.choice(influence),
            locality=rng.choice(["", "Malmö", "Lyon"]),
            participants=rng.choice(["", "Parents"]),
            start_year=rng.choice([None, 1990, 2001]),
            end_year=rng.choice([None, 2005]),
            units_studied=rng.choice([None, 3]),
            status=rng.choice([CaseStatus.PUBLISHED] * 5 + [CaseStatus.DRAFT]),
        )
        for dimension in rng.sample(dimensions, rng.randint(0, 3)):
            OutcomeFactory(
                case=case, dimension=dimension, direction=rng.choice(directions), pages="4–5"
            )
        if rng.random() < 0.3:
            case.case_sources.create(
                source=extra_source, confidence=Confidence.MEDIUM, note="A note."
            )
        cases.append(case)
    return cases


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["", "/de", "/fr", "/es"])
def test_the_index_path_shows_what_the_sql_path_shows(client, monkeypatch, language):
    cases = _varied_world(random.Random(18))
    published = [case for case in cases if case.status == CaseStatus.PUBLISHED]
    for case in published:
        path = f"{language}/cases/{case.slug}/"
        with monkeypatch.context() as sql_only:
            sql_only.setattr(coding, "COVERS_EVERY_DIMENSION", False)
            expected = _page(client, path)
        assert _page(client, path) == expected, path
    draft = next(case for case in cases if case.status == CaseStatus.DRAFT)
    assert client.get(f"{language}/cases/{draft.slug}/").status_code == 404


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_kept_index_leaves_two_queries_whatever_the_data(client, clock):
    """N+1 guard: the stamp, the live release and the case with its outcomes and
    sources in one statement, the related cases' own columns in a second; as many
    with one related case as with a full list of each kind. (After a write: the index
    and its codebook once, three more.)"""
    field = PolicyFieldFactory()
    case = CaseFactory(slug="this", countries=[CountryFactory()], policy_fields=[field])
    CaseFactory(countries=[CountryFactory()], policy_fields=[field])
    path = "/cases/this/"
    assert _queries(client, path) == 2 + 3  # built on first use
    assert _queries(client, path) == 2
    for _ in range(MAX_SAME_CHAPTER + MAX_SAME_FIELD):
        OutcomeFactory(
            case=CaseFactory(chapter=case.chapter, countries=[CountryFactory()]),
        )
        CaseFactory(countries=[CountryFactory()], policy_fields=[field], sources=[])
    OutcomeFactory(case=case)
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert _queries(client, path) == 2 + 3  # the data changed: built again
    assert _queries(client, path) == 2
    html = client.get(path).content.decode()
    assert html.count('class="compare-link"') == MAX_SAME_CHAPTER + MAX_SAME_FIELD


@pytest.mark.django_db(transaction=True)
def test_a_relabelled_term_shows_at_once(client, clock):
    """The codebook is kept with the index: a write to a term changes the stamp, and
    the page (in SQL until the index is rebuilt) never shows the old label."""
    field = PolicyFieldFactory(label="Childcare")
    CaseFactory(slug="this", countries=[CountryFactory()], policy_fields=[field])
    assert ">Childcare</a>" in client.get("/cases/this/").content.decode()
    PolicyField.objects.filter(pk=field.pk).update(label="Day care")
    assert ">Day care</a>" in client.get("/cases/this/").content.decode()  # SQL meanwhile
    clock[0] += case_index.MIN_REBUILD_SECONDS
    assert ">Day care</a>" in client.get("/cases/this/").content.decode()  # rebuilt
    assert case_index.current("default") is not None


# The markup the case page's template printed before its rows and related lines were
# joined in Python (casestudies/reads/presenters.py:rows_html, related.py:RelatedLine).
_ROWS_LOOP = """{% load i18n %}    {% for row in rows %}
      <div class="field{% if not row.is_stated %} is-unstated{% endif %}">
        <dt>{{ row.label }}</dt>
        <dd{% if row.is_name %} translate="no"{% elif row.text_lang %} lang="{{ row.text_lang }}"{% endif %}>{% if row.is_stated %}{% for text, href in row.items %}{% if href %}<a href="{{ href }}">{{ text }}</a>{% else %}{{ text }}{% endif %}{% if not forloop.last %}; {% endif %}{% endfor %}{% else %}<span class="not-stated">{% translate "not stated" %}</span>{% endif %}</dd>
      </div>
    {% endfor %}"""  # noqa: E501
_RELATED_LINE = """<li>
  <a href="{{ r.href }}" lang="en">{{ r.title }}</a>
  <span class="meta">({{ r.meta }})</span>
  <br><span class="differences">{{ r.differences }}</span>
  <a class="compare-link" href="{{ r.compare_href }}">{{ r.compare_label }}</a>
</li>
"""


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_joined_rows_and_lines_are_the_template_loops(language):
    from django.template import Context, Template
    from django.utils import translation

    from casestudies.reads.case_page import case_page
    from casestudies.reads.presenters import rows_html
    from casestudies.reads.related import related_lines

    cases = _varied_world(random.Random(18))
    rows_loop, line = Template(_ROWS_LOOP), Template(_RELATED_LINE)
    unsafe = CaseFactory(title="<b>Tom & Jerry's</b>", locality='"Quoted" <place>')
    with translation.override(language):
        for case in [*cases, unsafe]:
            if case.status != CaseStatus.PUBLISHED:
                continue
            page = case_page(case.slug)
            assert rows_html(page.rows) == rows_loop.render(Context({"rows": page.rows}))[4:]
            for related in (page.related.same_field, page.related.same_chapter):
                for r in related_lines(page.case, related):
                    assert r.html == line.render(Context({"r": r}))
