# ruff: noqa: S608 -- SQL built from model metadata; values travel as parameters.
"""The facets of the case list: which values each offers and how it selects cases.

Every facet turns the values a visitor ticked into one condition on ``Case``,
``pk IN (SELECT case_id FROM <link table> WHERE <term> IN (...))``: a subquery
rather than a join, so a case with two matching countries is still one row and
no ``DISTINCT`` is needed. Ticked values OR together inside the subquery; facets
AND together as separate conditions.

Each facet also gives the SQL that counts, per value, the cases of a base set
(``CountBase``); ``casestudies.facets.query`` unites every facet's counts, the
disjunctive counts, in one query.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..models import (
    DIMENSIONS,
    Case,
    CaseStatus,
    Chapter,
    Country,
    Dimension,
    Outcome,
    OutcomeDimension,
    OutcomeDirection,
    WelfareTradition,
    WorldRegion,
    country_name,
    term_label,
)

COUNTRY_LINK = Case.countries.through


PUBLISHED = CaseStatus.PUBLISHED.value
# Spelled out rather than ``<> 'published'``: an IN list is an index range scan.
NOT_PUBLISHED = ", ".join(f"'{s}'" for s in CaseStatus.values if s != PUBLISHED)


def _case_table() -> str:
    return connection.ops.quote_name(Case._meta.db_table)


@dataclass(frozen=True)
class CountBase:
    """The cases a facet counts over, as SQL for the one counting query.

    ``cte`` names a common table expression of (id, chapter_id) rows: the
    cases the other filters select, evaluated once per request. ``None`` stands
    for every published case: the counts then read the link tables alone,
    leaving out the (few) cases that are not published, with no join to the
    case table and no set of 100,000 ids to build or probe.
    """

    cte: str | None = None

    def has(self, column: str) -> str:
        """A condition: the case id ``column`` belongs to the base."""
        if self.cte:
            return f"{column} IN (SELECT id FROM {self.cte})"
        return f"{column} NOT IN (SELECT id FROM {_case_table()} WHERE status IN ({NOT_PUBLISHED}))"

    def chapter_counts_sql(self) -> str:
        if self.cte:
            return f"SELECT chapter_id AS term, COUNT(*) AS n FROM {self.cte} GROUP BY chapter_id"
        return (
            f"SELECT chapter_id AS term, COUNT(*) AS n FROM {_case_table()} "
            f"WHERE status = '{PUBLISHED}' GROUP BY chapter_id"
        )

    def total_sql(self) -> str:
        """The branch of the counting query that counts the base itself (f = -1)."""
        source = self.cte or f"{_case_table()} WHERE status = '{PUBLISHED}'"
        return (
            "SELECT -1 AS f, CAST(NULL AS varchar(300)) AS k, CAST(NULL AS varchar(400)) AS a, "
            f"CAST(NULL AS varchar(400)) AS b, 0 AS o, COUNT(*) AS n FROM {source}"
        )


@dataclass(frozen=True)
class TermFacet:
    """A facet over a table of terms: a vocabulary, the countries or the chapters."""

    param: str
    label: str
    model: type
    key_field: str  # how the URL names a term: slug, ISO code or chapter number

    def key(self, term) -> str:
        return str(getattr(term, self.key_field))

    def term_label(self, term) -> str:
        if self.model is Chapter:
            return f"{term.number}. {term.authors}"
        return str(term)

    def localize(self, key: str, label: str) -> str:
        """A term's label from the counting query (English) in the page's language."""
        if self.model is Chapter:  # a chapter is named by its authors: no translation
            return label
        if self.model is Country:
            return country_name(key, label)
        return str(term_label(self.model, key, label))

    def condition(self, term_ids: list) -> Q:
        raise NotImplementedError

    def counts_sql(self, base: "CountBase") -> str:
        """SQL of (term, n) rows: cases of ``base`` per term, for terms that have any."""
        raise NotImplementedError

    def cases_sql(self, published: str) -> str:
        """SQL of (term, p) rows: per term with cases, the array of their ids, for the
        in-memory case index (casestudies/reads/case_index.py). The ids may include
        cases that are not published (the index keeps only those of ``published``,
        the CTE of the published cases' (id, chapter_id) rows): no join to build."""
        raise NotImplementedError

    def label_sql(self) -> str:
        """SQL of the label a term shows (``term_label``), on the term alias ``t``."""
        qn = connection.ops.quote_name
        if self.model is Chapter:
            return f"CAST(t.{qn('number')} AS varchar(12)) || '. ' || t.{qn('authors')}"
        return f"t.{qn('name' if self.model is Country else 'label')}"

    def panel_sql(self, base: "CountBase", index: int) -> str:
        """A branch of the counting query: (f, key, label, NULL, ord, n) for every term.

        Terms without a case of ``base`` come with n = 0; ``ord`` is the term's
        place in the facet's order.
        """
        qn = connection.ops.quote_name
        meta = self.model._meta
        pk = f"t.{qn(meta.pk.column)}"
        key = f"t.{qn(meta.get_field(self.key_field).column)}"
        order = ", ".join(
            f"t.{qn(meta.get_field(name.lstrip('-')).column)}" for name in self.order_fields
        )
        return (
            f"SELECT {index} AS f, CAST({key} AS varchar(300)) AS k, "
            f"CAST({self.label_sql()} AS varchar(400)) AS a, CAST(NULL AS varchar(400)) AS b, "
            f"ROW_NUMBER() OVER (ORDER BY {order}, {pk}) AS o, COALESCE(c.n, 0) AS n "
            f"FROM {qn(meta.db_table)} t LEFT JOIN ({self.counts_sql(base)}) c ON c.term = {pk}"
        )

    @property
    def order_fields(self) -> list[str]:
        if self.model is Chapter:
            return ["number"]
        return list(self.model._meta.ordering)


@dataclass(frozen=True)
class ManyToManyFacet(TermFacet):
    """A many-valued field of the case (countries, policy fields, …)."""

    field_name: str = ""

    def condition(self, term_ids: list) -> Q:
        field = Case._meta.get_field(self.field_name)
        link = field.remote_field.through
        term_column = f"{field.m2m_reverse_field_name()}_id__in"
        return Q(pk__in=link.objects.filter(**{term_column: term_ids}).values("case_id"))

    def counts_sql(self, base: "CountBase") -> str:
        # The link table is unique per (case, term): COUNT(*) counts cases.
        field = Case._meta.get_field(self.field_name)
        qn = connection.ops.quote_name
        term = qn(f"{field.m2m_reverse_field_name()}_id")
        table = qn(field.remote_field.through._meta.db_table)
        return (
            f"SELECT {term} AS term, COUNT(*) AS n FROM {table} "
            f"WHERE {base.has('case_id')} GROUP BY {term}"
        )

    def cases_sql(self, published: str) -> str:
        field = Case._meta.get_field(self.field_name)
        qn = connection.ops.quote_name
        term = qn(f"{field.m2m_reverse_field_name()}_id")
        table = qn(field.remote_field.through._meta.db_table)
        return f"SELECT {term} AS term, array_agg(case_id) AS p FROM {table} GROUP BY {term}"


@dataclass(frozen=True)
class CountryGroupFacet(TermFacet):
    """Welfare tradition or world region: a property of a case's countries."""

    country_field: str = ""

    def condition(self, term_ids: list) -> Q:
        lookup = f"country__{self.country_field}_id__in"
        return Q(pk__in=COUNTRY_LINK.objects.filter(**{lookup: term_ids}).values("case_id"))

    def counts_sql(self, base: "CountBase") -> str:
        qn = connection.ops.quote_name
        term = f"k.{qn(self.country_field + '_id')}"
        # DISTINCT: a case in two countries of one tradition counts once.
        return (
            f"SELECT {term} AS term, COUNT(DISTINCT l.case_id) AS n "
            f"FROM {qn(COUNTRY_LINK._meta.db_table)} l "
            f"JOIN {qn(Country._meta.db_table)} k ON k.code = l.country_id "
            f"WHERE {base.has('l.case_id')} GROUP BY {term}"
        )

    def cases_sql(self, published: str) -> str:
        qn = connection.ops.quote_name
        term = f"k.{qn(self.country_field + '_id')}"
        # A case in two countries of one tradition comes twice: its bitmap keeps it once.
        return (
            f"SELECT {term} AS term, array_agg(l.case_id) AS p "
            f"FROM {qn(COUNTRY_LINK._meta.db_table)} l "
            f"JOIN {qn(Country._meta.db_table)} k ON k.code = l.country_id GROUP BY {term}"
        )


@dataclass(frozen=True)
class ChapterFacet(TermFacet):
    def condition(self, term_ids: list) -> Q:
        return Q(chapter_id__in=term_ids)

    def counts_sql(self, base: "CountBase") -> str:
        return base.chapter_counts_sql()

    def cases_sql(self, published: str) -> str:
        return f"SELECT chapter_id AS term, array_agg(id) AS p FROM {published} GROUP BY chapter_id"


def _dimension_facet(d: Dimension) -> ManyToManyFacet:
    return ManyToManyFacet(d.param, d.facet_label, d.model, d.key_field, field_name=d.field)


# The coded dimensions with a facet, from their registry; the countries come first.
_DIMENSION_FACETS = [_dimension_facet(d) for d in DIMENSIONS if d.facet_label]

# The term facets, in the order the page shows them (outcome and period follow):
# the countries' groups follow the countries, the chapter comes last.
TERM_FACETS: list[TermFacet] = [
    _DIMENSION_FACETS[0],
    CountryGroupFacet(
        "welfare_tradition",
        _("Welfare tradition"),
        WelfareTradition,
        "slug",
        country_field="welfare_tradition",
    ),
    CountryGroupFacet(
        "world_region",
        _("World region"),
        WorldRegion,
        "slug",
        country_field="world_region",
    ),
    *_DIMENSION_FACETS[1:],
    ChapterFacet("chapter", _("Chapter"), Chapter, "number"),
]


class OutcomeFacet:
    """Outcome as dimension × direction: ``outcome=service-quality:improved``."""

    param = "outcome"
    label = _("Outcome")

    @staticmethod
    def condition(pairs: list[tuple[int, int]]) -> Q:
        match = Q.create(
            [Q(dimension_id=dim, direction_id=direction) for dim, direction in pairs],
            connector=Q.OR,
        )
        return Q(pk__in=Outcome.objects.filter(match).values("case_id"))

    @staticmethod
    def panel_sql(base: "CountBase", index: int) -> str:
        """A branch of (f, key, dimension label, direction label, ord, n) rows.

        Only the (dimension, direction) pairs that occur among ``base``. An
        outcome is unique per case and dimension, so counting rows counts cases.
        """
        qn = connection.ops.quote_name
        dims = qn(OutcomeDimension._meta.db_table)
        dirs = qn(OutcomeDirection._meta.db_table)
        order = qn("order")
        return (
            f"SELECT {index} AS f, CAST(d.slug || ':' || r.slug AS varchar(300)) AS k, "
            "d.label AS a, r.label AS b, "
            f"ROW_NUMBER() OVER (ORDER BY d.{order}, d.label, r.{order}, r.label, d.id, r.id) "
            "AS o, c.n AS n "
            "FROM (SELECT dimension_id, direction_id, COUNT(*) AS n "
            f"FROM {qn(Outcome._meta.db_table)} WHERE {base.has('case_id')} "
            "GROUP BY dimension_id, direction_id) c "
            f"JOIN {dims} d ON d.id = c.dimension_id JOIN {dirs} r ON r.id = c.direction_id"
        )

    @staticmethod
    def index_sql() -> str:
        """The in-memory case index's rows of the pairs cases have
        (casestudies/reads/case_index.py): ('outcome', -1, "dimension id:direction
        id", key, dimension label, direction label, ord, case ids), with key, labels
        and order as :meth:`panel_sql` gives them."""
        qn = connection.ops.quote_name
        dims = qn(OutcomeDimension._meta.db_table)
        dirs = qn(OutcomeDirection._meta.db_table)
        order = qn("order")
        return (
            "SELECT 'outcome', -1, c.dimension_id::text || ':' || c.direction_id::text, "
            "CAST(d.slug || ':' || r.slug AS varchar(300)), d.label, r.label, "
            f"ROW_NUMBER() OVER (ORDER BY d.{order}, d.label, r.{order}, r.label, d.id, r.id), "
            "c.p "
            "FROM (SELECT dimension_id, direction_id, array_agg(case_id) AS p "
            f"FROM {qn(Outcome._meta.db_table)} GROUP BY dimension_id, direction_id) c "
            f"JOIN {dims} d ON d.id = c.dimension_id JOIN {dirs} r ON r.id = c.direction_id"
        )


OUTCOME_FACET = OutcomeFacet()
