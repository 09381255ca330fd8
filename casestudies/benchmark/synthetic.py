"""Synthetic benchmark cases: many plausible cases over the real codebook.

The benchmarks (``bench/facets.py``) need 10,000–100,000 cases; the book has a
few dozen. Synthetic cases are kept apart from the book's data in every way
that matters: ``is_synthetic=True``, titles that begin with "[synthetic]", and
their own source and chapter (number 900), so a filter, an extract or a delete
can always tell them apart and ``Case.objects.real()`` never sees them.

Distributions follow the real data where there is some: a term is drawn as
often as the book's published cases use it (plus one, so every term occurs);
without book cases, a Zipf-like curve over the codebook order stands in.
Everything is drawn from one seeded ``random.Random``, so a seed always gives
the same cases, and rows go in with ``bulk_create`` in batches.
"""

import random
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count

from ..extracts.stored_lines import deferred_derived_data
from ..models import (
    DIMENSIONS,
    Case,
    CaseSource,
    CaseStatus,
    Chapter,
    Country,
    InfluenceLevel,
    Level,
    Outcome,
    OutcomeDimension,
    OutcomeDirection,
    ParticipationDimension,
    ParticipationForm,
    Phase,
    PolicyField,
    ProviderType,
    Source,
)

SYNTHETIC_SOURCE_SLUG = "synthetic-benchmark-data"
SYNTHETIC_SOURCE_TITLE = "Synthetic benchmark data"
SYNTHETIC_CHAPTER_NUMBER = 900
SYNTHETIC_TITLE_PREFIX = "[synthetic]"
BATCH_SIZE = 2000

# Vocabularies a synthetic case cannot do without; the others may be empty.
REQUIRED = [
    Country,
    PolicyField,
    ProviderType,
    ParticipationForm,
    Level,
    Phase,
    ParticipationDimension,
    OutcomeDimension,
    OutcomeDirection,
]

# Many-valued fields, from the registry of dimensions: (field name, vocabulary,
# weights for how many values a case has: index = number of values). A zero count
# leaves the field "not stated".
M2M_PLAN = [(d.field, d.model, list(d.synthetic_weights)) for d in DIMENSIONS]
OUTCOME_COUNT_WEIGHTS = [0.25, 0.3, 0.25, 0.15, 0.05]

PARTICIPANTS = [
    "parents",
    "tenants",
    "volunteers",
    "patients",
    "older people",
    "residents",
    "pupils and teachers",
    "family carers",
    "people with disabilities",
    "unemployed people",
    "local associations",
    "neighbourhood councils",
    "migrants",
    "young people",
    "social entrepreneurs",
]
PLACES = [
    "Northfield",
    "Riverside",
    "Eastbrook",
    "Westmoor",
    "Hillcrest",
    "Lakeside",
    "Oakridge",
    "Millbrook",
    "Stonebridge",
    "Greenhaven",
    "Ashford",
    "Kingsport",
    "Fairview",
    "Brightwater",
    "Elmstead",
    "Harbourtown",
]


class SyntheticDataError(Exception):
    """The database lacks the reference data synthetic cases are drawn from."""


@dataclass
class _Pool:
    """The terms of one vocabulary and how often each should be drawn."""

    ids: list
    labels: list
    weights: list
    learned: bool = False  # weights come from the book's cases

    def pick(self, rng: random.Random, k: int) -> list:
        k = min(k, len(self.ids))
        chosen: list = []
        # Weighted sampling without replacement; k is tiny (at most 4).
        while len(chosen) < k:
            i = rng.choices(range(len(self.ids)), weights=self.weights)[0]
            if i not in chosen:
                chosen.append(i)
        return chosen


def _pool(model, field_name: str | None) -> _Pool:
    """Terms of ``model`` weighted by their use in the real published cases (2 queries)."""
    label = "name" if model is Country else "label"
    terms = list(model.objects.order_by(*model._meta.ordering).values_list("pk", label))
    usage: dict = {}
    if field_name:
        field = Case._meta.get_field(field_name)
        through = field.remote_field.through
        fk = f"{field.m2m_reverse_field_name()}_id"
        usage = dict(
            through.objects.filter(case__is_synthetic=False, case__status=CaseStatus.PUBLISHED)
            .values_list(fk)
            .annotate(n=Count("id"))
        )
    if usage:
        weights = [usage.get(pk, 0) + 1 for pk, _ in terms]
    else:
        # No book cases to learn from: a Zipf-like curve, a few terms common, most rare.
        weights = [1 / (rank + 1) for rank in range(len(terms))]
    return _Pool([pk for pk, _ in terms], [text for _, text in terms], weights, bool(usage))


def _country_pool() -> _Pool:
    pool = _pool(Country, "countries")
    if not pool.learned:
        # Without real cases, favour countries with a welfare classification: they are
        # the ones the literature studies.
        classified = set(
            Country.objects.filter(welfare_tradition__isnull=False).values_list("code", flat=True)
        )
        pool.weights = [
            (10 if code in classified else 1) / (1 + (i % 7)) for i, code in enumerate(pool.ids)
        ]
    return pool


def check_reference_data() -> None:
    """Raise :class:`SyntheticDataError` if any vocabulary synthetic cases need is empty."""
    empty = [str(m._meta.verbose_name_plural) for m in REQUIRED if not m.objects.exists()]
    if empty:
        raise SyntheticDataError(
            "No reference data to draw from (empty: "
            + ", ".join(empty)
            + "). Load it first: manage.py load_book --reference-only"
        )


def synthetic_chapter() -> Chapter:
    """The separate source and chapter every synthetic case belongs to (created once)."""
    source, _ = Source.objects.get_or_create(
        slug=SYNTHETIC_SOURCE_SLUG,
        defaults={
            "kind": Source.Kind.OTHER,
            "title": SYNTHETIC_SOURCE_TITLE,
            "authors": "Co-production Case Atlas (generated)",
            "note": "Generated by manage.py generate_synthetic_cases for benchmarks. Not data.",
        },
    )
    chapter, _ = Chapter.objects.get_or_create(
        source=source,
        number=SYNTHETIC_CHAPTER_NUMBER,
        defaults={
            "title": SYNTHETIC_SOURCE_TITLE,
            "authors": "Generated",
            "summary": "Synthetic cases for benchmarks; not drawn from any publication.",
        },
    )
    return chapter


def synthetic_cases_delete() -> int:
    """Remove every synthetic case, its rows, and the synthetic source. Returns the count.

    Deletes with raw DELETE statements: the ORM's cascade would load every case and
    send a signal (and write a history row) for each, which takes minutes at 100,000.
    """
    with transaction.atomic():
        synthetic_ids = Case.objects.filter(is_synthetic=True).values("pk")
        for name, _model, _weights in M2M_PLAN:
            through = Case._meta.get_field(name).remote_field.through
            through.objects.filter(case_id__in=synthetic_ids)._raw_delete(through.objects.db)
        Outcome.objects.filter(case_id__in=synthetic_ids)._raw_delete(Outcome.objects.db)
        CaseSource.objects.filter(case_id__in=synthetic_ids)._raw_delete(CaseSource.objects.db)
        count = Case.objects.filter(is_synthetic=True)._raw_delete(Case.objects.db)
        Chapter.objects.filter(source__slug=SYNTHETIC_SOURCE_SLUG).delete()
        Source.objects.filter(slug=SYNTHETIC_SOURCE_SLUG).delete()
    return count


def _start_year(rng: random.Random) -> int | None:
    if rng.random() < 0.12:
        return None  # the source does not say
    # Most studied cases started in the 1990s and 2000s.
    return max(1950, min(2011, int(rng.gauss(1997, 9))))


def synthetic_cases_generate(*, count: int, seed: int, batch_size: int = BATCH_SIZE) -> int:
    """Replace the synthetic cases with ``count`` new ones drawn with ``seed``.

    Running it twice with the same arguments leaves the same cases. Raises
    :class:`SyntheticDataError` when the codebook or the countries are empty.
    """
    if count < 0:
        raise ValueError("count must be zero or more")
    check_reference_data()
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    pools = {
        name: (_country_pool() if model is Country else _pool(model, name))
        for name, model, _ in M2M_PLAN
    }
    dimensions = _pool(OutcomeDimension, None)
    directions = _pool(OutcomeDirection, None)
    # Improvement is what chapters report most; "worsened" is rare.
    direction_weights = [
        {"improved": 6, "mixed": 3, "no-effect": 2, "not-assessed": 2, "worsened": 1}.get(slug, 2)
        for slug in OutcomeDirection.objects.order_by("order", "label").values_list(
            "slug", flat=True
        )
    ]
    influence_ids = list(InfluenceLevel.objects.order_by("order").values_list("pk", flat=True))

    synthetic_cases_delete()
    with transaction.atomic(), deferred_derived_data(connection, "c.is_synthetic"):
        # The search index's triggers cost more than the inserts themselves (they
        # rebuild a case's document per link statement): deferred, the index is
        # rebuilt once at the end, in the same transaction.
        chapter = synthetic_chapter()
        source_id = chapter.source_id
        width = max(6, len(str(count)))
        done = 0
        while done < count:
            n = min(batch_size, count - done)
            cases, picks = [], []
            for i in range(done, done + n):
                chosen = {
                    name: pools[name].pick(rng, rng.choices(range(len(w)), weights=w)[0])
                    for name, _model, w in M2M_PLAN
                }
                picks.append(chosen)
                cases.append(_case(rng, i, width, chosen, pools, chapter, influence_ids))
            Case.objects.bulk_create(cases, batch_size=batch_size)
            _bulk_relations(rng, cases, picks, pools, dimensions, directions, direction_weights)
            CaseSource.objects.bulk_create(
                [CaseSource(case_id=c.pk, source_id=source_id, locator="Generated") for c in cases],
                batch_size=batch_size,
            )
            done += n
    return count


def _label(pools, name, chosen, default):
    picked = chosen[name]
    return pools[name].labels[picked[0]] if picked else default


def _case(rng, i, width, chosen, pools, chapter, influence_ids) -> Case:
    country = _label(pools, "countries", chosen, "an unstated country")
    field = _label(pools, "policy_fields", chosen, "public services").lower()
    form = _label(pools, "participation_forms", chosen, "Co-production")
    provider = _label(pools, "provider_types", chosen, "a provider").lower()
    participants = rng.choice(PARTICIPANTS)
    place = rng.choice(PLACES)
    start = _start_year(rng)
    end = None
    if start is not None and rng.random() < 0.5:
        end = min(2012, start + rng.randint(0, 12))
    return Case(
        chapter=chapter,
        title=f"{SYNTHETIC_TITLE_PREFIX} {form} in {field}, {place} ({country}) #{i + 1}",
        slug=f"synthetic-{i + 1:0{width}d}",
        summary=(
            f"Synthetic case for benchmarks, not from any publication: {participants} "
            f"take part in {field} run by {provider} in {place}, {country}."
        ),
        locality=place if rng.random() < 0.8 else "",
        participants=participants,
        start_year=start,
        end_year=end,
        units_studied=rng.choice([None, 1, 1, 1, 2, 3, 5, 12]),
        users_influence_id=(
            rng.choice(influence_ids) if influence_ids and rng.random() < 0.8 else None
        ),
        source_pages="",
        coder_note="Synthetic benchmark data.",
        status=CaseStatus.PUBLISHED,
        is_synthetic=True,
    )


def _bulk_relations(rng, cases, picks, pools, dimensions, directions, direction_weights):
    for name, _model, _weights in M2M_PLAN:
        field = Case._meta.get_field(name)
        through = field.remote_field.through
        target = f"{field.m2m_reverse_field_name()}_id"
        ids = pools[name].ids
        rows = [
            (case.pk, ids[i])
            for case, chosen in zip(cases, picks, strict=True)
            for i in chosen[name]
        ]
        # Link rows are ~12 per case: COPY / executemany instead of bulk_create, which
        # spends most of its time building model instances (4x slower at 100,000 cases).
        qn = connection.ops.quote_name
        # Identifiers come from the model's _meta; the values are parameters.
        columns = f"{qn(through._meta.db_table)} ({qn('case_id')}, {qn(target)})"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY is several times faster than even a pipelined executemany.
                with cursor.cursor.copy(f"COPY {columns} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {columns} VALUES (%s, %s)", rows)  # noqa: S608
    outcomes = []
    for case in cases:
        k = rng.choices(range(len(OUTCOME_COUNT_WEIGHTS)), weights=OUTCOME_COUNT_WEIGHTS)[0]
        for d in dimensions.pick(rng, k):
            direction = rng.choices(range(len(directions.ids)), weights=direction_weights)[0]
            outcomes.append(
                Outcome(
                    case_id=case.pk,
                    dimension_id=dimensions.ids[d],
                    direction_id=directions.ids[direction],
                    finding=(
                        f"Synthetic: {dimensions.labels[d].lower()} "
                        f"{directions.labels[direction].lower()}."
                    ),
                )
            )
    Outcome.objects.bulk_create(outcomes, batch_size=BATCH_SIZE)
