# ruff: noqa: S608, S611 -- SQL here is built from this module's constants only;
# user text always travels as a query parameter.
"""Full-text search of cases: title, summary, locality, participants and chapter.

PostgreSQL: a weighted ``tsvector`` column ``casestudies_case.search_vector``
(title A, summary B, locality and participants C, chapter authors and title D,
English stemming) kept current by a trigger on cases and one on chapters, with a
GIN index, so a search never scans the table. Queries use ``websearch`` syntax
(``"a phrase"``, ``or``, ``-word``) and rank with ``ts_rank``.

SQLite: an FTS5 table ``casestudies_case_fts`` (Porter stemming) kept current by
triggers, queried with the same syntax translated to FTS5 and ranked with
``bm25``, with the same column weights. Where SQLite lacks FTS5 the search falls
back to ``icontains`` on each word: correct matches, no stemming, no relevance
(results then sort by title).

The column, the FTS table and the triggers live outside the model, so the ORM
never selects them. ``install_search_index`` creates them; the migration calls
it, and so does ``post_migrate`` on SQLite, because SQLite migrations that
rebuild the case table drop its triggers.
"""

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db.models import Expression, FloatField, Q
from django.db.models.expressions import Col, RawSQL

MAX_QUERY_LENGTH = 200
CONFIG = "english"
FTS_TABLE = "casestudies_case_fts"
FTS_TRIGGERS = [
    "casestudies_case_fts_ai",
    "casestudies_case_fts_ad",
    "casestudies_case_fts_au",
    "casestudies_chapter_fts_au",
]
# bm25 weights for the FTS columns, mirroring the PostgreSQL A/B/C/D weights.
FTS_WEIGHTS = "10.0, 4.0, 2.0, 1.0"

_PG_SQL = [
    "ALTER TABLE casestudies_case ADD COLUMN IF NOT EXISTS search_vector tsvector",
    """
    CREATE OR REPLACE FUNCTION casestudies_case_search_vector() RETURNS trigger AS $$
    DECLARE chapter_text text;
    BEGIN
      SELECT coalesce(authors, '') || ' ' || coalesce(title, '') INTO chapter_text
        FROM casestudies_chapter WHERE id = NEW.chapter_id;
      NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
        setweight(to_tsvector('english',
          coalesce(NEW.locality, '') || ' ' || coalesce(NEW.participants, '')), 'C') ||
        setweight(to_tsvector('english', coalesce(chapter_text, '')), 'D');
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS casestudies_case_search_vector_trg ON casestudies_case",
    """
    CREATE TRIGGER casestudies_case_search_vector_trg
      BEFORE INSERT OR UPDATE OF title, summary, locality, participants, chapter_id
      ON casestudies_case FOR EACH ROW EXECUTE FUNCTION casestudies_case_search_vector()
    """,
    # A chapter's new title or authors must reach its cases' vectors: touching
    # chapter_id fires the case trigger above.
    """
    CREATE OR REPLACE FUNCTION casestudies_chapter_search_touch() RETURNS trigger AS $$
    BEGIN
      UPDATE casestudies_case SET chapter_id = chapter_id WHERE chapter_id = NEW.id;
      RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS casestudies_chapter_search_trg ON casestudies_chapter",
    """
    CREATE TRIGGER casestudies_chapter_search_trg
      AFTER UPDATE OF title, authors ON casestudies_chapter
      FOR EACH ROW EXECUTE FUNCTION casestudies_chapter_search_touch()
    """,
    # Fill the vectors of rows that existed before the trigger.
    "UPDATE casestudies_case SET chapter_id = chapter_id WHERE search_vector IS NULL",
    # The index the search's @@ uses instead of scanning every case.
    """
    CREATE INDEX IF NOT EXISTS casestudies_case_search_gin
      ON casestudies_case USING GIN (search_vector)
    """,
]

_FTS_ROW = (
    "SELECT c.id, c.title, c.summary, c.locality || ' ' || c.participants, "
    "(SELECT ch.authors || ' ' || ch.title FROM casestudies_chapter ch WHERE ch.id = c.chapter_id) "
    "FROM casestudies_case c"
)
_FTS_INSERT = f"INSERT INTO {FTS_TABLE}(rowid, title, summary, people, chapter) "
_SQLITE_SQL = [
    f"""CREATE TRIGGER IF NOT EXISTS casestudies_case_fts_ai AFTER INSERT ON casestudies_case
    BEGIN {_FTS_INSERT} {_FTS_ROW} WHERE c.id = NEW.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS casestudies_case_fts_ad AFTER DELETE ON casestudies_case
    BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS casestudies_case_fts_au
    AFTER UPDATE OF title, summary, locality, participants, chapter_id ON casestudies_case
    BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id;
    {_FTS_INSERT} {_FTS_ROW} WHERE c.id = NEW.id; END""",
    f"""CREATE TRIGGER IF NOT EXISTS casestudies_chapter_fts_au
    AFTER UPDATE OF title, authors ON casestudies_chapter
    BEGIN DELETE FROM {FTS_TABLE}
      WHERE rowid IN (SELECT id FROM casestudies_case WHERE chapter_id = NEW.id);
    {_FTS_INSERT} {_FTS_ROW} WHERE c.chapter_id = NEW.id; END""",
]


def sqlite_has_fts5(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        return "ENABLE_FTS5" in {row[0] for row in cursor.fetchall()}


def install_search_index(connection) -> None:
    """Create (or repair) the search column/table, its triggers and index. Idempotent."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in _PG_SQL:
                cursor.execute(sql)
    elif connection.vendor == "sqlite" and sqlite_has_fts5(connection):
        with connection.cursor() as cursor:
            placeholders = ", ".join(["%s"] * len(FTS_TRIGGERS))
            cursor.execute(
                "SELECT count(*) FROM sqlite_master "
                f"WHERE type = 'trigger' AND name IN ({placeholders})",
                FTS_TRIGGERS,
            )
            complete = cursor.fetchone()[0] == len(FTS_TRIGGERS)
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
                "title, summary, people, chapter, "
                "tokenize = 'porter unicode61 remove_diacritics 2')"
            )
            for sql in _SQLITE_SQL:
                cursor.execute(sql)
            if not complete:
                # Triggers were missing (new database, or a table rebuild dropped
                # them): the index may have missed writes, so rebuild it.
                cursor.execute(f"DELETE FROM {FTS_TABLE}")
                cursor.execute(_FTS_INSERT + _FTS_ROW)


def drop_sqlite_triggers(connection) -> None:
    """Drop the FTS triggers (bulk loads); ``install_search_index`` restores and reindexes."""
    with connection.cursor() as cursor:
        for name in FTS_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def uninstall_search_index(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "DROP TRIGGER IF EXISTS casestudies_case_search_vector_trg ON casestudies_case"
            )
            cursor.execute(
                "DROP TRIGGER IF EXISTS casestudies_chapter_search_trg ON casestudies_chapter"
            )
            cursor.execute("DROP FUNCTION IF EXISTS casestudies_case_search_vector()")
            cursor.execute("DROP FUNCTION IF EXISTS casestudies_chapter_search_touch()")
            cursor.execute("ALTER TABLE casestudies_case DROP COLUMN IF EXISTS search_vector")
        elif connection.vendor == "sqlite":
            for name in FTS_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    _fts_cache.clear()


def repair_after_migrate(using="default", **kwargs) -> None:
    """post_migrate: on SQLite, put back triggers a table rebuild dropped (and reindex)."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and _sqlite_fts_ready(connection):
        install_search_index(connection)


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


# --- parsing the websearch syntax (for SQLite; PostgreSQL parses it itself) ----------

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class ParsedQuery:
    """Terms as OR-groups that must all match, and terms that must not."""

    groups: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.groups and not self.excluded


def parse_websearch(text: str) -> ParsedQuery:
    """Read ``"a phrase"``, ``or`` and ``-word`` the way websearch_to_tsquery does.

    Each term is a phrase of its words (``co-production`` is "co production").
    """
    parsed = ParsedQuery()
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated_phrase, phrase, bare = match.groups()
        negated = bool(negated_phrase)
        raw = phrase if phrase is not None else bare
        if phrase is None and bare.lower() == "or":
            pending_or = bool(parsed.groups)
            continue
        if phrase is None and bare.startswith("-") and len(bare) > 1:
            negated, raw = True, bare[1:]
        words = _WORD.findall(raw)
        if not words:
            continue
        term = " ".join(words)
        if negated:
            parsed.excluded.append(term)
        elif pending_or:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        pending_or = False
    return parsed


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', " ") + '"'


def fts5_query(parsed: ParsedQuery) -> str:
    """An FTS5 MATCH expression; every term quoted, so user input is never FTS syntax."""
    positive = " AND ".join(
        "(" + " OR ".join(_fts_phrase(t) for t in group) + ")" for group in parsed.groups
    )
    if parsed.excluded and positive:
        negative = " OR ".join(_fts_phrase(t) for t in parsed.excluded)
        return f"{positive} NOT ({negative})"
    return positive


# --- query expressions -------------------------------------------------------------

_VECTOR_FIELD = SearchVectorField()
_VECTOR_FIELD.set_attributes_from_name("search_vector")


class StoredSearchVector(Expression):
    """``casestudies_case.search_vector`` (PostgreSQL), under whatever alias the query gives it.

    A column outside the model: resolving to a ``Col`` keeps it correct when the
    queryset becomes a subquery (the facet counts and ``pk__in`` filters).
    """

    output_field = _VECTOR_FIELD

    def resolve_expression(self, query=None, *args, **kwargs):
        from .models import Case

        _VECTOR_FIELD.model = Case
        return Col(query.get_initial_alias(), _VECTOR_FIELD)


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


_TEXT_FIELDS = [
    "title",
    "summary",
    "locality",
    "participants",
    "chapter__title",
    "chapter__authors",
]


def _contains(term: str) -> Q:
    # Each word anywhere in the case's text (a phrase is not enforced in the fallback).
    q = Q()
    for word in term.split():
        q &= Q.create([(f"{name}__icontains", word) for name in _TEXT_FIELDS], connector=Q.OR)
    return q


def _fts_ids(match: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])


def search_cases(queryset, text: str, connection):
    """Cases of ``queryset`` matching ``text``, and a relevance expression (or None).

    Runs no query. A query with no words (only punctuation) matches no case.
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=CONFIG)
        matched = queryset.alias(_search_vector=StoredSearchVector()).filter(_search_vector=query)
        return matched, SearchRank(StoredSearchVector(), query)
    parsed = parse_websearch(text)
    if parsed.is_empty:
        return queryset.none(), None
    if uses_fts(connection):
        if parsed.groups:
            match = fts5_query(parsed)
            return queryset.filter(pk__in=_fts_ids(match)), Fts5Rank(match)
        unwanted = fts5_query(ParsedQuery(groups=[parsed.excluded]))
        return queryset.exclude(pk__in=_fts_ids(unwanted)), None
    condition = Q()
    for group in parsed.groups:
        condition &= Q.create([_contains(t) for t in group], connector=Q.OR)
    for term in parsed.excluded:
        condition &= ~_contains(term)
    return queryset.filter(condition), None
