"""Trace filters compiled to SQL: a parsed filter (`core.query`) -> one WHERE expression.

`compile_filter` returns one boolean expression over `trace_info` that the reader puts in its
WHERE clause: user text only ever becomes bound parameters, and tags, metadata, spans and
assessments are tested with correlated EXISTS subqueries that seek on their primary keys, so
no filter loads traces into Python. It runs for every page of the trace list, so it builds
expressions and nothing else.

Semantics follow MLflow 3.18's SQL store (`SearchTraceUtils` and
`_get_filter_clauses_for_search_traces`):

* `trace.text LIKE p` searches the JSON of every span (`spans.content`), like MLflow.
* Span conditions joined directly by AND must hold for the *same* span (MLflow puts them in
  one EXISTS); under OR or NOT each span condition is its own "some span ..." test, and
  `NOT span.type = 'LLM'` therefore means "no span is an LLM span".
* `span.attributes.<key> LIKE p` matches the span JSON against `%"<key>"p%`, MLflow's pattern.
* Assessments compare their JSON text: `feedback.x = 'false'` matches the JSON `false` and the
  JSON string `"false"`; `<`, `<=`, `>`, `>=` compare numeric values only (never booleans);
  LIKE sees the raw JSON, quotes included. A session-level assessment (its metadata names
  `mlflow.trace.session`) also matches every trace of that session in the same experiment.
* `run_id = 'r'` (and `metadata.mlflow.sourceRun = 'r'`) matches traces linked to run `r`
  through `entity_associations` as well as traces whose metadata names it.
* `trace.replay_of` (TraceDesk's) tests the tag `tracedesk.replay_of.trace` that a replay of
  a trace's model call carries (`app/replay`).
* `tag.mlflow.traceName` and `metadata.mlflow.trace.session` read the `trace_name` and
  `session_id` columns where MLflow ≥ 3.2 moved them; older layouts keep them as rows.
* LIKE is case-sensitive and ILIKE is not, on every engine (MLflow makes SQLite's LIKE
  case-sensitive with a pragma; `core.store.dialect` uses GLOB instead). `!=` and NOT IN never
  match a missing value (SQL NULL rules): `tag.env != 'prod'` needs the tag to be set.

Differences from MLflow, on purpose (the language's own are in `core.query.parser`):

* `metadata.mlflow.trace.tokenUsage` / `.cost`, which MLflow ≥ 3.2 splits into columns, accept
  only IS [NOT] NULL there; compare `trace.total_tokens` etc. instead.
* Session-level assessments match traces of the same experiment; MLflow uses all experiments
  being searched. Span filters are not pruned by a trace-time bound as MLflow does (the
  result is the same; it is only MLflow's speed-up).
* `span.` and `feedback.` on a layout without `spans` / `assessments` tables (MLflow < 3.2)
  raise `QuerySyntaxError` naming the layout, rather than silently matching nothing.

The parser's limits (`core.query.parser`) keep a filter within what the databases run. What
only the database can tell, because each SQLite build sets it (the depth of its parser stack
and expression tree, the length of a LIKE pattern, the number of bound values), the reader
turns into a `QuerySyntaxError` with `database_limits` where it runs the statement.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    and_,
    exists,
    func,
    not_,
    or_,
    true,
    type_coerce,
)

from core.errors import QuerySyntaxError, StoreError
from core.mlflow_keys import (
    COST_METADATA,
    SESSION_METADATA,
    SOURCE_RUN_METADATA,
    TOKEN_USAGE_METADATA,
)
from core.query.errors import fail
from core.query.fields import MEMBERSHIP, NULLNESS, PATTERN, REPLAY_OF_TRACE_TAG
from core.query.parser import parse_filter
from core.query.tree import And, Comparison, Node, Not, Or, Value
from core.store import dialect
from core.store.columns import metadata_value, trace_columns
from core.store.schema import (
    Layout,
    assessments,
    entity_associations,
    spans,
    trace_info,
    trace_request_metadata,
    trace_tags,
)

#: Text in `assessments.assessment_metadata` marking a session-level assessment, as MLflow tests it.
SESSION_ASSESSMENT_MARKER = f'"{SESSION_METADATA}":'


@dataclass(frozen=True)
class _Context:
    """What compiling needs besides the tree: the text for errors and the database layout."""

    text: str
    layout: Layout
    trace_fields: dict[str, ColumnElement[Any]]


def compile_filter(text: str | None, layout: Layout) -> ColumnElement[bool] | None:
    """Compile a filter string into a WHERE expression over `trace_info`; None for no filter.

    Raises `QuerySyntaxError` with the 0-based position of the first problem.
    """
    if text is None or not text.strip():
        return None
    tree = parse_filter(text)
    return _compile(tree, _Context(text, layout, _trace_expressions(layout)))


def _trace_expressions(layout: Layout) -> dict[str, ColumnElement[Any]]:
    """Canonical trace field -> its SQL expression in `layout`."""
    ti, cols = trace_info, trace_columns(layout)
    return {
        "request_id": ti.c.request_id,
        "timestamp_ms": ti.c.timestamp_ms,
        "execution_time_ms": ti.c.execution_time_ms,
        "end_time_ms": ti.c.timestamp_ms + func.coalesce(ti.c.execution_time_ms, 0),
        "status": ti.c.status,
        "name": cols.name,
        "client_request_id": cols.client_request_id,
        "session_id": cols.session_id,
        "request_preview": cols.request_preview,
        "response_preview": cols.response_preview,
        **{k: token_count(layout, k) for k in ("total_tokens", "input_tokens", "output_tokens")},
    }


def cost_value(layout: Layout, column: str) -> ColumnElement[float | None]:
    """A cost in USD: a column from MLflow 3.x on, before that a member of the cost JSON."""
    if layout.has_trace_column(column):
        return trace_info.c[column]
    return type_coerce(dialect.json_member(metadata_value(COST_METADATA), column), Float)


def token_count(layout: Layout, column: str) -> ColumnElement[int | None]:
    """A token count: a column from MLflow 3.2 on, before that a member of the usage JSON."""
    if layout.has_trace_column(column):
        return trace_info.c[column]
    usage = dialect.json_member(metadata_value(TOKEN_USAGE_METADATA), column)
    return type_coerce(usage, BigInteger)


def _compile(node: Node, ctx: _Context) -> ColumnElement[bool]:
    if isinstance(node, And):
        return _compile_and(node, ctx)
    if isinstance(node, Or):
        return or_(*(_compile(operand, ctx) for operand in node.operands))
    if isinstance(node, Not):
        return not_(_compile(node.operand, ctx))
    return _compile_comparison(node, ctx)


def _compile_and(node: And, ctx: _Context) -> ColumnElement[bool]:
    # Span conditions side by side in one AND must hold for one span, as in MLflow.
    span_parts: list[Comparison] = []
    clauses: list[ColumnElement[bool]] = []
    for operand in node.operands:
        if isinstance(operand, Comparison) and operand.field.scope == "span":
            span_parts.append(operand)
        else:
            clauses.append(_compile(operand, ctx))
    if span_parts:
        clauses.append(_spans_exist(span_parts, ctx))
    return and_(*clauses)


def _compile_comparison(comparison: Comparison, ctx: _Context) -> ColumnElement[bool]:
    scope = comparison.field.scope
    if scope == "trace":
        return _trace_comparison(comparison, ctx)
    if scope == "tag":
        return _key_value(trace_tags, comparison.field.key, comparison.operator, comparison.value)
    if scope == "metadata":
        return _metadata_comparison(comparison, ctx)
    if scope == "span":
        return _spans_exist([comparison], ctx)
    return _assessment_comparison(comparison, ctx)


_COMPARATORS: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "=": lambda e, v: e == v,
    "!=": lambda e, v: e != v,
    "<": lambda e, v: e < v,
    "<=": lambda e, v: e <= v,
    ">": lambda e, v: e > v,
    ">=": lambda e, v: e >= v,
    "LIKE": dialect.like,
    "ILIKE": dialect.ilike,
    "IN": lambda e, v: e.in_(v),
    "NOT IN": lambda e, v: e.not_in(v),
    "IS NULL": lambda e, _: e.is_(None),
    "IS NOT NULL": lambda e, _: e.is_not(None),
}


def _compare(expression: ColumnElement[Any], operator: str, value: Value) -> ColumnElement[bool]:
    """`expression <operator> value`, the value always a bound parameter."""
    return _COMPARATORS[operator](expression, value)


def _trace_comparison(comparison: Comparison, ctx: _Context) -> ColumnElement[bool]:
    key = comparison.field.key
    if key == "run_id":
        return _run_comparison(comparison, ctx)
    if key == "prompt":
        return _prompt_comparison(comparison, ctx)
    if key == "replay_of":  # TraceDesk's replays: the tag naming the trace they reran
        return _key_value(trace_tags, REPLAY_OF_TRACE_TAG, comparison.operator, comparison.value)
    return _compare(ctx.trace_fields[key], comparison.operator, comparison.value)


def _key_value(table: Any, key: str, operator: str, value: Value) -> ColumnElement[bool]:
    """A test on tag or metadata `key`: EXISTS seeks on the table's (key, request_id) key."""
    row = (table.c.request_id == trace_info.c.request_id, table.c.key == key)
    if operator == "IS NULL":
        return ~exists().where(*row)
    if operator == "IS NOT NULL":
        return exists().where(*row)
    return exists().where(*row, _compare(table.c.value, operator, value))


#: Metadata that MLflow ≥ 3.2 stores as trace_info columns instead of rows (one column each).
_SPLIT_METADATA = {
    TOKEN_USAGE_METADATA: (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ),
    COST_METADATA: ("input_cost", "output_cost", "total_cost"),
}


def _metadata_comparison(comparison: Comparison, ctx: _Context) -> ColumnElement[bool]:
    field, operator = comparison.field, comparison.operator
    columns = _SPLIT_METADATA.get(field.key, ())
    present = [trace_info.c[c].is_not(None) for c in columns if ctx.layout.has_trace_column(c)]
    if not present:
        return _key_value(trace_request_metadata, field.key, operator, comparison.value)
    if operator not in NULLNESS:
        instead = "; compare trace.total_tokens, input_tokens or output_tokens instead"
        fail(
            ctx.text,
            field.position,
            f"This database keeps {field.written} in separate columns, so only IS NULL or "
            f"IS NOT NULL can test it{instead if field.key == TOKEN_USAGE_METADATA else ''}",
            expected="IS NULL or IS NOT NULL",
        )
    return or_(*present) if operator == "IS NOT NULL" else not_(or_(*present))


def _run_comparison(comparison: Comparison, ctx: _Context) -> ColumnElement[bool]:
    """`run_id`: = and IN also follow `entity_associations`, like MLflow; the rest is metadata."""
    operator, value = comparison.operator, comparison.value
    if operator not in ("=", "IN"):
        return _key_value(trace_request_metadata, SOURCE_RUN_METADATA, operator, value)
    run_ids = value if isinstance(value, tuple) else (str(value),)
    by_metadata = _key_value(trace_request_metadata, SOURCE_RUN_METADATA, "IN", run_ids)
    if "entity_associations" not in ctx.layout.tables:
        return by_metadata
    ea = entity_associations
    linked = exists().where(
        ea.c.source_type == "trace",
        ea.c.source_id == trace_info.c.request_id,
        ea.c.destination_type == "run",
        ea.c.destination_id.in_(run_ids),
    )
    return or_(linked, by_metadata)


def _prompt_comparison(comparison: Comparison, ctx: _Context) -> ColumnElement[bool]:
    """`prompt = 'name/version'`: traces linked to that prompt version in entity_associations."""
    value = str(comparison.value)
    if value.count("/") != 1:
        fail(
            ctx.text,
            comparison.value_position,
            f"Expected a prompt as 'name/version', got {value!r}",
            expected="'name/version'",
        )
    _require(ctx, comparison, "entity_associations")
    ea = entity_associations
    return exists().where(
        ea.c.source_type == "trace",
        ea.c.source_id == trace_info.c.request_id,
        ea.c.destination_type == "prompt_version",
        ea.c.destination_id == value,
    )


#: Why a layout without one of these tables cannot answer a field that needs it.
_MISSING_TABLE = {
    "spans": "keeps spans only in traces.json files, not in an SQL table",
    "assessments": "has no assessments table (feedback and expectations)",
    "entity_associations": "has no table linking traces to prompts",
}


def _require(ctx: _Context, comparison: Comparison, table: str) -> None:
    """Fail clearly when the database's layout has no `table` for this comparison."""
    if table in ctx.layout.tables:
        return
    fail(
        ctx.text,
        comparison.field.position,
        f"{comparison.field.written} cannot be used on this database: it has the "
        f"{ctx.layout.label}, which {_MISSING_TABLE[table]}. Filter by trace, tag or "
        "metadata fields instead",
        expected="a trace, tag or metadata field",
    )


#: Span fields whose column has another name (`span.model` is `spans.model_name`).
_SPAN_COLUMNS = {"model": "model_name"}


def _spans_exist(comparisons: Sequence[Comparison], ctx: _Context) -> ColumnElement[bool]:
    """Some span of the trace meets every comparison; seeks on the (trace_id, span_id) key."""
    _require(ctx, comparisons[0], "spans")
    for comparison in comparisons:
        _require_span_column(ctx, comparison)
    conditions = [_span_condition(c) for c in comparisons]
    return exists().where(spans.c.trace_id == trace_info.c.request_id, *conditions)


def _span_condition(comparison: Comparison) -> ColumnElement[bool]:
    key, operator, value = comparison.field.key, comparison.operator, comparison.value
    if key.startswith("attributes."):
        # MLflow's pattern: the attribute's name in the span JSON, then the user's pattern.
        name = key.removeprefix("attributes.")
        return _compare(spans.c.content, operator, f'%"{name}"{value}%')
    return _compare(spans.c[_SPAN_COLUMNS.get(key, key)], operator, value)


def _require_span_column(ctx: _Context, comparison: Comparison) -> None:
    """Fail clearly when the layout's `spans` table has no column for this field (older
    MLflow 3 layouts keep no model column)."""
    column = _SPAN_COLUMNS.get(comparison.field.key)
    if column is None or column in ctx.layout.columns.get("spans", frozenset()):
        return
    fail(
        ctx.text,
        comparison.field.position,
        f"{comparison.field.written} cannot be used on this database: it has the "
        f"{ctx.layout.label}, whose spans table has no {column} column. Filter by "
        "span.attributes.mlflow.llm.model LIKE '%<model>%' instead",
        expected="another span field",
    )


def _assessment_comparison(comparison: Comparison, ctx: _Context) -> ColumnElement[bool]:
    """feedback.<name> / expectation.<name>: a valid assessment of that type, name and value."""
    _require(ctx, comparison, "assessments")
    a, field = assessments, comparison.field
    conditions = [a.c.assessment_type == field.scope, a.c.name == field.key, a.c.valid == true()]
    if comparison.operator not in NULLNESS:
        conditions.append(_assessment_value(comparison))
    matched: ColumnElement[bool] = exists().where(
        a.c.trace_id == trace_info.c.request_id, *conditions
    )
    if ctx.layout.has_trace_column("session_id"):
        matched = or_(matched, _session_assessment_exists(conditions))
    return not_(matched) if comparison.operator == "IS NULL" else matched


def _assessment_value(comparison: Comparison) -> ColumnElement[bool]:
    """The value test on `assessments.value`, which holds JSON text (MLflow's rules)."""
    column, operator, value = assessments.c.value, comparison.operator, comparison.value
    if operator in PATTERN:
        return _compare(column, operator, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _compare(dialect.json_number(column), operator, float(value))
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    # Booleans and numbers are stored bare ('false'), strings JSON-quoted ('"yes"').
    equal = or_(column == text, column == json.dumps(text))
    return not_(equal) if operator == "!=" else equal


def _session_assessment_exists(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """A session-level assessment meeting `conditions` on any trace of this trace's session."""
    a, sibling = assessments, trace_info.alias("session_trace")
    # Nested so SQLite walks the (experiment_id, session_id) index to the session's traces and
    # then each one's assessments by trace_id; a flat join scanned all assessments per trace.
    on_sibling = exists().where(
        a.c.trace_id == sibling.c.request_id,
        a.c.assessment_metadata.contains(SESSION_ASSESSMENT_MARKER, autoescape=True),
        *conditions,
    )
    return exists().where(
        sibling.c.experiment_id == trace_info.c.experiment_id,
        sibling.c.session_id == trace_info.c.session_id,
        on_sibling,
    )


#: What a database says when a statement is beyond one of its limits (lower case), which part
#: of the filter most likely took it there, and what the user is told.
_LIMITS = (
    (
        ("like or glob pattern too complex",),
        "pattern",
        "This pattern is too long for the database; shorten it",
    ),
    (
        ("expression tree is too large", "parser stack overflow", "stack depth limit exceeded"),
        "depth",
        "The filter is too complex for the database; use fewer comparisons, parentheses or "
        "NOTs, or search in steps",
    ),
    (
        ("too many sql variables", "number of parameters must be between"),
        "values",
        "The filter has too many values for the database; list fewer, or search in steps",
    ),
)


@contextlib.contextmanager
def database_limits(
    text: str | None, locate: Callable[[str, str], int] | None = None
) -> Iterator[None]:
    """Run a statement holding filter `text`; a database refusing it as too big or too deep
    raises `QuerySyntaxError`, so the query bar marks it like any other problem.

    The position is `locate(text, part)`, by default where in a trace filter the `part`
    ("pattern", "depth" or "values") most likely passed the limit.
    """
    try:
        yield
    except StoreError as error:
        refusal = _exceeded_limit(error)
        if refusal is None or text is None or not text.strip():
            raise
        part, message = refusal
        position = (locate or _culprit)(text, part)
        raise QuerySyntaxError(message, text=text, position=position) from error


def _exceeded_limit(error: StoreError) -> tuple[str, str] | None:
    """(part, message) when the database refused a statement as beyond one of its limits."""
    cause = error.__cause__
    said = str(getattr(cause, "orig", None) or cause or "").lower()
    for words, part, message in _LIMITS:
        if any(word in said for word in words):
            return part, message
    return None


def _culprit(text: str, part: str) -> int:
    """Where in filter `text` a limit of kind `part` was most likely passed (0: the whole)."""
    try:
        tree = parse_filter(text)
    except QuerySyntaxError:
        return 0
    found = list(_comparisons(tree, 0))
    if part == "depth":
        depth, deepest = max(found, key=lambda pair: pair[0])
        return deepest.field.position if depth > 1 else 0
    operators = PATTERN if part == "pattern" else MEMBERSHIP
    sizes = [(_size(c.value), c.value_position) for _d, c in found if c.operator in operators]
    return max(sizes)[1] if sizes else 0


def _size(value: Value) -> int:
    """How many values a list holds, or how long a single value is written."""
    return len(value) if isinstance(value, tuple) else len(str(value))


def _comparisons(node: Node, depth: int) -> Iterator[tuple[int, Comparison]]:
    """Each comparison of `node` with its depth in the tree."""
    if isinstance(node, Comparison):
        yield depth, node
    elif isinstance(node, Not):
        yield from _comparisons(node.operand, depth + 1)
    else:
        for operand in node.operands:
            yield from _comparisons(operand, depth + 1)
