"""Cases as plain records, read in chunks with a fixed number of queries per chunk.

Django's ``prefetch_related`` builds a filtered queryset per case and relation
(11 relations x 100,000 cases = over a million clones), which alone takes minutes.
The extracts need only values, so each chunk is read as tuples: one cursor over
the cases (with chapter and influence joined), then per chunk of CHUNK_SIZE cases

* on PostgreSQL, one query returning every relation of the chunk already
  aggregated per case (``array_agg(... ORDER BY ...)``, see :func:`_aggregated_sql`);
* elsewhere (SQLite), one query per relation keyed by case id (9 many-to-many
  fields, outcomes, sources): 11 per chunk.

Both give the same records in the same order, whatever the number of rows, with
one chunk in memory.
"""

from collections.abc import Iterator
from datetime import datetime

from django.db import connections

from ..models import CODED_DIMENSIONS, Case, CaseSource, Outcome, m2m_link

# SQLite: 1,000 cases per chunk kept the whole 100,000-case CSV at 30 MB of resident
# growth (2,000: 52 MB) and was no slower (7.0 s against 7.3 s).
CHUNK_SIZE = 1000
# PostgreSQL reads a chunk's relations in one query whose cost is partly per chunk
# (scanning the relation tables), so larger chunks pay: 2,000 -> 5,000 cases took the
# relation queries from ~6 s to ~3.9 s per 100,000 cases, for ~10 MB more Python heap.
PG_CHUNK_SIZE = 5000

CASE_FIELDS = (
    "pk",
    "slug",
    "title",
    "summary",
    "locality",
    "participants",
    "start_year",
    "end_year",
    "units_studied",
    "source_pages",
    "coder_note",
    "status",
    "updated_at",
    "chapter__number",
    "chapter__title",
    "chapter__authors",
    "chapter__source__slug",
    "users_influence__slug",
)
VOCAB_FIELDS = [d.field for d in CODED_DIMENSIONS]


class CaseRecord:
    """What an extract row needs of a case: values only, no database access."""

    __slots__ = (
        "chapter_authors",
        "chapter_number",
        "chapter_source",
        "chapter_title",
        "coder_note",
        "countries",
        "end_year",
        "locality",
        "outcomes",
        "outcomes_by_dimension",
        "participants",
        "pk",
        "slug",
        "source_pages",
        "sources",
        "start_year",
        "status",
        "summary",
        "terms",
        "title",
        "units_studied",
        "updated_at",
        "users_influence",
    )

    def __init__(self, row: tuple):
        (
            self.pk,
            self.slug,
            self.title,
            self.summary,
            self.locality,
            self.participants,
            self.start_year,
            self.end_year,
            self.units_studied,
            self.source_pages,
            self.coder_note,
            self.status,
            self.updated_at,
            self.chapter_number,
            self.chapter_title,
            self.chapter_authors,
            self.chapter_source,
            self.users_influence,
        ) = row
        self.updated_at: datetime
        # Set by the chunk loaders (_load_relations / _load_relations_aggregated):
        # countries: (code, name, world region slug, welfare tradition slug), by country name
        # terms: {many-to-many field: [slugs in codebook order]}
        # outcomes: (dimension pk, dimension slug, direction slug, finding, pages), codebook order
        # outcomes_by_dimension: {dimension pk: outcome tuple}
        # sources: (source slug, confidence, locator, note), in a stable order

    def clear_relations(self) -> None:
        self.countries: list[tuple] = []
        self.terms: dict[str, list[str]] = {name: [] for name in VOCAB_FIELDS}
        self.outcomes: list[tuple] = []
        self.outcomes_by_dimension: dict[int, tuple] = {}
        self.sources: list[tuple] = []


def _column(model, attname: str) -> str:
    """The table-qualified, quoted column, as the joins of the query need it."""
    from django.db import connection

    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)}.{quote(attname)}"


def _through(name: str) -> tuple:
    """The link table, its case id attribute and the name of its term field."""
    through, case_field, term_field = m2m_link(name)
    return through, case_field.attname, term_field.name


def _case_ids_in(column: str, ids: list[int]) -> dict:
    """``extra()`` arguments for ``<column> IN (1, 2, ...)``.

    The ids are integers read from the database a moment ago, so writing them into
    the SQL is safe; it spares Django preparing 2,000 parameters for each of the 11
    queries of every chunk (seconds over 100,000 cases).
    """
    values = ",".join(str(int(i)) for i in ids)
    return {"where": [f"{column} IN ({values})"]}


def _load_relations(records: dict[int, CaseRecord], *, full: bool) -> None:
    ids = list(records)
    for record in records.values():
        record.clear_relations()
    through, case_attr, target = _through("countries")
    for case_id, *country in (
        through.objects.extra(**_case_ids_in(_column(through, case_attr), ids))
        .order_by(f"{target}__name", f"{target}__code")
        .values_list(
            case_attr,
            f"{target}__code",
            f"{target}__name",
            f"{target}__world_region__slug",
            f"{target}__welfare_tradition__slug",
        )
    ):
        records[case_id].countries.append(tuple(country))
    outcomes = (
        Outcome.objects.extra(**_case_ids_in(_column(Outcome, "case_id"), ids))
        .order_by("dimension__order", "dimension__label", "dimension_id")
        .values_list(
            "case_id", "dimension_id", "dimension__slug", "direction__slug", "finding", "pages"
        )
    )
    for case_id, *outcome in outcomes:
        record = records[case_id]
        record.outcomes.append(tuple(outcome))
        record.outcomes_by_dimension[outcome[0]] = tuple(outcome)
    if not full:
        return
    for name in VOCAB_FIELDS:
        through, case_attr, target = _through(name)
        for case_id, slug in (
            through.objects.extra(**_case_ids_in(_column(through, case_attr), ids))
            .order_by(f"{target}__order", f"{target}__label", f"{target}__slug")
            .values_list(case_attr, f"{target}__slug")
        ):
            records[case_id].terms[name].append(slug)
    for case_id, *source in (
        CaseSource.objects.extra(**_case_ids_in(_column(CaseSource, "case_id"), ids))
        .order_by("confidence", "source__year", "source__slug")
        .values_list("case_id", "source__slug", "confidence", "locator", "note")
    ):
        records[case_id].sources.append(tuple(source))


# --- PostgreSQL: every relation of a chunk in one query, as ids per case ----------------------
#
# Ordered aggregates (``array_agg(x ORDER BY ...)``) sort once per case and relation, which
# costs more than the per-relation queries they replace; joining the codebook tables per
# row costs too. So the chunk query returns only the *ids* of each relation per case,
# unordered (``array_agg`` over the through table, restricted to the chunk), and Python
# maps them to slugs and sorts them with lookups read once per extract: every codebook
# table, the countries and the sources are tiny. Their ranks come from the database's
# own ``ORDER BY`` (``row_number()``), the same ORDER BY as :func:`_load_relations`, so
# the order is the same whatever the collation. Every relation is unique per case (one
# outcome per dimension, one link per term, country and source), so the sort is total.


class _Lookups:
    """Codebook values by id, with their rank in the order the extract lists them."""

    def __init__(self, connection, *, full: bool):
        from ..models import Country, OutcomeDimension, OutcomeDirection, Source

        q = connection.ops.quote_name
        region = Country._meta.get_field("world_region").related_model
        tradition = Country._meta.get_field("welfare_tradition").related_model
        parts = [
            # (kind, key, slug, extra, extra, rank)
            f"SELECT 'country', c.{q('code')}, c.{q('code')}, c.name, wr.slug, wt.slug, "  # noqa: S608
            f"row_number() OVER (ORDER BY c.name, c.{q('code')}) "
            f"FROM {q(Country._meta.db_table)} c "
            f"LEFT JOIN {q(region._meta.db_table)} wr ON wr.id = c.{q('world_region_id')} "
            f"LEFT JOIN {q(tradition._meta.db_table)} wt "
            f"ON wt.id = c.{q('welfare_tradition_id')}",
            f"SELECT 'dimension', d.id::text, d.slug, NULL, NULL, NULL, "  # noqa: S608
            f"row_number() OVER (ORDER BY d.{q('order')}, d.label, d.id) "
            f"FROM {q(OutcomeDimension._meta.db_table)} d",
            f"SELECT 'direction', w.id::text, w.slug, NULL, NULL, NULL, 0 "  # noqa: S608
            f"FROM {q(OutcomeDirection._meta.db_table)} w",
        ]
        if full:
            parts.append(
                f"SELECT 'source', s.id::text, s.slug, NULL, NULL, NULL, "  # noqa: S608
                f"row_number() OVER (ORDER BY s.year, s.slug) FROM {q(Source._meta.db_table)} s"
            )
            for name in VOCAB_FIELDS:
                vocabulary = q(Case._meta.get_field(name).related_model._meta.db_table)
                parts.append(
                    f"SELECT '{name}', v.id::text, v.slug, NULL, NULL, NULL, "  # noqa: S608
                    f"row_number() OVER (ORDER BY v.{q('order')}, v.label, v.slug) "
                    f"FROM {vocabulary} v"
                )
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(f"({part})" for part in parts))
            rows = cursor.fetchall()
        self.countries: dict[str, tuple] = {}  # code -> (code, name, region, tradition)
        self.country_rank: dict[str, int] = {}
        kinds = ("dimension", "direction", "source", *VOCAB_FIELDS)
        self.slug: dict[str, dict[int, str]] = {kind: {} for kind in kinds}  # {id: slug}
        self.rank: dict[str, dict[int, int]] = {kind: {} for kind in kinds}  # {id: rank}
        for kind, key, slug, name, region_slug, tradition_slug, rank in rows:
            if kind == "country":
                self.countries[key] = (key, name, region_slug, tradition_slug)
                self.country_rank[key] = rank
            else:
                self.slug[kind][int(key)] = slug
                self.rank[kind][int(key)] = rank
        self.sorted_countries = _Sorted(self.countries, self.country_rank)
        self.sorted_terms = {
            name: _Sorted(self.slug[name], self.rank[name]) for name in VOCAB_FIELDS
        }


def _chunk_sql(connection, *, full: bool) -> str:
    """Per case id of the chunk, the ids of each relation (arrays, in no particular order).

    Each relation is grouped by case in a subquery restricted to the chunk's ids and
    joined to the id list. ``%(ids)s`` stands for the ids as a ``bigint[]`` literal.
    """
    q = connection.ops.quote_name
    selects, joins = ["k.id"], []

    def relation(alias: str, table: str, columns: list[str]) -> None:
        aggregates = ", ".join(
            f"array_agg(t.{q(column)}) AS {alias}_{i}" for i, column in enumerate(columns)
        )
        joins.append(
            f"LEFT JOIN (SELECT t.{q('case_id')} AS case_id, {aggregates} FROM {q(table)} t "  # noqa: S608
            f"WHERE t.{q('case_id')} = ANY(%(ids)s) GROUP BY t.{q('case_id')}) {alias} "
            f"ON {alias}.case_id = k.id"
        )
        selects.extend(f"{alias}.{alias}_{i}" for i in range(len(columns)))

    def through(name: str, alias: str) -> None:
        model, case_attr, target = _through(name)
        assert case_attr == "case_id"
        relation(alias, model._meta.db_table, [model._meta.get_field(target).column])

    through("countries", "r0")
    relation("ro", Outcome._meta.db_table, ["dimension_id", "direction_id", "finding", "pages"])
    if full:
        relation("rs", CaseSource._meta.db_table, ["source_id", "confidence", "locator", "note"])
        for number, name in enumerate(VOCAB_FIELDS, start=1):
            through(name, f"r{number}")
    # Table and column names from the models, quoted: no user input.
    head = f"SELECT {', '.join(selects)} FROM unnest(%(ids)s) AS k(id) "  # noqa: S608
    return head + " ".join(joins)


class _Sorted:
    """Maps a relation's ids (as the chunk query returns them) to its values, in order.

    Cases share few distinct combinations of terms (or countries), so each combination
    is sorted and mapped once per extract and then looked up. The lists are shared
    between records: nothing modifies a record's lists after loading.
    """

    def __init__(self, value: dict, rank: dict):
        self.value, self.rank = value, rank.__getitem__
        self.known: dict[tuple, list] = {}

    def __call__(self, ids: list) -> list:
        values = self.known[tuple(ids)] = [self.value[i] for i in sorted(ids, key=self.rank)]
        return values

    def column(self, arrays: tuple) -> list[list]:
        """The values for each case of the chunk (an empty list where there are none)."""
        known, new = self.known.get, self
        return [(known(tuple(ids)) or new(ids)) if ids else [] for ids in arrays]


def _load_relations_aggregated(
    records: dict[int, CaseRecord], connection, sql: str, lookups: _Lookups, *, full: bool
) -> None:
    """PostgreSQL: the chunk's relations in one query (see :func:`_chunk_sql`).

    Built a relation at a time over the whole chunk (list comprehensions over the
    result's columns), which is cheaper than a Python loop per case and relation.
    """
    columns = _chunk_columns(records, connection, sql)
    if not columns:
        return
    chunk = [records[case_id] for case_id in columns[0]]
    countries = lookups.sorted_countries.column(columns[1])
    outcomes = _outcomes_column(columns[2:6], lookups)
    if full:
        sources = _sources_column(columns[6:10], lookups)
        terms = _terms_column(columns[10:], lookups)
    else:
        sources = [[] for _ in chunk]
        terms = [{name: [] for name in VOCAB_FIELDS} for _ in chunk]
    for record, record_countries, record_outcomes, record_sources, record_terms in zip(
        chunk, countries, outcomes, sources, terms, strict=True
    ):
        record.countries = record_countries
        record.outcomes = record_outcomes
        record.outcomes_by_dimension = {outcome[0]: outcome for outcome in record_outcomes}
        record.sources = record_sources
        record.terms = record_terms


def _chunk_columns(records: dict[int, CaseRecord], connection, sql: str) -> list[tuple]:
    """The chunk query's result by column: case ids, then each relation's id arrays.

    An empty list when the query returns no row.
    """
    # Integers read from the database a moment ago: safe to write into the SQL.
    ids = "'{" + ",".join(str(int(i)) for i in records) + "}'::bigint[]"
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("%(ids)s", ids))
        rows = cursor.fetchall()
    return list(zip(*rows, strict=True))


def _outcomes_column(columns: list[tuple], lookups: _Lookups) -> list[list[tuple]]:
    """Per case, its outcomes (dimension id, dimension, direction, finding, pages).

    ``columns`` are the chunk's dimension, direction, finding and pages arrays;
    each case's outcomes come in the dimensions' order.
    """
    dimension_slug, direction_slug = lookups.slug["dimension"], lookups.slug["direction"]
    dimension_rank = lookups.rank["dimension"]

    def by_dimension(outcome):
        return dimension_rank[outcome[0]]

    return [
        sorted(
            [
                (dimension, dimension_slug[dimension], direction_slug[direction], finding, pages)
                for dimension, direction, finding, pages in zip(
                    dimensions, directions, findings, pages_, strict=True
                )
            ],
            key=by_dimension,
        )
        if dimensions
        else []
        for dimensions, directions, findings, pages_ in zip(*columns, strict=True)
    ]


def _sources_column(columns: list[tuple], lookups: _Lookups) -> list[list[tuple]]:
    """Per case, its sources (slug, confidence, locator, note), by confidence then source.

    ``columns`` are the chunk's source, confidence, locator and note arrays.
    """
    source_slug, source_rank = lookups.slug["source"], lookups.rank["source"]

    def by_confidence_and_source(link):
        return link[1], source_rank[link[0]]

    return [
        [
            (source_slug[source], confidence, locator, note)
            for source, confidence, locator, note in sorted(
                zip(source_ids, confidences, locators, notes, strict=True),
                key=by_confidence_and_source,
            )
        ]
        if source_ids
        else []
        for source_ids, confidences, locators, notes in zip(*columns, strict=True)
    ]


def _terms_column(columns: list[tuple], lookups: _Lookups) -> list[dict[str, list[str]]]:
    """Per case, {coded dimension: its terms' slugs in the codebook's order}.

    ``columns`` are the chunk's term id arrays, one per field of VOCAB_FIELDS.
    """
    term_columns = [
        lookups.sorted_terms[name].column(arrays)
        for name, arrays in zip(VOCAB_FIELDS, columns, strict=True)
    ]
    return [
        dict(zip(VOCAB_FIELDS, values, strict=True)) for values in zip(*term_columns, strict=True)
    ]


def iter_records(
    queryset, *, full: bool = True, chunk_size: int | None = None
) -> Iterator[CaseRecord]:
    """Records of the queryset's cases in its order.

    Queries: one cursor over the cases, then per chunk 1 on PostgreSQL (plus one
    look-up of the codebook tables per extract), else 11 (2 if not full).
    """
    connection = connections[queryset.db]
    postgresql = connection.vendor == "postgresql"
    size = chunk_size or (PG_CHUNK_SIZE if postgresql else CHUNK_SIZE)
    if postgresql:
        sql = _chunk_sql(connection, full=full)
        lookups = None

        def load(chunk):
            nonlocal lookups
            if lookups is None:  # once per extract, when the first chunk is read
                lookups = _Lookups(connection, full=full)
            _load_relations_aggregated(chunk, connection, sql, lookups, full=full)

    else:

        def load(chunk):
            _load_relations(chunk, full=full)

    rows = queryset.values_list(*CASE_FIELDS).iterator(chunk_size=size)
    chunk: dict[int, CaseRecord] = {}
    for row in rows:
        record = CaseRecord(row)
        chunk[record.pk] = record
        if len(chunk) >= size:
            load(chunk)
            yield from chunk.values()
            chunk = {}
    if chunk:
        load(chunk)
        yield from chunk.values()
