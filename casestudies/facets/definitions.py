# ruff: noqa: S608 -- SQL built from model metadata; values travel as parameters.
"""The facets of the case list: which values each offers and how it selects cases.

Every facet turns the values a visitor ticked into one condition on ``Case``,
``pk IN (SELECT case_id FROM <link table> WHERE <term> IN (...))``: a subquery
rather than a join, so a case with two matching countries is still one row and
no ``DISTINCT`` is needed. Ticked values OR together inside the subquery; facets
AND together as separate conditions.

Each facet also counts, in one query, how many cases of a given set each of its
values has (the disjunctive counts of ``casestudies.facets.query``).
"""

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q, QuerySet

from ..models import Case, Chapter, Country, Outcome, WelfareTradition, WorldRegion

COUNTRY_LINK = Case.countries.through


@dataclass(frozen=True)
class TermFacet:
    """A facet over a table of terms: a vocabulary, the countries or the chapters."""

    param: str
    label: str
    model: type
    key_field: str  # how the URL names a term: slug, ISO code or chapter number
    cases_path: str  # from a term to its cases, for the counts
    distinct: bool = False  # a case can reach one term along two paths (two countries)

    def key(self, term) -> str:
        return str(getattr(term, self.key_field))

    def term_label(self, term) -> str:
        if self.model is Chapter:
            return f"{term.number}. {term.authors}"
        return str(term)

    def condition(self, term_ids: list) -> Q:
        raise NotImplementedError

    def counts_sql(self, base_sql: str) -> str:
        """SQL of (term, n) rows: cases of ``base_sql`` per term, for terms that have any."""
        raise NotImplementedError

    def terms_with_counts(self, base_ids: QuerySet):
        """Every term, each with ``n``: how many cases of ``base_ids`` it has. One query.

        Counting happens in a derived table joined to the terms: PostgreSQL then
        aggregates the link table once, where a ``COUNT(...) FILTER`` over a join
        of every link row ran 1.5–2x slower at 100,000 cases.
        """
        try:
            base_sql, params = base_ids.query.sql_with_params()
        except EmptyResultSet:
            # A base that can match nothing (a search of punctuation only).
            base_sql, params = "SELECT NULL WHERE 1 = 0", ()
        qn = connection.ops.quote_name
        meta = self.model._meta
        order = ", ".join(
            f"t.{qn(meta.get_field(name.lstrip('-')).column)}" for name in self.order_fields
        )
        sql = (
            f"SELECT t.*, COALESCE(c.n, 0) AS n FROM {qn(meta.db_table)} t "
            f"LEFT JOIN ({self.counts_sql(base_sql)}) c ON c.term = t.{qn(meta.pk.column)} "
            f"ORDER BY {order}, t.{qn(meta.pk.column)}"
        )
        return self.model.objects.raw(sql, params)

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

    def counts_sql(self, base_sql: str) -> str:
        field = Case._meta.get_field(self.field_name)
        qn = connection.ops.quote_name
        term = qn(f"{field.m2m_reverse_field_name()}_id")
        table = qn(field.remote_field.through._meta.db_table)
        return (
            f"SELECT {term} AS term, COUNT(*) AS n FROM {table} "
            f"WHERE case_id IN ({base_sql}) GROUP BY {term}"
        )


@dataclass(frozen=True)
class CountryGroupFacet(TermFacet):
    """Welfare tradition or world region: a property of a case's countries."""

    country_field: str = ""

    def condition(self, term_ids: list) -> Q:
        lookup = f"country__{self.country_field}_id__in"
        return Q(pk__in=COUNTRY_LINK.objects.filter(**{lookup: term_ids}).values("case_id"))

    def counts_sql(self, base_sql: str) -> str:
        qn = connection.ops.quote_name
        term = f"k.{qn(self.country_field + '_id')}"
        # DISTINCT: a case in two countries of one tradition counts once.
        return (
            f"SELECT {term} AS term, COUNT(DISTINCT l.case_id) AS n "
            f"FROM {qn(COUNTRY_LINK._meta.db_table)} l "
            f"JOIN {qn(Country._meta.db_table)} k ON k.code = l.country_id "
            f"WHERE l.case_id IN ({base_sql}) GROUP BY {term}"
        )


@dataclass(frozen=True)
class ChapterFacet(TermFacet):
    def condition(self, term_ids: list) -> Q:
        return Q(chapter_id__in=term_ids)

    def counts_sql(self, base_sql: str) -> str:
        table = connection.ops.quote_name(Case._meta.db_table)
        return (
            f"SELECT chapter_id AS term, COUNT(*) AS n FROM {table} "
            f"WHERE id IN ({base_sql}) GROUP BY chapter_id"
        )


def _m2m(param, label, field_name, key_field="slug"):
    model = Case._meta.get_field(field_name).related_model
    return ManyToManyFacet(param, label, model, key_field, "cases", field_name=field_name)


# The term facets, in the order the page shows them (outcome and period follow).
TERM_FACETS: list[TermFacet] = [
    _m2m("country", "Country", "countries", key_field="code"),
    CountryGroupFacet(
        "welfare_tradition",
        "Welfare tradition",
        WelfareTradition,
        "slug",
        "countries__cases",
        distinct=True,
        country_field="welfare_tradition",
    ),
    CountryGroupFacet(
        "world_region",
        "World region",
        WorldRegion,
        "slug",
        "countries__cases",
        distinct=True,
        country_field="world_region",
    ),
    _m2m("policy_field", "Policy field", "policy_fields"),
    _m2m("provider_type", "Provider type", "provider_types"),
    _m2m("participation_form", "Participation form", "participation_forms"),
    _m2m("level", "Level", "levels"),
    _m2m("phase", "Phase", "phases"),
    _m2m("participation_dimension", "Participation dimension", "participation_dimensions"),
    ChapterFacet("chapter", "Chapter", Chapter, "number", "cases"),
]
TERM_FACETS_BY_PARAM = {facet.param: facet for facet in TERM_FACETS}


class OutcomeFacet:
    """Outcome as dimension × direction: ``outcome=service-quality:improved``."""

    param = "outcome"
    label = "Outcome"

    @staticmethod
    def condition(pairs: list[tuple[int, int]]) -> Q:
        match = Q.create(
            [Q(dimension_id=dim, direction_id=direction) for dim, direction in pairs],
            connector=Q.OR,
        )
        return Q(pk__in=Outcome.objects.filter(match).values("case_id"))

    @staticmethod
    def pairs_with_counts(base_ids: QuerySet) -> QuerySet:
        """(dimension, direction) pairs that occur among ``base_ids``, with ``n``. One query.

        An outcome is unique per case and dimension, so counting rows counts cases.
        """
        return (
            Outcome.objects.filter(case_id__in=base_ids)
            .values(
                "dimension__slug",
                "dimension__label",
                "dimension__order",
                "direction__slug",
                "direction__label",
                "direction__order",
            )
            .annotate(n=Count("case_id"))
            .order_by(
                "dimension__order", "dimension__label", "direction__order", "direction__label"
            )
        )


OUTCOME_FACET = OutcomeFacet()
