"""Everything whose SQL differs between SQLite and PostgreSQL, in one place.

`core.store.filter_sql`, the reader and the writers build portable SQLAlchemy Core statements
plus the helpers below; each helper says what it renders on SQLite and on PostgreSQL (the
engine setup itself, `BEGIN IMMEDIATE` and the read-only sessions, is in
`core.store.connection`):

* `like` / `ilike`: case-sensitive GLOB on SQLite, LIKE / ILIKE with no escape character on
  PostgreSQL (whose LIKE would otherwise treat a backslash as one);
* `contains_text`: a case-insensitive substring test with no wildcards (searching spans);
* `json_number`, `json_member`, `json_valid`: JSON inside text columns;
* `event_attribute`: an attribute of the first event of some name in a span's events (its
  exception);
* `spans_of_trace`: SQLite's rowid order for reading a trace's spans;
* `needs_page_per_experiment`: whether a page over several experiments is sent as one keyset
  subquery per experiment (SQLite) or as one `experiment_id IN (...)` query (PostgreSQL);
* `lock_versions`: how two writers of the next version number of one registered model queue;
* `insert_experiment`: who picks a new experiment's id (PostgreSQL's sequence);
* `insert_missing`: an INSERT that leaves an existing row with the same key alone, also when
  another writer adds it at the same moment;
* `change_marker`: the cheap "was anything written?" reading of live mode on a server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Float,
    Select,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    null,
    select,
    table,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def like(expression: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    """Case-sensitive `expression LIKE pattern` (`%` any run of characters, `_` one character).

    MLflow runs `PRAGMA case_sensitive_like = true` on every SQLite session, so its LIKE is
    case-sensitive there as on PostgreSQL. Rather than depend on that (deprecated) pragma, SQLite
    gets the same match from GLOB with the pattern translated; other engines get a plain LIKE.
    """
    return CaseSensitiveLike(expression, pattern)


def like_to_glob(pattern: str) -> str:
    """The GLOB pattern matching exactly what `pattern` matches under a case-sensitive LIKE."""
    # GLOB's own wildcards become one-character classes so they match themselves.
    special = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}
    return "".join(special.get(char, char) for char in pattern)


class CaseSensitiveLike(FunctionElement[bool]):
    """The SQL construct behind `like`, compiled per dialect below."""

    name = "case_sensitive_like"
    inherit_cache = True
    type = Boolean()
    # A comparison already: without this SQLite would render `(x GLOB ?) = 1` in a WHERE.
    _is_implicitly_boolean = True

    def __init__(self, expression: ColumnElement[Any], pattern: str) -> None:
        # Both patterns travel as bound clauses so statement caching sees their values.
        super().__init__(expression, literal(pattern), literal(like_to_glob(pattern)))


@compiles(CaseSensitiveLike)
def _like_default(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern, _glob = element.clauses.clauses
    # ESCAPE '': a backslash is an ordinary character, as in SQLite's LIKE and MLflow there.
    return compiler.process(expression.like(pattern, escape=""), **kw)


@compiles(CaseSensitiveLike, "sqlite")
def _like_sqlite(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    expression, _pattern, glob = element.clauses.clauses
    return f"({compiler.process(expression.op('GLOB', is_comparison=True)(glob), **kw)})"


def ilike(expression: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    """Case-insensitive LIKE.

    `lower(x) LIKE lower(p)` on SQLite (what MLflow runs there) and a native `ILIKE ... ESCAPE
    ''` on PostgreSQL. SQLite's `lower()` and LIKE fold ASCII letters only (without the ICU
    extension), so `'%ÄPFEL%'` does not match `äpfel` there; MLflow on SQLite has the same limit.
    PostgreSQL folds every letter its locale knows (a UTF-8 database: `ä` too).
    """
    return CaseInsensitiveLike(expression, literal(pattern))


class CaseInsensitiveLike(FunctionElement[bool]):
    """The SQL construct behind `ilike`, compiled per dialect below."""

    name = "case_insensitive_like"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True


@compiles(CaseInsensitiveLike)
def _ilike_default(element: CaseInsensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern = element.clauses.clauses
    return compiler.process(expression.ilike(pattern), **kw)


@compiles(CaseInsensitiveLike, "postgresql")
def _ilike_postgresql(element: CaseInsensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern = element.clauses.clauses
    return compiler.process(expression.ilike(pattern, escape=""), **kw)


#: The escape character of `contains_text`'s patterns: not a backslash, which PostgreSQL's
#: string literals and SQLAlchemy's rendering of them treat specially.
TEXT_ESCAPE = "/"


def contains_text(expression: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """Whether `expression` contains `text`, ignoring case; `%`, `_` and `/` in `text` are
    ordinary characters.

    SQLite: `x LIKE ? ESCAPE '/'`. Its LIKE ignores the case of ASCII letters (only; TraceDesk
    never turns on `case_sensitive_like`) and scans a long text about three times faster than
    `instr(lower(x), ?)`, which copies the text first. PostgreSQL: `x ILIKE %s ESCAPE '/'`,
    which folds every letter its locale knows.
    """
    escaped = "".join(TEXT_ESCAPE + c if c in "%_" + TEXT_ESCAPE else c for c in text)
    return ContainsText(expression, literal(f"%{escaped}%"))


class ContainsText(FunctionElement[bool]):
    """The SQL construct behind `contains_text`, compiled per dialect below."""

    name = "contains_text"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True


@compiles(ContainsText)
def _contains_text_default(element: ContainsText, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern = element.clauses.clauses
    return compiler.process(expression.ilike(pattern, escape=TEXT_ESCAPE), **kw)


@compiles(ContainsText, "sqlite")
def _contains_text_sqlite(element: ContainsText, compiler: SQLCompiler, **kw: Any) -> str:
    expression, pattern = element.clauses.clauses
    return compiler.process(expression.like(pattern, escape=TEXT_ESCAPE), **kw)


#: JSON scalars that are not numbers, in the spellings MLflow's numeric filter rules out.
_NOT_NUMBERS = ("true", "false", "null", "nan", "infinity", "-infinity")


def json_number(json_text: ColumnElement[Any]) -> ColumnElement[float]:
    """The number a JSON document holds, or NULL when it holds a string, bool, null or container.

    This is MLflow's own rule for numeric assessment comparisons (`_get_sql_json_comparison_func`):
    the first-character test runs first so long JSON objects are never lower-cased. The CAST is
    safe on PostgreSQL too, because every JSON text left after the two tests is a number.
    """
    return case(
        (func.substr(json_text, 1, 1).in_(['"', "[", "{"]), null()),
        (func.lower(json_text).in_(_NOT_NUMBERS), null()),
        else_=cast(json_text, Float),
    )


def json_member(document: ColumnElement[Any], *keys: str) -> ColumnElement[Any]:
    """Member `keys[0]` (of member `keys[1]`…) of a JSON object stored as text; NULL when the
    text is not valid JSON. One path reads the document once (nesting `json_member` calls
    would parse and re-serialise it at each level).

    The keys are constants chosen by `core` (e.g. "total_tokens"), never user text; they are
    still sent as bound parameters. Wrap the result in `type_coerce` to give it a type.
    """
    return JsonMember(document, *keys)


class JsonMember(FunctionElement[Any]):
    """The SQL construct behind `json_member`, compiled per dialect below."""

    name = "json_member"
    inherit_cache = True

    def __init__(self, document: ColumnElement[Any], *keys: str) -> None:
        # Both spellings of the keys travel as clauses so statement caching sees their values:
        # SQLite wants a JSON path, PostgreSQL the bare keys.
        path = "$" + "".join(f'."{key}"' for key in keys)
        super().__init__(document, literal(path), *(literal(key) for key in keys))


@compiles(JsonMember)
def _json_member_sqlite(element: JsonMember, compiler: SQLCompiler, **kw: Any) -> str:
    document, path, *_keys = element.clauses.clauses
    # json_extract raises on malformed JSON; json_valid keeps one bad row from failing the query.
    guarded = case((func.json_valid(document), func.json_extract(document, path)))
    return compiler.process(guarded, **kw)


@compiles(JsonMember, "postgresql")
def _json_member_postgresql(element: JsonMember, compiler: SQLCompiler, **kw: Any) -> str:
    document, _path, *keys = element.clauses.clauses
    value: Any = cast(document, JSONB)
    for key in keys[:-1]:
        value = value.op("->")(key)
    member = compiler.process(value.op("->>")(keys[-1]), **kw)
    if not _has_is_json(compiler):
        return member  # PostgreSQL 15: malformed JSON in this column fails the query
    return f"CASE WHEN ({compiler.process(document, **kw)} IS JSON OBJECT) THEN {member} END"


def _has_is_json(compiler: SQLCompiler) -> bool:
    """PostgreSQL 16 added the `IS JSON` predicate; an unknown version is taken as older."""
    version = getattr(compiler.dialect, "server_version_info", None) or (0,)
    return bool(version >= (16,))


def spans_of_trace(spans: Any, trace_id: str) -> ColumnElement[bool]:
    """The WHERE clause selecting one trace's span rows, as fast as the engine allows.

    On SQLite, `rowid IN (SELECT rowid ... WHERE trace_id = ?)` makes the table visited in
    rowid order — the order a trace's spans were written in — instead of in span-id order, which
    halves the time to read a 5,000-span trace. Other engines get the plain comparison.
    """
    return TraceSpans(spans.c.trace_id, literal(trace_id))


def needs_page_per_experiment(dialect_name: str) -> bool:
    """Whether a page over several experiments needs one keyset subquery per experiment.

    SQLite answers `experiment_id IN (...) ORDER BY timestamp_ms DESC LIMIT n` by seeking each
    experiment in MLflow's `(experiment_id, timestamp_ms)` index and then sorting every matching
    row, so it gets a merge of per-experiment pages. PostgreSQL scans the
    `(timestamp_ms, request_id)` index backwards and stops after `n` rows: one query, and no
    five-part statement to build (which cost more than the query itself on a million traces).
    """
    return dialect_name == "sqlite"


class TraceSpans(FunctionElement[bool]):
    name = "trace_spans"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True


@compiles(TraceSpans)
def _trace_spans_default(element: TraceSpans, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = element.clauses.clauses
    return compiler.process(column == value, **kw)


@compiles(TraceSpans, "sqlite")
def _trace_spans_sqlite(element: TraceSpans, compiler: SQLCompiler, **kw: Any) -> str:
    column, value = element.clauses.clauses
    lookup = compiler.process(column == value, **kw)
    return f"spans.rowid IN (SELECT rowid FROM spans WHERE {lookup})"


class JsonValid(FunctionElement[bool]):
    """Whether a text column holds well-formed JSON; NULL where the engine cannot say cheaply."""

    name = "json_valid_or_null"
    inherit_cache = True
    type = Boolean()


@compiles(JsonValid)
def _json_valid_default(element: JsonValid, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"


@compiles(JsonValid, "sqlite")
def _json_valid_sqlite(element: JsonValid, compiler: SQLCompiler, **kw: Any) -> str:
    (document,) = element.clauses.clauses
    return f"json_valid({compiler.process(document, **kw)})"


@compiles(JsonValid, "postgresql")
def _json_valid_postgresql(element: JsonValid, compiler: SQLCompiler, **kw: Any) -> str:
    (document,) = element.clauses.clauses
    if not _has_is_json(compiler):
        return "NULL"  # PostgreSQL 15 has no cheap test; spans are checked as they are decoded
    return f"(CASE WHEN ({compiler.process(document, **kw)} IS JSON) THEN 1 ELSE 0 END)"


def json_valid(document: ColumnElement[Any]) -> ColumnElement[bool]:
    """1 or 0: whether a text column holds well-formed JSON, checked by the database in C (far
    cheaper than parsing it in Python to find out); NULL where the engine cannot say."""
    return JsonValid(document)


def event_attribute(events: ColumnElement[Any], event: str, key: str) -> ColumnElement[Any]:
    """Attribute `key` of the first event named `event` in a span's events (the JSON array
    text of `json_member(spans.content, "events")`), as text; NULL when there is none or the
    text is not an array. `event` and `key` are constants chosen by `core` ("exception",
    "exception.message"), sent as bound parameters.

    SQLite: a scalar subquery over `json_each(events)`. PostgreSQL: the same over
    `jsonb_array_elements`. Either reads the events of the rows it is given only, so a query
    narrows the spans first (an error table reads error spans only).
    """
    return EventAttribute(events, literal(event), literal(f'$.attributes."{key}"'), literal(key))


class EventAttribute(FunctionElement[Any]):
    """The SQL construct behind `event_attribute`, compiled per dialect below."""

    name = "event_attribute"
    inherit_cache = True


@compiles(EventAttribute)
def _event_attribute_sqlite(element: EventAttribute, compiler: SQLCompiler, **kw: Any) -> str:
    events, event, path, _key = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return (
        f"(SELECT json_extract(e.value, {path}) FROM json_each(CASE WHEN json_valid({events}) "
        f"THEN {events} END) AS e WHERE json_extract(e.value, '$.name') = {event} LIMIT 1)"
    )


@compiles(EventAttribute, "postgresql")
def _event_attribute_postgresql(element: EventAttribute, compiler: SQLCompiler, **kw: Any) -> str:
    text, event, _path, key = (compiler.process(c, **kw) for c in element.clauses.clauses)
    events = f"CAST({text} AS jsonb)"
    return (
        f"(SELECT (e -> 'attributes') ->> {key} FROM jsonb_array_elements(CASE WHEN "
        f"jsonb_typeof({events}) = 'array' THEN {events} END) AS e "
        f"WHERE e ->> 'name' = {event} LIMIT 1)"
    )


def insertion_order(table: Any) -> ColumnElement[Any]:
    """A sort key that puts rows with equal keys in the order they were written, as MLflow
    returns them (it reads relationships unordered, so the engine's scan order decides).

    SQLite: the `rowid`. PostgreSQL: the row's physical position `ctid` (what a scan, and a
    b-tree's duplicates, follow). Other engines: the first primary-key column.
    """
    return InsertionOrder(table.primary_key.columns.values()[0], table.name)


class InsertionOrder(FunctionElement[Any]):
    name = "insertion_order"
    inherit_cache = True

    def __init__(self, key: ColumnElement[Any], table_name: str) -> None:
        super().__init__(key)
        self.table_name = table_name


@compiles(InsertionOrder)
def _insertion_order_default(element: InsertionOrder, compiler: SQLCompiler, **kw: Any) -> str:
    (key,) = element.clauses.clauses
    return compiler.process(key, **kw)


@compiles(InsertionOrder, "sqlite")
def _insertion_order_sqlite(element: InsertionOrder, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.preparer.quote(element.table_name)}.rowid"


@compiles(InsertionOrder, "postgresql")
def _insertion_order_postgresql(element: InsertionOrder, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.preparer.quote(element.table_name)}.ctid"


# -- writing ------------------------------------------------------------------------------------


def lock_versions(connection: Connection, table_name: str, name: str) -> None:
    """Make concurrent writers of the next version number of `name` wait for each other.

    The next version is `max(version) + 1`, read and written in one transaction. On SQLite the
    writer's `BEGIN IMMEDIATE` already serialises every write transaction. PostgreSQL runs them
    side by side, so this takes a transaction-scoped advisory lock on (table, name): the second
    writer waits here until the first commits, then reads its version. (Writers that take no
    such lock, e.g. MLflow itself, can still collide; the unique key refuses the second row and
    `StoreWriter.transaction` runs the transaction again.)
    """
    if connection.dialect.name != "postgresql":
        return
    connection.execute(select(func.pg_advisory_xact_lock(literal(_lock_key(table_name, name)))))


def _lock_key(*parts: str) -> int:
    """A stable signed 64-bit advisory-lock key for `parts` (same in every process)."""
    digest = hashlib.blake2b("\x1f".join(("tracedesk", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def insert_experiment(connection: Connection, experiments: Any, values: Mapping[str, Any]) -> int:
    """Insert an experiment row and return its id, chosen as the engine's own rows choose it.

    SQLite's `experiment_id INTEGER PRIMARY KEY` takes max + 1 (so `core` gives it that).
    MLflow's PostgreSQL schema draws ids from the sequence `experiments_experiment_id_seq`:
    an id picked by hand would leave the sequence behind, and MLflow's next experiment would
    collide with it, so PostgreSQL gets no id and returns the sequence's.
    """
    row = {k: v for k, v in values.items() if k != "experiment_id"}
    if connection.dialect.name == "postgresql":
        statement = insert(experiments).values(**row).returning(experiments.c.experiment_id)
        return int(connection.execute(statement).scalar_one())
    newest = connection.execute(select(func.max(experiments.c.experiment_id))).scalar()
    new_id = int(newest or 0) + 1
    connection.execute(insert(experiments).values(experiment_id=new_id, **row))
    return new_id


def insert_missing(connection: Connection, table: Any, values: Mapping[str, Any]) -> bool:
    """Insert `values` into `table` unless a row with the same key is there; True if inserted.

    SQLite and PostgreSQL get `INSERT ... ON CONFLICT DO NOTHING`: on PostgreSQL a concurrent
    transaction inserting the same key makes this one wait for its commit and then insert
    nothing, so two processes racing never fail (on SQLite `BEGIN IMMEDIATE` already queues
    them). Any unique constraint counts as "there", not only the primary key. Other engines
    get a look-up followed by a plain INSERT.
    """
    name = connection.dialect.name
    if name in ("sqlite", "postgresql"):
        builder = sqlite.insert if name == "sqlite" else postgresql.insert
        statement = builder(table).values(**values).on_conflict_do_nothing()
        return bool(connection.execute(statement).rowcount)
    key = list(table.primary_key.columns)
    found = connection.execute(
        select(*key).where(*(column == values[column.name] for column in key))
    ).first()
    if found is not None:
        return False
    connection.execute(insert(table).values(**values))
    return True


# -- live mode ----------------------------------------------------------------------------------

#: Tables whose writes live mode notices on a server (new traces, spans, feedback).
WATCHED_TABLES = ("trace_info", "spans", "assessments", "trace_tags")


def change_marker() -> Select[Any]:
    """A cheap reading that changes when another program writes traces (PostgreSQL).

    Two parts, both independent of the table size: the newest `(timestamp_ms, request_id)` of
    `trace_info`, one descent of MLflow's `index_trace_info_timestamp_ms_request_id` (a new trace
    shows at once), and the insert/update/delete counters the statistics system keeps for the
    watched tables (`pg_stat_user_tables`: other writes, e.g. a new assessment, show within the
    server's statistics flush interval, about a second). `max()` / `count(*)` over `trace_info`
    would instead read every row of a big store on each poll.
    """
    ti = table("trace_info", column("timestamp_ms"), column("request_id"))
    newest = (
        select(ti.c.timestamp_ms, ti.c.request_id)
        .order_by(ti.c.timestamp_ms.desc(), ti.c.request_id.desc())
        .limit(1)
        .subquery("newest")
    )
    stats = table(
        "pg_stat_user_tables",
        column("relname"),
        column("n_tup_ins"),
        column("n_tup_upd"),
        column("n_tup_del"),
        column("schemaname"),
    )
    writes = (
        select(func.sum(stats.c.n_tup_ins + stats.c.n_tup_upd + stats.c.n_tup_del))
        .where(stats.c.relname.in_(WATCHED_TABLES), stats.c.schemaname == func.current_schema())
        .scalar_subquery()
    )
    return select(
        select(newest.c.timestamp_ms).scalar_subquery().label("newest_ms"),
        select(newest.c.request_id).scalar_subquery().label("newest_id"),
        cast(writes, BigInteger).label("writes"),
    )
