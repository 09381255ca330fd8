# ruff: noqa: S608 -- SQL built from model metadata and this module's constants only.
"""The search index: what a case is found by, kept current by the database itself.

A case's search document has four weights:

- A: its title and everything it is coded with: the names of its countries and
  their world regions and welfare traditions, and the label and synonyms of each
  term of its coded dimensions (every many-to-many vocabulary of ``Case``, its
  users' influence) and of its outcomes' dimensions and directions;
- B: its summary;
- C: locality, participants, its outcomes' findings, its chapter's authors and title;
- D: the coder's note.

A hyphenated word is indexed both as its parts and joined (co-operative: "co
operative" and "cooperative"), so that the query's forms of it all match
(casestudies/reads/search_query.py).

PostgreSQL: ``casestudies_case.search_vector``, a weighted ``tsvector`` in the
``atlas_english`` text search configuration (``unaccent`` then the English
Snowball stemmer), GIN-indexed. A BEFORE trigger computes it from the case's row;
statement-level triggers on every table the document reads (link tables,
outcomes, vocabularies, countries, chapters) recompute the vectors of the cases
a statement touched, so a relabelled term re-indexes its cases. Only rows whose
columns the document reads changed count (``Watch.columns``, the old and new
transition tables compared): the admin writes every column of a row it saves, and
a term's translated labels or definition must not re-index its 17,000 cases.

SQLite: the FTS5 table ``casestudies_case_fts`` (tokenizer ``porter unicode61
remove_diacritics 2``) with one column per part, kept by row triggers on the
same tables, each with a ``WHEN`` comparing the old and new rows' read columns.

Which tables and columns: read from the models' metadata (the ``apps`` a
migration passes, so a migration installs the index of its own schema). Bulk
loads may defer the work (``deferred_index``) and reindex once.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

FTS_TABLE = "casestudies_case_fts"
FTS_COLUMNS = ["title", "coded", "summary", "body", "notes"]
# bm25 weights of the FTS columns, mirroring PostgreSQL's A, A, B, C, D.
FTS_WEIGHTS = "10.0, 10.0, 4.0, 2.0, 1.0"
PG_CONFIG = "atlas_english"
PG_INDEX = "casestudies_case_search_gin"
# Bulk loads set this (transaction-local) so PostgreSQL's triggers skip their work.
PG_DEFER_SETTING = "atlas.search_deferred"
_TRIGGER_PREFIX = "casestudies_search_"


@dataclass(frozen=True)
class Watch:
    """A table whose rows the document reads: ``case_ids`` finds the cases a change touches.

    ``case_ids`` is SQL with ``{keys}``: a subquery of the changed rows' ``key`` column.
    ``columns``: the table's columns the document reads; an update that changes none of
    them (a translated label, a definition: the admin writes every column) touches no
    case. ``pk``: the table's primary key, which pairs a row's old and new versions.
    """

    table: str
    key: str
    case_ids: str
    on_insert_delete: bool  # link rows: their arrival and removal change documents
    columns: tuple[str, ...]
    pk: str


def _meta(model):
    return model._meta


def _has_label(model) -> bool:
    names = {f.name for f in _meta(model).get_fields()}
    return {"label", "synonyms"} <= names


def _label_text(alias: str) -> str:
    return f"{alias}.label || ' ' || {alias}.synonyms"


class _Schema:
    """Table and column names of the models the document reads."""

    def __init__(self, apps):
        self.Case = apps.get_model("casestudies", "Case")
        self.Outcome = apps.get_model("casestudies", "Outcome")
        self.Country = apps.get_model("casestudies", "Country")
        self.Chapter = apps.get_model("casestudies", "Chapter")
        self.case = _meta(self.Case).db_table

    def m2m_links(self):
        """(link table, case column, term column, term model) per many-to-many of Case."""
        for field in _meta(self.Case).many_to_many:
            through = field.remote_field.through
            target = field.related_model
            if target is not self.Country and not _has_label(target):
                continue  # e.g. the sources: references, not codes
            t = _meta(through)
            yield (
                t.db_table,
                t.get_field(field.m2m_field_name()).column,
                t.get_field(field.m2m_reverse_field_name()).column,
                target,
            )

    def pk_of(self, link: str) -> str:
        """The primary key column of a many-to-many link table of Case."""
        for field in _meta(self.Case).many_to_many:
            through = _meta(field.remote_field.through)
            if through.db_table == link:
                return through.pk.column
        raise LookupError(link)

    def label_fks(self, model):
        """(column, vocabulary model) of each foreign key of ``model`` to a vocabulary."""
        for field in _meta(model).concrete_fields:
            if field.is_relation and _has_label(field.related_model):
                yield field.column, field.related_model


def _agg(expression: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"string_agg({expression}, ' ')"
    return f"group_concat({expression}, ' ')"


def _text_parts(schema: _Schema, vendor: str, case: str) -> dict[str, list[str]]:
    """SQL expressions of the document's text per part, for the case row aliased ``case``."""
    coded = []
    for link, case_col, term_col, model in schema.m2m_links():
        term = _meta(model).db_table
        if model is schema.Country:
            labels = ["co.name"]
            joins = [f"JOIN {term} co ON co.{_meta(model).pk.column} = l.{term_col}"]
            for i, (column, vocab) in enumerate(schema.label_fks(model)):
                labels.append(f"coalesce({_label_text(f'g{i}')}, '')")
                joins.append(f"LEFT JOIN {_meta(vocab).db_table} g{i} ON g{i}.id = co.{column}")
            text = " || ' ' || ".join(labels)
        else:
            text = _label_text("v")
            joins = [f"JOIN {term} v ON v.id = l.{term_col}"]
        coded.append(
            f"(SELECT {_agg(text, vendor)} FROM {link} l {' '.join(joins)} "
            f"WHERE l.{case_col} = {case}.id)"
        )
    for column, vocab in schema.label_fks(schema.Case):
        coded.append(
            f"(SELECT {_label_text('v')} FROM {_meta(vocab).db_table} v "
            f"WHERE v.id = {case}.{column})"
        )
    outcome = _meta(schema.Outcome).db_table
    outcome_case = _meta(schema.Outcome).get_field("case").column
    labels, joins = [], []
    for i, (column, vocab) in enumerate(schema.label_fks(schema.Outcome)):
        labels.append(_label_text(f"o{i}"))
        joins.append(f"JOIN {_meta(vocab).db_table} o{i} ON o{i}.id = o.{column}")
    if labels:
        outcome_labels = " || ' ' || ".join(labels)
        coded.append(
            f"(SELECT {_agg(outcome_labels, vendor)} FROM {outcome} o "
            f"{' '.join(joins)} WHERE o.{outcome_case} = {case}.id)"
        )
    chapter = _meta(schema.Chapter).db_table
    return {
        "title": [f"{case}.title"],
        "coded": coded,
        "summary": [f"{case}.summary"],
        "body": [
            f"{case}.locality",
            f"{case}.participants",
            f"(SELECT {_agg('o.finding', vendor)} FROM {outcome} o "
            f"WHERE o.{outcome_case} = {case}.id)",
            f"(SELECT ch.authors || ' ' || ch.title FROM {chapter} ch "
            f"WHERE ch.id = {case}.chapter_id)",
        ],
        "notes": [f"{case}.coder_note"],
    }


def _case_columns(schema: _Schema) -> list[str]:
    """The case's own columns the document reads."""
    own = ["title", "summary", "locality", "participants", "coder_note", "chapter_id"]
    return own + [column for column, _ in schema.label_fks(schema.Case)]


def _joined(parts: list[str]) -> str:
    return " || ' ' || ".join(f"coalesce({p}, '')" for p in parts)


def _watches(schema: _Schema) -> list[Watch]:
    case = schema.case
    labelled = ("label", "synonyms")  # _label_text
    country_link = None
    watches = []
    for link, case_col, term_col, model in schema.m2m_links():
        link_pk = schema.pk_of(link)
        watches.append(Watch(link, case_col, "{keys}", True, (case_col, term_col), link_pk))
        pk = _meta(model).pk.column
        if model is schema.Country:
            read = ("name", *(column for column, _ in schema.label_fks(model)))
        else:
            read = labelled
        watches.append(
            Watch(
                _meta(model).db_table,
                pk,
                f"SELECT {case_col} FROM {link} WHERE {term_col} IN ({{keys}})",
                False,
                read,
                pk,
            )
        )
        if model is schema.Country:
            country_link = (link, case_col, term_col)
    if country_link:
        link, case_col, term_col = country_link
        country = _meta(schema.Country)
        for column, vocab in schema.label_fks(schema.Country):
            watches.append(
                Watch(
                    _meta(vocab).db_table,
                    "id",
                    f"SELECT {case_col} FROM {link} WHERE {term_col} IN "
                    f"(SELECT {country.pk.column} FROM {country.db_table} "
                    f"WHERE {column} IN ({{keys}}))",
                    False,
                    labelled,
                    "id",
                )
            )
    for column, vocab in schema.label_fks(schema.Case):
        ids = f"SELECT id FROM {case} WHERE {column} IN ({{keys}})"
        watches.append(Watch(_meta(vocab).db_table, "id", ids, False, labelled, "id"))
    outcome = _meta(schema.Outcome)
    outcome_case = outcome.get_field("case").column
    outcome_read = (
        outcome_case,
        "finding",
        *(column for column, _ in schema.label_fks(schema.Outcome)),
    )
    watches.append(
        Watch(outcome.db_table, outcome_case, "{keys}", True, outcome_read, outcome.pk.column)
    )
    for column, vocab in schema.label_fks(schema.Outcome):
        ids = f"SELECT {outcome_case} FROM {outcome.db_table} WHERE {column} IN ({{keys}})"
        watches.append(Watch(_meta(vocab).db_table, "id", ids, False, labelled, "id"))
    chapter = _meta(schema.Chapter).db_table
    watches.append(
        Watch(
            chapter,
            "id",
            f"SELECT id FROM {case} WHERE chapter_id IN ({{keys}})",
            False,
            ("authors", "title"),
            "id",
        )
    )
    return watches


def _by_table(schema: _Schema) -> dict[str, list[Watch]]:
    by_table: dict[str, list[Watch]] = {}
    for watch in _watches(schema):
        by_table.setdefault(watch.table, []).append(watch)
    return by_table


def _read_columns(watches: list[Watch]) -> list[str]:
    """The columns of the watches' table that the document reads, each once."""
    return list(dict.fromkeys(column for w in watches for column in w.columns))


def _changed(watches: list[Watch], old: str, new: str, op: str) -> str:
    """SQL: the row's old and new versions differ in a column the document reads."""
    return " OR ".join(f'{old}."{c}" {op} {new}."{c}"' for c in _read_columns(watches))


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_fold(sql: str) -> str:
    return f"casestudies_search_text({sql})"


def _pg_statements(schema: _Schema, *, reindex: bool = True) -> list[str]:
    parts = _text_parts(schema, "postgresql", "c")
    weights = {"title": "A", "coded": "A", "summary": "B", "body": "C", "notes": "D"}
    vector = " || ".join(
        f"setweight(to_tsvector('{PG_CONFIG}', {_pg_fold(_joined(parts[name]))}), '{weight}')"
        for name, weight in weights.items()
    )
    case, chapter = schema.case, _meta(schema.Chapter).db_table
    statements = [
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{PG_CONFIG}') THEN
            CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english);
          END IF;
        END $$""",
        f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
        # Not when only the triggers are replaced (below, the index too): the column is
        # there, and an ALTER TABLE fails while deferred checks on cases are pending.
        *(
            [f"ALTER TABLE {case} ADD COLUMN IF NOT EXISTS search_vector tsvector"]
            if reindex
            else []
        ),
        # The text and, after it, its hyphenated compounds joined: "state-owned" is
        # found as "state owned" (the parser's parts) and as "stateowned".
        r"""CREATE OR REPLACE FUNCTION casestudies_search_text(t text) RETURNS text AS $$
        SELECT t || ' ' || coalesce((SELECT string_agg(replace(m[1], '-', ''), ' ')
          FROM regexp_matches(t, '(\w+(?:-\w+)+)', 'g') m), '')
        $$ LANGUAGE sql IMMUTABLE""",
        # The row type argument lets the BEFORE trigger pass NEW, not yet stored.
        f"""CREATE OR REPLACE FUNCTION casestudies_case_search_document(c {case})
        RETURNS tsvector AS $$ SELECT {vector} $$ LANGUAGE sql STABLE""",
        f"""CREATE OR REPLACE FUNCTION casestudies_case_search_vector() RETURNS trigger AS $$
        BEGIN
          IF coalesce(current_setting('{PG_DEFER_SETTING}', true), '') <> 'on' THEN
            NEW.search_vector := casestudies_case_search_document(NEW);
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql""",
        # TG_ARGV[0]: SQL of the touched cases' ids, reading the transition table.
        f"""CREATE OR REPLACE FUNCTION casestudies_search_reindex() RETURNS trigger AS $$
        BEGIN
          IF coalesce(current_setting('{PG_DEFER_SETTING}', true), '') <> 'on' THEN
            EXECUTE 'UPDATE {case} c SET search_vector = casestudies_case_search_document(c) '
              || 'WHERE c.id IN (' || TG_ARGV[0] || ')';
          END IF;
          RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS casestudies_case_search_vector_trg ON {case}",
        f"""CREATE TRIGGER casestudies_case_search_vector_trg
        BEFORE INSERT OR UPDATE OF {", ".join(_case_columns(schema))}
        ON {case} FOR EACH ROW EXECUTE FUNCTION casestudies_case_search_vector()""",
        f"DROP TRIGGER IF EXISTS casestudies_chapter_search_trg ON {chapter}",
        "DROP FUNCTION IF EXISTS casestudies_chapter_search_touch()",
    ]
    for table, watches in _by_table(schema).items():
        events = ["UPDATE"]
        if any(w.on_insert_delete for w in watches):
            events += ["INSERT", "DELETE"]
        for event in events:
            name = f"{_TRIGGER_PREFIX}{event.lower()}"
            if event == "UPDATE":
                ids = _pg_updated_ids(watches)
                rows = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
            else:
                ids = " UNION ".join(
                    w.case_ids.format(keys=f"SELECT {w.key} FROM changed_rows") for w in watches
                )
                rows = f"{'OLD' if event == 'DELETE' else 'NEW'} TABLE AS changed_rows"
            quoted_ids = ids.replace("'", "''")
            statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"REFERENCING {rows} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION casestudies_search_reindex('{quoted_ids}')"
            )
    if reindex:
        statements += [
            f"UPDATE {case} c SET search_vector = casestudies_case_search_document(c)",
            f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {case} USING GIN (search_vector)",
        ]
    return statements


def _pg_updated_ids(watches: list[Watch]) -> str:
    """SQL of the cases an UPDATE touched: only rows whose read columns changed count
    (a link row or an outcome moved to another case touches both cases)."""
    pk = watches[0].pk
    pairs = f"new_rows n JOIN old_rows o ON o.{pk} = n.{pk}"
    changed = _changed(watches, "n", "o", "IS DISTINCT FROM")
    parts = []
    for w in watches:
        keys = f"SELECT n.{w.key} FROM {pairs} WHERE {changed}"
        if w.on_insert_delete:
            keys += f" UNION SELECT o.{w.key} FROM {pairs} WHERE {changed}"
        parts.append(w.case_ids.format(keys=keys))
    return " UNION ".join(parts)


def _pg_drop_statements(schema: _Schema) -> list[str]:
    statements = []
    for table in sorted({w.table for w in _watches(schema)}):
        for event in ("update", "insert", "delete"):
            statements.append(f"DROP TRIGGER IF EXISTS {_TRIGGER_PREFIX}{event} ON {table}")
    statements += [
        f"DROP TRIGGER IF EXISTS casestudies_case_search_vector_trg ON {schema.case}",
        "DROP FUNCTION IF EXISTS casestudies_search_reindex()",
        "DROP FUNCTION IF EXISTS casestudies_case_search_vector()",
        f"DROP FUNCTION IF EXISTS casestudies_case_search_document({schema.case})",
        "DROP FUNCTION IF EXISTS casestudies_search_text(text)",
        f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}",
    ]
    return statements


# --- SQLite --------------------------------------------------------------------------------


def _sqlite_fold(sql: str) -> str:
    # SQLite has no regular expressions: a text with a hyphen gets a second copy with
    # every hyphen removed (its words count twice; ranking barely moves).
    return (
        "(SELECT CASE WHEN instr(x, '-') > 0 THEN x || ' ' || replace(x, '-', '') ELSE x END "
        f"FROM (SELECT {sql} AS x))"
    )


def _sqlite_row_sql(schema: _Schema) -> str:
    parts = _text_parts(schema, "sqlite", "c")
    columns = ", ".join(_sqlite_fold(_joined(parts[name])) for name in FTS_COLUMNS)
    return f"SELECT c.id, {columns} FROM {schema.case} c"


def _sqlite_insert() -> str:
    return f"INSERT INTO {FTS_TABLE}(rowid, {', '.join(FTS_COLUMNS)}) "


def _sqlite_triggers(schema: _Schema) -> dict[str, str]:
    """{trigger name: CREATE TRIGGER}: delete and re-insert the touched cases' rows."""
    row, insert, case = _sqlite_row_sql(schema), _sqlite_insert(), schema.case

    def body(ids: str) -> str:
        return (
            f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid IN ({ids}); "
            f"{insert} {row} WHERE c.id IN ({ids}); END"
        )

    triggers = {
        f"{_TRIGGER_PREFIX}case_ai": f"AFTER INSERT ON {case} {body('SELECT NEW.id')}",
        f"{_TRIGGER_PREFIX}case_ad": (
            f"AFTER DELETE ON {case} BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; END"
        ),
        f"{_TRIGGER_PREFIX}case_au": (
            f"AFTER UPDATE OF {', '.join(_case_columns(schema))} ON {case} "
            + body("SELECT OLD.id UNION SELECT NEW.id")
        ),
    }
    for table, watches in _by_table(schema).items():
        events = {"au": ("UPDATE", ["OLD", "NEW"])}
        if any(w.on_insert_delete for w in watches):
            events.update({"ai": ("INSERT", ["NEW"]), "ad": ("DELETE", ["OLD"])})
        for suffix, (event, rows) in events.items():
            ids = " UNION ".join(
                w.case_ids.format(keys=f"SELECT {r}.{w.key}") for w in watches for r in rows
            )
            # An update that changes no column the document reads touches no case.
            when = ""
            if event == "UPDATE":
                when = f"FOR EACH ROW WHEN {_changed(watches, 'OLD', 'NEW', 'IS NOT')} "
            triggers[f"{_TRIGGER_PREFIX}{table}_{suffix}"] = (
                f"AFTER {event} ON {table} {when}{body(ids)}"
            )
    return triggers


def sqlite_has_fts5(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        return "ENABLE_FTS5" in {row[0] for row in cursor.fetchall()}


def _sqlite_existing_triggers(cursor) -> set[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
        [_TRIGGER_PREFIX + "%"],
    )
    return {row[0] for row in cursor.fetchall()}


def _sqlite_fts_columns(cursor) -> list[str]:
    cursor.execute(f"PRAGMA table_info({FTS_TABLE})")
    return [row[1] for row in cursor.fetchall()]


# Triggers and FTS table of the index before this module (migration 0003).
_OLD_SQLITE_TRIGGERS = [
    "casestudies_case_fts_ai",
    "casestudies_case_fts_ad",
    "casestudies_case_fts_au",
    "casestudies_chapter_fts_au",
]


def _install_sqlite(connection, schema: _Schema) -> None:
    triggers = _sqlite_triggers(schema)
    with connection.cursor() as cursor:
        for name in _OLD_SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        columns = _sqlite_fts_columns(cursor)
        rebuild = columns != FTS_COLUMNS or _sqlite_existing_triggers(cursor) != set(triggers)
        if columns and columns != FTS_COLUMNS:
            cursor.execute(f"DROP TABLE {FTS_TABLE}")
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            f"{', '.join(FTS_COLUMNS)}, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        for name in _sqlite_existing_triggers(cursor):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name, sql in triggers.items():
            cursor.execute(f"CREATE TRIGGER {name} {sql}")
        if rebuild:
            # Triggers were missing (a new database, a table rebuild dropped them, a
            # bulk load): the index may have missed writes, so rebuild it.
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
            cursor.execute(_sqlite_insert() + _sqlite_row_sql(schema))


def install(connection, apps=None, *, reindex: bool = True) -> None:
    """Create (or repair) the index, its triggers, and fill it. Idempotent.

    ``apps``: the model registry to read tables from (a migration's), else the live one.
    ``reindex=False`` (PostgreSQL): the document is unchanged, only the triggers are
    new; the vectors stay (recomputing 100,000 takes minutes). SQLite refills its
    index only when its table or its set of triggers changed.
    """
    if apps is None:
        from django.apps import apps
    schema = _Schema(apps)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in _pg_statements(schema, reindex=reindex):
                cursor.execute(sql)
    elif connection.vendor == "sqlite" and sqlite_has_fts5(connection):
        _install_sqlite(connection, schema)


def uninstall(connection, apps=None) -> None:
    if apps is None:
        from django.apps import apps
    schema = _Schema(apps)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in _pg_drop_statements(schema):
                cursor.execute(sql)
        elif connection.vendor == "sqlite":
            for name in _sqlite_existing_triggers(cursor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def sqlite_triggers_complete(connection) -> bool:
    from django.apps import apps

    with connection.cursor() as cursor:
        return _sqlite_existing_triggers(cursor) == set(_sqlite_triggers(_Schema(apps)))


def drop_sqlite_triggers(connection) -> None:
    """Drop the FTS triggers (bulk loads); ``install`` restores them and reindexes."""
    with connection.cursor() as cursor:
        for name in _sqlite_existing_triggers(cursor):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def deferred_index(connection, case_filter: str = "TRUE"):
    """Inside a transaction: skip per-statement reindexing, then reindex once at the end.

    PostgreSQL: the triggers see ``atlas.search_deferred`` and do nothing; on exit
    the vectors of the cases ``case_filter`` (SQL on alias ``c``) selects are
    recomputed in one statement (cases.csv's stored lines obey the same setting:
    ``extracts.stored_lines.deferred_derived_data`` defers both). SQLite: the triggers
    are dropped and ``install`` rebuilds the index.
    """
    from django.apps import apps

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [PG_DEFER_SETTING])
        yield
        case = _Schema(apps).case
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [PG_DEFER_SETTING])
            cursor.execute(
                f"UPDATE {case} c SET search_vector = casestudies_case_search_document(c) "
                f"WHERE {case_filter}"
            )
    elif connection.vendor == "sqlite" and sqlite_has_fts5(connection):
        drop_sqlite_triggers(connection)
        yield
        install(connection)
    else:
        yield


# --- what a case is coded with, for showing why it matched ---------------------------------


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class CodedBranch:
    """One way a case is coded with a vocabulary's terms, in the order "coded: …" lists them.

    ``via``: "countries" (the case's countries; ``model`` is Country), "country" (a
    column of its countries: welfare tradition, world region), "link" (another
    many-to-many of the case), "case" (a column of the case) or "outcome" (a column
    of its outcomes); ``column`` names the foreign key for the last three.
    """

    key: str  # the vocabulary key ("country" for the countries)
    verbose_name: object  # the dimension's name (lazy: in the active language when shown)
    via: str
    model: type
    column: str | None = None
    link: tuple[str, str, str] | None = None  # (table, case column, term column)

    @property
    def name(self) -> str:
        """The dimension's name in the active language ("Country", "Land")."""
        return str(self.verbose_name).capitalize()


@cache
def coded_branches() -> tuple[CodedBranch, ...]:
    """Every way a case is coded with labelled terms: what the document's coded part
    (weight A) reads, in one order (the list's "coded: …" line follows it)."""
    from django.apps import apps

    schema = _Schema(apps)
    branches = []
    for link, case_col, term_col, model in schema.m2m_links():
        if model is schema.Country:
            name = _meta(model).verbose_name
            branches.append(
                CodedBranch("country", name, "countries", model, link=(link, case_col, term_col))
            )
            for column, vocab in schema.label_fks(model):
                branches.append(
                    CodedBranch(
                        vocab.vocabulary_key,
                        _meta(vocab).verbose_name,
                        "country",
                        vocab,
                        column,
                        link=(link, case_col, term_col),
                    )
                )
        else:
            branches.append(
                CodedBranch(
                    model.vocabulary_key,
                    _meta(model).verbose_name,
                    "link",
                    model,
                    link=(link, case_col, term_col),
                )
            )
    for field in _meta(schema.Case).concrete_fields:
        if field.is_relation and _has_label(field.related_model):
            vocab = field.related_model
            branches.append(
                CodedBranch(vocab.vocabulary_key, field.verbose_name, "case", vocab, field.column)
            )
    for column, vocab in schema.label_fks(schema.Outcome):
        branches.append(
            CodedBranch(vocab.vocabulary_key, _meta(vocab).verbose_name, "outcome", vocab, column)
        )
    return tuple(branches)


def _branch_sql(rank: int, branch: CodedBranch, marks: str) -> str:
    """SQL of (case id, rank, name, key, slug, label, synonyms) rows of one branch."""
    from ..models import Case, Outcome

    head = f"{rank}, {_sql_literal(branch.name)}, {_sql_literal(branch.key)}"
    if branch.via in ("countries", "country"):
        from ..models import Country

        link, case_col, term_col = branch.link
        countries = _meta(Country)
        join = f"JOIN {countries.db_table} co ON co.{countries.pk.column} = l.{term_col}"
        if branch.via == "countries":
            return (
                f"SELECT l.{case_col}, {head}, co.code, co.name, '' FROM {link} l {join} "
                f"WHERE l.{case_col} IN ({marks})"
            )
        return (
            f"SELECT l.{case_col}, {head}, g.slug, g.label, g.synonyms FROM {link} l {join} "
            f"JOIN {_meta(branch.model).db_table} g ON g.id = co.{branch.column} "
            f"WHERE l.{case_col} IN ({marks})"
        )
    terms = _meta(branch.model).db_table
    if branch.via == "link":
        link, case_col, term_col = branch.link
        return (
            f"SELECT l.{case_col}, {head}, v.slug, v.label, v.synonyms "
            f"FROM {link} l JOIN {terms} v ON v.id = l.{term_col} WHERE l.{case_col} IN ({marks})"
        )
    if branch.via == "case":
        return (
            f"SELECT c.id, {head}, v.slug, v.label, v.synonyms FROM {_meta(Case).db_table} c "
            f"JOIN {terms} v ON v.id = c.{branch.column} WHERE c.id IN ({marks})"
        )
    outcome = _meta(Outcome)
    outcome_case = outcome.get_field("case").column
    return (
        f"SELECT o.{outcome_case}, {head}, v.slug, v.label, v.synonyms "
        f"FROM {outcome.db_table} o JOIN {terms} v ON v.id = o.{branch.column} "
        f"WHERE o.{outcome_case} IN ({marks})"
    )


def coded_label_sql(case_ids: list) -> tuple[str, list]:
    """SQL of (case id, rank, dimension name, vocabulary key, slug, label, synonyms) for
    every coded value of the cases (``rank``: the place of its :class:`CodedBranch`); a
    country's key is "country" and its slug its ISO code.

    The same values the document's coded part (weight A) holds, read the same way. The
    dimension name is the verbose name in the active language; the key and the slug let
    the caller put the English label into the visitor's language.
    """
    marks = ", ".join(["%s"] * len(case_ids))
    branches = [_branch_sql(rank, b, marks) for rank, b in enumerate(coded_branches())]
    return " UNION ALL ".join(branches), list(case_ids) * len(branches)
