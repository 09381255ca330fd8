# ruff: noqa: S608, S611 -- SQL here is built from this module's constants only;
# user text always travels as a query parameter.
"""Full-text search of cases: the engines' queries for a parsed :class:`Search`.

What is searched, and how the database keeps it current: casestudies/reads/search_index.py.
How the visitor's text is read (syntax, folding, synonyms): casestudies/reads/search_query.py.

PostgreSQL: the ``search_vector`` column (GIN-indexed) matched with a ``tsquery``
built from ``phraseto_tsquery`` pieces in the ``atlas_english`` configuration,
ranked with ``ts_rank``. SQLite: the FTS5 table matched with the same query in
FTS5 syntax (every term quoted, so user input is never FTS syntax), ranked with
``bm25`` and the same column weights. Where SQLite lacks FTS5 the search falls
back to ``icontains`` on each word: no stemming, no relevance (results then sort
by title).
"""

from functools import reduce
from operator import and_, or_

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db.models import Expression, FloatField, Q
from django.db.models.expressions import Col, RawSQL

from . import search_index
from .search_index import FTS_TABLE, FTS_WEIGHTS, PG_CONFIG
from .search_query import Clause, Search, Synonyms, Term, parse

MAX_QUERY_LENGTH = 200


# The variant sets last read, and what they were read from: reading them is stemming
# every variant (pure Python, ~4 ms at today's list), the same each time until a
# curator edits them.
_kept_synonyms: tuple[tuple[str, ...], Synonyms] | None = None


def load_synonyms() -> Synonyms:
    """The curated variant sets (one small query; read afresh only when they changed)."""
    from ..models import SearchSynonym

    global _kept_synonyms
    rows = tuple(SearchSynonym.objects.values_list("variants", flat=True))
    kept = _kept_synonyms
    if kept is not None and kept[0] == rows:
        return kept[1]
    synonyms = Synonyms.from_rows(rows)
    _kept_synonyms = (rows, synonyms)
    return synonyms


def parse_search(text: str) -> Search:
    """``text`` read as a search, with the curated synonyms (one query)."""
    return parse(text, load_synonyms())


# --- the index's life cycle ----------------------------------------------------------------


def repair_after_migrate(using="default", **kwargs) -> None:
    """post_migrate: on SQLite, put back triggers a table rebuild dropped (and reindex)."""
    from django.db import connections

    connection = connections[using]
    if (
        connection.vendor == "sqlite"
        and _sqlite_fts_ready(connection)
        and not search_index.sqlite_triggers_complete(connection)
    ):
        search_index.install(connection)


def uses_fts(connection) -> bool:
    """True when searches are ranked full-text searches rather than the icontains fallback."""
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        return _sqlite_fts_ready(connection)
    return False


_fts_cache: dict = {}


def _sqlite_fts_ready(connection) -> bool:
    key = connection.settings_dict["NAME"]
    if key not in _fts_cache:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s",
                [FTS_TABLE],
            )
            _fts_cache[key] = cursor.fetchone()[0] == 1
    return _fts_cache[key]


# --- FTS5 (SQLite) -------------------------------------------------------------------------


def _fts_term(term: Term) -> str:
    # Folded words are \w+ only: quoted, they are never FTS5 syntax.
    return '"' + term.text + '"'


def _fts_clause(clause: Clause) -> str:
    return "(" + " OR ".join(_fts_term(t) for t in clause.alternatives) + ")"


def fts5_query(search: Search) -> str:
    """The FTS5 MATCH expression of the positive clauses, minus the exclusions."""
    joiner = " OR " if search.any_of else " AND "
    positive = joiner.join(_fts_clause(c) for c in search.clauses)
    if search.excluded and positive:
        negative = " OR ".join(_fts_clause(c) for c in search.excluded)
        return f"({positive}) NOT ({negative})"
    return positive


def _fts_ids(match: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])


class Fts5Rank(Expression):
    """bm25 relevance of a case to an FTS5 query (SQLite), higher is better."""

    output_field = FloatField()

    def __init__(self, match: str, alias: str | None = None):
        super().__init__()
        self.match, self.alias = match, alias

    def resolve_expression(self, query=None, *args, **kwargs):
        return Fts5Rank(self.match, query.get_initial_alias())

    def relabeled_clone(self, change_map):
        return Fts5Rank(self.match, change_map.get(self.alias, self.alias))

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(self.alias)
        sql = (
            f"(SELECT -bm25({FTS_TABLE}, {FTS_WEIGHTS}) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {alias}.id)"
        )
        return sql, [self.match]


# --- PostgreSQL ----------------------------------------------------------------------------

_VECTOR_FIELD = SearchVectorField()
_VECTOR_FIELD.set_attributes_from_name("search_vector")


class StoredSearchVector(Expression):
    """``casestudies_case.search_vector`` (PostgreSQL), under whatever alias the query gives it.

    A column outside the model: resolving to a ``Col`` keeps it correct when the
    queryset becomes a subquery (the facet counts and ``pk__in`` filters).
    """

    output_field = _VECTOR_FIELD

    def resolve_expression(self, query=None, *args, **kwargs):
        from ..models import Case

        _VECTOR_FIELD.model = Case
        return Col(query.get_initial_alias(), _VECTOR_FIELD)


def _pg_clause(clause: Clause) -> SearchQuery:
    terms = [
        SearchQuery(t.text, search_type="phrase", config=PG_CONFIG) for t in clause.alternatives
    ]
    return reduce(or_, terms)


def pg_tsquery(search: Search) -> SearchQuery | None:
    """The tsquery of the positive clauses (OR-ed in the fallback), minus exclusions."""
    positive = None
    if search.clauses:
        positive = reduce(or_ if search.any_of else and_, map(_pg_clause, search.clauses))
    if search.excluded:
        negative = ~reduce(or_, map(_pg_clause, search.excluded))
        return negative if positive is None else positive & negative
    return positive


# --- what the list calls -------------------------------------------------------------------

_TEXT_FIELDS = [
    "title",
    "summary",
    "locality",
    "participants",
    "chapter__title",
    "chapter__authors",
]


def _contains(term: Term) -> Q:
    # Each word anywhere in the case's text (a phrase is not enforced in the fallback).
    q = Q()
    for word in term.words:
        q &= Q.create([(f"{name}__icontains", word) for name in _TEXT_FIELDS], connector=Q.OR)
    return q


def _contains_clause(clause: Clause) -> Q:
    return Q.create([_contains(t) for t in clause.alternatives], connector=Q.OR)


def search_filter(queryset, search: Search, connection):
    """The cases of ``queryset`` that ``search`` matches. Runs no query.

    A search with no words (only punctuation) matches no case.
    """
    if search.is_empty:
        return queryset.none()
    if connection.vendor == "postgresql":
        vector = StoredSearchVector()
        return queryset.alias(_search_vector=vector).filter(_search_vector=pg_tsquery(search))
    if uses_fts(connection):
        if search.clauses:
            return queryset.filter(pk__in=_fts_ids(fts5_query(search)))
        unwanted = " OR ".join(_fts_clause(c) for c in search.excluded)
        return queryset.exclude(pk__in=_fts_ids(unwanted))
    positive = [_contains_clause(c) for c in search.clauses]
    condition = reduce(or_ if search.any_of else and_, positive) if positive else Q()
    for clause in search.excluded:
        condition &= ~_contains_clause(clause)
    return queryset.filter(condition)


def search_rank(search: Search, connection) -> Expression | None:
    """How well a case matches ``search`` (higher first), or None where nothing ranks."""
    if search.is_empty or not search.clauses:
        return None
    if connection.vendor == "postgresql":
        return SearchRank(StoredSearchVector(), pg_tsquery(search))
    if uses_fts(connection):
        return Fts5Rank(fts5_query(search))
    return None


def search_cases(queryset, text: str, connection):
    """(matching cases, relevance or None) for ``text``: parse, filter and rank."""
    search = parse_search(text)
    return search_filter(queryset, search, connection), search_rank(search, connection)
