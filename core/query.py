"""The trace filter language and order-by keys, compiled to SQLAlchemy expressions.

`compile_filter` accepts MLflow's `search_traces` filter strings (`trace.status = 'OK' AND
tag.env = 'prod'`) and goes beyond them with OR, NOT and parentheses. It returns one boolean
expression over `trace_info` that the reader puts in its WHERE clause: user text only ever
becomes bound parameters, and tags, metadata, spans and assessments are tested with correlated
EXISTS subqueries that seek on their primary keys, so no filter loads traces into Python.

Grammar (keywords are case-insensitive; precedence NOT > AND > OR)::

    filter     := or_expr END
    or_expr    := and_expr { "OR" and_expr }
    and_expr   := not_expr { "AND" not_expr }
    not_expr   := "NOT" not_expr | primary
    primary    := "(" or_expr ")" | comparison
    comparison := field ( op value | ["NOT"] "IN" list | "IS" ["NOT"] "NULL" )
    op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE"
    value      := string | number | "TRUE" | "FALSE"
    list       := "(" string { "," string } ")"
    field      := word { "." segment }  |  `backticked` { "." segment }
    segment    := word | `backticked` | "double-quoted" | 'single-quoted'
    string     := 'text' | "text"         (a doubled quote inside stands for one quote)
    number     := [+|-] digits [. digits] [(e|E) [+|-] digits]

Fields (the prefix before the first dot picks the scope; a bare word is a trace field):

* `trace.` / `attributes.` / `attribute.` (or no prefix): `request_id` (`trace_id`),
  `timestamp_ms` (`timestamp`), `execution_time_ms` (`execution_time`), `end_time_ms`
  (`end_time`), `status` (`state`), `name`, `client_request_id`, `run_id`, `prompt`, `text`,
  and, beyond MLflow, `session_id`, `request_preview`, `response_preview`, `total_tokens`,
  `input_tokens`, `output_tokens`.
* `tag.<key>` / `tags.<key>`, `metadata.<key>` / `request_metadata.<key>`.
* `span.name`, `span.type`, `span.status`, `span.content`, `span.attributes.<key>`.
* `feedback.<name>`, `expectation.<name>` (valid assessments of that type and name).

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
* `tag.mlflow.traceName` and `metadata.mlflow.trace.session` read the `trace_name` and
  `session_id` columns where MLflow ≥ 3.2 moved them; older layouts keep them as rows.
* LIKE is case-sensitive and ILIKE is not, on every engine (MLflow makes SQLite's LIKE
  case-sensitive with a pragma; `core.store.dialect` uses GLOB instead). `!=` and NOT IN never
  match a missing value (SQL NULL rules): `tag.env != 'prod'` needs the tag to be set.

Differences from MLflow, on purpose:

* OR, NOT, parentheses, `trace.state`, `trace.session_id`, previews and token counts are ours;
  IN / NOT IN also work on tags, metadata and `run_id`; IS [NOT] NULL on optional trace fields.
* Bare `TRUE` / `FALSE` and numbers are accepted for `feedback.` / `expectation.` equality
  (MLflow requires a quoted string); a number compares numerically (`feedback.score = 1`).
* Prefixes and trace field names are case-insensitive; MLflow's quirk of treating
  `tag.name` or `feedback.text` as trace fields is not copied: a prefix means what it says.
* A doubled quote inside a string is one quote; MLflow passes it through doubled.
* RLIKE and `issue.` are not supported (SQLite has no REGEXP unless the app registers one).
* `span.attributes.<key>` accepts only LIKE / ILIKE; MLflow accepts `=` but it never matches.
* `metadata.mlflow.trace.tokenUsage` / `.cost`, which MLflow ≥ 3.2 splits into columns, accept
  only IS [NOT] NULL there; compare `trace.total_tokens` etc. instead.
* Session-level assessments match traces of the same experiment; MLflow uses all experiments
  being searched. Span filters are not pruned by a trace-time bound as MLflow does (the
  result is the same; it is only MLflow's speed-up).
* `span.` and `feedback.` on a layout without `spans` / `assessments` tables (MLflow < 3.2)
  raise `QuerySyntaxError` naming the layout, rather than silently matching nothing.

`compile_order_by` turns MLflow order-by items (`"timestamp_ms DESC"`) into never-NULL sort keys
ending in the trace id, which the reader uses for keyset pagination.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NoReturn

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    exists,
    func,
    not_,
    or_,
    true,
    type_coerce,
)

from core.errors import QuerySyntaxError
from core.store import dialect
from core.store.columns import (
    SESSION_METADATA,
    SOURCE_RUN_METADATA,
    TOKEN_USAGE_METADATA,
    TRACE_NAME_TAG,
    metadata_value,
    tag_value,
    trace_columns,
)
from core.store.schema import (
    Layout,
    assessments,
    entity_associations,
    spans,
    trace_info,
    trace_request_metadata,
    trace_tags,
)

LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
COST_METADATA = "mlflow.trace.cost"
#: Text in `assessments.assessment_metadata` marking a session-level assessment, as MLflow tests it.
SESSION_ASSESSMENT_MARKER = f'"{SESSION_METADATA}":'

# -- errors -------------------------------------------------------------------------------------


def _fail(text: str, position: int, message: str, expected: str = "") -> NoReturn:
    raise QuerySyntaxError(message, text=text, position=position, expected=expected)


# -- tokens -------------------------------------------------------------------------------------


class _Kind(Enum):
    NAME = "a field"
    STRING = "a quoted string"
    NUMBER = "a number"
    OPERATOR = "an operator"
    KEYWORD = "a keyword"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    END = "the end of the filter"


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str  # exactly as written, for messages and for moving past the token
    position: int
    #: NAME: tuple of unquoted segments; STRING: unquoted text; NUMBER: int or float;
    #: KEYWORD and OPERATOR: the upper-case operator or keyword.
    value: Any = None

    def describe(self) -> str:
        if self.kind is _Kind.END:
            return "the end of the filter"
        # A quoted value already shows its quotes; anything else gets a pair.
        return self.text if self.text[:1] in _QUOTES else f"'{self.text}'"


_KEYWORDS = frozenset(
    {"AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS", "NULL", "TRUE", "FALSE", "RLIKE"}
)
_PUNCTUATION = {"(": _Kind.LPAREN, ")": _Kind.RPAREN, ",": _Kind.COMMA}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATOR = re.compile(r"<=|>=|!=|[<>=]")
_FIRST_WORD = re.compile(r"[^\W\d]\w*")  # a field starts with a letter or underscore
_KEY_WORD = re.compile(r"\w+")  # later key segments may start with a digit
_QUOTES = "`\"'"


def _tokenize(text: str) -> list[_Token]:
    """Split `text` into tokens; the list always ends with an END token."""
    tokens: list[_Token] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            tokens.append(_Token(_Kind.END, "", len(text)))
            return tokens
        token = _next_token(text, index)
        tokens.append(token)
        index = token.position + len(token.text)


def _next_token(text: str, index: int) -> _Token:
    char = text[index]
    if char in _PUNCTUATION:
        return _Token(_PUNCTUATION[char], char, index)
    if char in "'\"":
        value, end = _read_quoted(text, index, "string")
        return _Token(_Kind.STRING, text[index:end], index, value)
    if number := _NUMBER.match(text, index):
        return _Token(_Kind.NUMBER, number.group(), index, _as_number(number.group()))
    if operator := _OPERATOR.match(text, index):
        return _Token(_Kind.OPERATOR, operator.group(), index, operator.group())
    if char == "`" or _FIRST_WORD.match(char):
        return _read_name(text, index)
    _fail(
        text,
        index,
        f"Unexpected character {char!r}",
        expected="a field, a value, an operator or a parenthesis",
    )


def _read_quoted(text: str, start: int, what: str) -> tuple[str, int]:
    """The unquoted content of the quoted run at `start`, and the index after its closing quote."""
    quote = text[start]
    parts: list[str] = []
    index = start + 1
    while (end := text.find(quote, index)) >= 0:
        parts.append(text[index:end])
        if not text.startswith(quote * 2, end):
            return "".join(parts), end + 1
        parts.append(quote)  # SQL style: a doubled quote is one literal quote
        index = end + 2
    _fail(text, start, f"Unterminated {what}: no closing {quote}", expected=f"a closing {quote}")


def _read_name(text: str, start: int) -> _Token:
    """A dotted field name such as tag.`mlflow.traceName`, or a keyword."""
    segments: list[str] = []
    index = start
    while True:
        segment, index = _read_segment(text, index, first=not segments)
        segments.append(segment)
        if not text.startswith(".", index):
            break
        index += 1
        if index >= len(text) or not (text[index] in _QUOTES or _KEY_WORD.match(text[index])):
            _fail(text, index, "Expected a key after '.'", expected="a key name")
    written = text[start:index]
    if len(segments) == 1 and written.upper() in _KEYWORDS:
        return _Token(_Kind.KEYWORD, written, start, written.upper())
    return _Token(_Kind.NAME, written, start, tuple(segments))


def _read_segment(text: str, index: int, *, first: bool) -> tuple[str, int]:
    if text[index] in _QUOTES:
        return _read_quoted(text, index, "quoted key")
    match = (_FIRST_WORD if first else _KEY_WORD).match(text, index)
    assert match is not None  # callers check the first character
    return match.group(), match.end()


# -- fields -------------------------------------------------------------------------------------

_EQUALITY = ("=", "!=")
_ORDERING = ("<", "<=", ">", ">=")
_PATTERN = ("LIKE", "ILIKE")
_MEMBERSHIP = ("IN", "NOT IN")
_NULLNESS = ("IS NULL", "IS NOT NULL")

_NUMBER_OPS = _EQUALITY + _ORDERING
_STRING_OPS = _EQUALITY + _PATTERN + _MEMBERSHIP
_ASSESSMENT_OPS = _EQUALITY + _ORDERING + _PATTERN + _NULLNESS


class _Values(Enum):
    """What a field compares with, which decides the values the parser accepts."""

    STRING = "a quoted string"
    NUMBER = "a number"
    ASSESSMENT = "a quoted string, a number, TRUE or FALSE"


@dataclass(frozen=True)
class _Field:
    """A resolved field: its scope, its canonical key and what it can be compared with."""

    scope: str  # trace | tag | metadata | span | feedback | expectation
    key: str
    written: str
    position: int
    operators: tuple[str, ...]
    values: _Values = _Values.STRING


@dataclass(frozen=True)
class _TraceField:
    key: str
    operators: tuple[str, ...]
    values: _Values = _Values.STRING


def _trace_fields() -> dict[str, _TraceField]:
    """Trace field spellings (lower case) -> canonical field."""
    optional_string, optional_number = _STRING_OPS + _NULLNESS, _NUMBER_OPS + _NULLNESS
    canonical = {
        ("request_id", "trace_id"): _TraceField("request_id", _STRING_OPS),
        ("timestamp_ms", "timestamp"): _TraceField("timestamp_ms", _NUMBER_OPS, _Values.NUMBER),
        ("execution_time_ms", "execution_time"): _TraceField(
            "execution_time_ms", optional_number, _Values.NUMBER
        ),
        ("end_time_ms", "end_time"): _TraceField("end_time_ms", _NUMBER_OPS, _Values.NUMBER),
        ("status", "state"): _TraceField("status", _STRING_OPS),
        ("name", "trace_name"): _TraceField("name", optional_string),
        ("client_request_id",): _TraceField("client_request_id", optional_string),
        ("run_id",): _TraceField("run_id", optional_string),
        ("prompt",): _TraceField("prompt", ("=",)),
        ("text",): _TraceField("text", _PATTERN),
        ("session_id", "session"): _TraceField("session_id", optional_string),
        ("request_preview",): _TraceField("request_preview", optional_string),
        ("response_preview",): _TraceField("response_preview", optional_string),
    }
    for tokens in ("total_tokens", "input_tokens", "output_tokens"):
        canonical[(tokens,)] = _TraceField(tokens, optional_number, _Values.NUMBER)
    return {alias: field for aliases, field in canonical.items() for alias in aliases}


_TRACE_FIELDS = _trace_fields()
_SCOPES = {
    "trace": "trace",
    "attribute": "trace",
    "attributes": "trace",
    "tag": "tag",
    "tags": "tag",
    "metadata": "metadata",
    "request_metadata": "metadata",
    "span": "span",
    "feedback": "feedback",
    "expectation": "expectation",
}
_SPAN_FIELDS = {
    "name": _STRING_OPS,
    "type": _STRING_OPS,
    "status": _STRING_OPS,
    "content": _PATTERN,
}
#: Tags and metadata that name a trace field, as MLflow maps them (reserved keys).
_RESERVED_KEYS = {
    ("tag", TRACE_NAME_TAG): "name",
    ("tag", LINKED_PROMPTS_TAG): "prompt",
    ("metadata", SESSION_METADATA): "session_id",
    ("metadata", SOURCE_RUN_METADATA): "run_id",
}
_SCOPE_HELP = (
    "tag.<key>, metadata.<key>, span.name, span.type, span.status, feedback.<name> or "
    "expectation.<name>"
)
_FIELD_HELP = f"trace.<field>, {_SCOPE_HELP}"


def _resolve_field(text: str, token: _Token) -> _Field:
    """Map a NAME token to the field it designates, or fail naming the valid ones."""
    segments: tuple[str, ...] = token.value
    if len(segments) == 1:
        return _trace_field(text, token, segments[0])
    scope = _SCOPES.get(segments[0].lower())
    if scope is None:
        _fail(
            text,
            token.position,
            f"Unknown field {token.text!r}: {segments[0]!r} is not a field prefix",
            expected=f"one of {', '.join(f'{s}.' for s in _SCOPES)}",
        )
    key = ".".join(segments[1:])
    if not key:
        _fail(text, token.position, f"{token.text!r} names no key", expected="a key name")
    if scope == "trace":
        return _trace_field(text, token, key)
    if scope == "span":
        return _span_field(text, token, key)
    if (scope, key) in _RESERVED_KEYS:
        return _trace_field(text, token, _RESERVED_KEYS[scope, key])
    if scope in ("tag", "metadata"):
        return _Field(scope, key, token.text, token.position, _STRING_OPS + _NULLNESS)
    return _Field(scope, key, token.text, token.position, _ASSESSMENT_OPS, _Values.ASSESSMENT)


def _trace_field(text: str, token: _Token, name: str) -> _Field:
    field = _TRACE_FIELDS.get(name.lower())
    if field is None:
        valid = ", ".join(sorted({f.key for f in _TRACE_FIELDS.values()}))
        _fail(
            text,
            token.position,
            f"Unknown field {token.text!r}. Trace fields are {valid}; other fields are "
            f"{_SCOPE_HELP}",
            expected="a field",
        )
    if field.key == "text":  # MLflow: full-text search over the span documents
        return _Field("span", "content", token.text, token.position, _PATTERN)
    return _Field("trace", field.key, token.text, token.position, field.operators, field.values)


def _span_field(text: str, token: _Token, key: str) -> _Field:
    if key.startswith("attributes.") and len(key) > len("attributes."):
        return _Field("span", key, token.text, token.position, _PATTERN)
    operators = _SPAN_FIELDS.get(key.lower())
    if operators is None:
        _fail(
            text,
            token.position,
            f"Unknown span field {token.text!r}. Span fields are span.name, span.type, "
            "span.status, span.content and span.attributes.<key>",
            expected="a span field",
        )
    return _Field("span", key.lower(), token.text, token.position, operators)


# -- syntax tree --------------------------------------------------------------------------------

_Value = str | int | float | bool | tuple[str, ...] | None


@dataclass(frozen=True)
class _Comparison:
    field: _Field
    operator: str
    value: _Value
    value_position: int


@dataclass(frozen=True)
class _Not:
    operand: _Node


@dataclass(frozen=True)
class _And:
    operands: tuple[_Node, ...]


@dataclass(frozen=True)
class _Or:
    operands: tuple[_Node, ...]


_Node = _Comparison | _Not | _And | _Or


def _combine(kind: type[_And] | type[_Or], operands: list[_Node]) -> _Node:
    """One operand stays itself; nested groups of the same kind are flattened."""
    if len(operands) == 1:
        return operands[0]
    flat: list[_Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else [operand])
    return kind(tuple(flat))


# -- parser -------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; each method parses one grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.token
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: _Kind) -> bool:
        # A method rather than `self.token.kind is ...` so mypy does not narrow across advance().
        return self.token.kind is kind

    def at_keyword(self, *words: str) -> bool:
        return self.at(_Kind.KEYWORD) and self.token.value in words

    def fail(self, message: str, expected: str) -> NoReturn:
        """Fail at the current token, saying what was found there."""
        _fail(self.text, self.token.position, f"{message}, found {self.token.describe()}", expected)

    def parse(self) -> _Node:
        node = self.or_expression()
        if self.at(_Kind.RPAREN):
            message = "Unbalanced parentheses: this ')' has no matching '('"
            _fail(self.text, self.token.position, message, "AND, OR or the end of the filter")
        if not self.at(_Kind.END):
            self.fail(
                "Expected AND, OR or the end of the filter", "AND, OR or the end of the filter"
            )
        return node

    def or_expression(self) -> _Node:
        operands = [self.and_expression()]
        while self.at_keyword("OR"):
            self.advance()
            operands.append(self.and_expression())
        return _combine(_Or, operands)

    def and_expression(self) -> _Node:
        operands = [self.not_expression()]
        while self.at_keyword("AND"):
            self.advance()
            operands.append(self.not_expression())
        return _combine(_And, operands)

    def not_expression(self) -> _Node:
        if self.at_keyword("NOT"):
            self.advance()
            return _Not(self.not_expression())
        return self.primary()

    def primary(self) -> _Node:
        if not self.at(_Kind.LPAREN):
            return self.comparison()
        self.advance()
        node = self.or_expression()
        if not self.at(_Kind.RPAREN):
            self.fail("Expected ')' to close an earlier '('", "')'")
        self.advance()
        return node

    def comparison(self) -> _Comparison:
        if not self.at(_Kind.NAME):
            self.fail(f"Expected a field such as {_FIELD_HELP}", "a field")
        field = _resolve_field(self.text, self.advance())
        operator = self.operator(field)
        value_position = self.token.position
        return _Comparison(field, operator, self.value(field, operator), value_position)

    def operator(self, field: _Field) -> str:
        """Read the comparison operator after `field` and check the field accepts it."""
        position = self.token.position
        operator = self.read_operator()
        listed = ", ".join(field.operators)
        if operator is None:
            self.fail(
                f"Expected a comparison operator ({listed}) after {field.written}",
                f"a comparison operator ({listed})",
            )
        if operator not in field.operators:
            _fail(
                self.text,
                position,
                f"{field.written} cannot be compared with {operator}; use one of {listed}",
                expected=f"one of {listed}",
            )
        return operator

    def read_operator(self) -> str | None:
        """The operator at the cursor (consumed), or None when there is none."""
        token = self.token
        if token.kind is _Kind.OPERATOR or self.at_keyword("LIKE", "ILIKE", "IN"):
            self.advance()
            return str(token.value)
        if self.at_keyword("RLIKE"):
            self.fail("RLIKE (regular expressions) is not supported; use LIKE or ILIKE", "LIKE")
        if self.at_keyword("NOT"):
            self.advance()
            if not self.at_keyword("IN"):
                self.fail("Expected IN after NOT", "IN")
            self.advance()
            return "NOT IN"
        if self.at_keyword("IS"):
            self.advance()
            negated = self.at_keyword("NOT")
            if negated:
                self.advance()
            if not self.at_keyword("NULL"):
                self.fail("Expected NULL after IS" + (" NOT" if negated else ""), "NULL")
            self.advance()
            return "IS NOT NULL" if negated else "IS NULL"
        return None

    def value(self, field: _Field, operator: str) -> _Value:
        if operator in _NULLNESS:
            return None
        if operator in _MEMBERSHIP:
            return self.string_list(field)
        if field.values is _Values.NUMBER:
            return self.number(field)
        if field.values is _Values.ASSESSMENT:
            return self.assessment_value(field, operator)
        return self.string(field)

    def string(self, field: _Field) -> str:
        if not self.at(_Kind.STRING):
            self.fail(
                f"Expected a quoted string value for {field.written} (e.g. 'value')",
                "a quoted string",
            )
        return str(self.advance().value)

    def number(self, field: _Field) -> int | float:
        token = self.token
        # MLflow accepts a quoted number too ("trace.timestamp_ms > '1700000000000'").
        quoted = token.kind is _Kind.STRING and _NUMBER.fullmatch(str(token.value).strip())
        if token.kind is not _Kind.NUMBER and not quoted:
            self.fail(f"Expected a number for {field.written}", "a number")
        self.advance()
        return _as_number(str(token.value))

    def assessment_value(self, field: _Field, operator: str) -> _Value:
        if operator in _ORDERING:
            return self.number(field)
        if operator in _PATTERN:
            return self.string(field)
        if self.at_keyword("TRUE", "FALSE"):
            return bool(self.advance().value == "TRUE")
        if self.at(_Kind.NUMBER):
            return _as_number(self.advance().text)
        if self.at(_Kind.STRING):
            return str(self.advance().value)
        self.fail(f"Expected {field.values.value} for {field.written}", field.values.value)

    def string_list(self, field: _Field) -> tuple[str, ...]:
        if not self.at(_Kind.LPAREN):
            self.fail(f"Expected '(' and a list of quoted strings for {field.written}", "'('")
        self.advance()
        values = [self.string(field)]
        while self.at(_Kind.COMMA):
            self.advance()
            values.append(self.string(field))
        if not self.at(_Kind.RPAREN):
            self.fail("Expected ',' or ')' in the list of values", "',' or ')'")
        self.advance()
        return tuple(values)


def _as_number(text: str) -> int | float:
    text = text.strip()
    return float(text) if any(c in text for c in ".eE") else int(text)


# -- compiling ----------------------------------------------------------------------------------


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
    tree = _Parser(text).parse()
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
        **{k: _token_count(layout, k) for k in ("total_tokens", "input_tokens", "output_tokens")},
    }


def _token_count(layout: Layout, column: str) -> ColumnElement[int | None]:
    """A token count: a column from MLflow 3.2 on, before that a member of the usage JSON."""
    if layout.has_trace_column(column):
        return trace_info.c[column]
    usage = dialect.json_member(metadata_value(TOKEN_USAGE_METADATA), column)
    return type_coerce(usage, BigInteger)


def _compile(node: _Node, ctx: _Context) -> ColumnElement[bool]:
    if isinstance(node, _And):
        return _compile_and(node, ctx)
    if isinstance(node, _Or):
        return or_(*(_compile(operand, ctx) for operand in node.operands))
    if isinstance(node, _Not):
        return not_(_compile(node.operand, ctx))
    return _compile_comparison(node, ctx)


def _compile_and(node: _And, ctx: _Context) -> ColumnElement[bool]:
    # Span conditions side by side in one AND must hold for one span, as in MLflow.
    span_parts: list[_Comparison] = []
    clauses: list[ColumnElement[bool]] = []
    for operand in node.operands:
        if isinstance(operand, _Comparison) and operand.field.scope == "span":
            span_parts.append(operand)
        else:
            clauses.append(_compile(operand, ctx))
    if span_parts:
        clauses.append(_spans_exist(span_parts, ctx))
    return and_(*clauses)


def _compile_comparison(comparison: _Comparison, ctx: _Context) -> ColumnElement[bool]:
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


def _compare(expression: ColumnElement[Any], operator: str, value: _Value) -> ColumnElement[bool]:
    """`expression <operator> value`, the value always a bound parameter."""
    return _COMPARATORS[operator](expression, value)


def _trace_comparison(comparison: _Comparison, ctx: _Context) -> ColumnElement[bool]:
    key = comparison.field.key
    if key == "run_id":
        return _run_comparison(comparison, ctx)
    if key == "prompt":
        return _prompt_comparison(comparison, ctx)
    return _compare(ctx.trace_fields[key], comparison.operator, comparison.value)


def _key_value(table: Any, key: str, operator: str, value: _Value) -> ColumnElement[bool]:
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


def _metadata_comparison(comparison: _Comparison, ctx: _Context) -> ColumnElement[bool]:
    field, operator = comparison.field, comparison.operator
    columns = _SPLIT_METADATA.get(field.key, ())
    present = [trace_info.c[c].is_not(None) for c in columns if ctx.layout.has_trace_column(c)]
    if not present:
        return _key_value(trace_request_metadata, field.key, operator, comparison.value)
    if operator not in _NULLNESS:
        instead = "; compare trace.total_tokens, input_tokens or output_tokens instead"
        _fail(
            ctx.text,
            field.position,
            f"This database keeps {field.written} in separate columns, so only IS NULL or "
            f"IS NOT NULL can test it{instead if field.key == TOKEN_USAGE_METADATA else ''}",
            expected="IS NULL or IS NOT NULL",
        )
    return or_(*present) if operator == "IS NOT NULL" else not_(or_(*present))


def _run_comparison(comparison: _Comparison, ctx: _Context) -> ColumnElement[bool]:
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


def _prompt_comparison(comparison: _Comparison, ctx: _Context) -> ColumnElement[bool]:
    """`prompt = 'name/version'`: traces linked to that prompt version in entity_associations."""
    value = str(comparison.value)
    if value.count("/") != 1:
        _fail(
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


def _require(ctx: _Context, comparison: _Comparison, table: str) -> None:
    """Fail clearly when the database's layout has no `table` for this comparison."""
    if table in ctx.layout.tables:
        return
    _fail(
        ctx.text,
        comparison.field.position,
        f"{comparison.field.written} cannot be used on this database: it has the "
        f"{ctx.layout.label}, which {_MISSING_TABLE[table]}. Filter by trace, tag or "
        "metadata fields instead",
        expected="a trace, tag or metadata field",
    )


def _spans_exist(comparisons: Sequence[_Comparison], ctx: _Context) -> ColumnElement[bool]:
    """Some span of the trace meets every comparison; seeks on the (trace_id, span_id) key."""
    _require(ctx, comparisons[0], "spans")
    conditions = [_span_condition(c) for c in comparisons]
    return exists().where(spans.c.trace_id == trace_info.c.request_id, *conditions)


def _span_condition(comparison: _Comparison) -> ColumnElement[bool]:
    key, operator, value = comparison.field.key, comparison.operator, comparison.value
    if key.startswith("attributes."):
        # MLflow's pattern: the attribute's name in the span JSON, then the user's pattern.
        name = key.removeprefix("attributes.")
        return _compare(spans.c.content, operator, f'%"{name}"{value}%')
    return _compare(spans.c[key], operator, value)


def _assessment_comparison(comparison: _Comparison, ctx: _Context) -> ColumnElement[bool]:
    """feedback.<name> / expectation.<name>: a valid assessment of that type, name and value."""
    _require(ctx, comparison, "assessments")
    a, field = assessments, comparison.field
    conditions = [a.c.assessment_type == field.scope, a.c.name == field.key, a.c.valid == true()]
    if comparison.operator not in _NULLNESS:
        conditions.append(_assessment_value(comparison))
    matched: ColumnElement[bool] = exists().where(
        a.c.trace_id == trace_info.c.request_id, *conditions
    )
    if ctx.layout.has_trace_column("session_id"):
        matched = or_(matched, _session_assessment_exists(conditions))
    return not_(matched) if comparison.operator == "IS NULL" else matched


def _assessment_value(comparison: _Comparison) -> ColumnElement[bool]:
    """The value test on `assessments.value`, which holds JSON text (MLflow's rules)."""
    column, operator, value = assessments.c.value, comparison.operator, comparison.value
    if operator in _PATTERN:
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


# -- order by -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderKey:
    """One sort key: a never-NULL expression and its direction."""

    expression: ColumnElement[Any]
    descending: bool


@dataclass(frozen=True)
class _OrderField:
    expression: ColumnElement[Any]
    #: What stands in for NULL in a nullable expression; None when it is never NULL.
    null_stand_in: str | int | None = None

    def keys(self, descending: bool) -> list[OrderKey]:
        """Sort keys for this field; a nullable one sorts missing values last, as MLflow does."""
        if self.null_stand_in is None:
            return [OrderKey(self.expression, descending)]
        # MLflow's own rule: an ascending is-NULL flag first, whatever the direction. Two
        # never-NULL keys keep keyset pagination exact (NULL never compares equal).
        missing = case((self.expression.is_(None), 1), else_=0)
        present = func.coalesce(self.expression, self.null_stand_in)
        return [OrderKey(missing, descending=False), OrderKey(present, descending)]


def _order_fields(layout: Layout) -> dict[str, _OrderField]:
    """Canonical order-by field -> how to sort by it."""
    cols, ti = trace_columns(layout), trace_info
    return {
        "timestamp_ms": _OrderField(ti.c.timestamp_ms),
        "execution_time_ms": _OrderField(ti.c.execution_time_ms, -1),
        "end_time_ms": _OrderField(ti.c.timestamp_ms + func.coalesce(ti.c.execution_time_ms, 0)),
        "status": _OrderField(ti.c.status),
        "name": _OrderField(cols.name, ""),
        "request_id": _OrderField(ti.c.request_id),
        "experiment_id": _OrderField(ti.c.experiment_id),
        "run_id": _OrderField(metadata_value(SOURCE_RUN_METADATA), ""),
        "session_id": _OrderField(cols.session_id, ""),
        "total_tokens": _OrderField(_token_count(layout, "total_tokens"), -1),
    }


_ORDER_ALIASES = {
    "timestamp": "timestamp_ms",
    "request_time": "timestamp_ms",
    "execution_time": "execution_time_ms",
    "execution_duration": "execution_time_ms",
    "end_time": "end_time_ms",
    "state": "status",
    "trace_name": "name",
    "trace_id": "request_id",
    "session": "session_id",
    "tokens": "total_tokens",
}


def compile_order_by(
    items: Sequence[str] | None, layout: Layout, *, ids_ascending: bool = False
) -> list[OrderKey]:
    """Parse MLflow-style order-by items (`"timestamp_ms DESC"`, `"tag.env"`) into sort keys.

    Every key is a never-NULL expression, as keyset pagination needs. Like MLflow, missing
    values sort last in either direction, and equal keys fall back to the newest trace first
    (timestamp_ms DESC is appended unless given). The trace id ends every order so pages are
    exact; it follows the direction of the key before it, so the default order
    (`timestamp_ms DESC, request_id DESC`) is one backward scan of the (timestamp_ms,
    request_id) index. MLflow breaks exact timestamp ties by ascending id instead:
    `ids_ascending` gives its order (what `search_traces` returns).
    """
    fields = _order_fields(layout)
    keys: dict[str, list[OrderKey]] = {}
    for item in items or ["timestamp_ms DESC"]:
        name, field, descending = _order_item(item, fields)
        if name in keys:
            _fail(item, 0, f"The order-by field {name!r} is given twice", expected="another field")
        keys[name] = field.keys(descending)
    if "timestamp_ms" not in keys:
        keys["timestamp_ms"] = [OrderKey(trace_info.c.timestamp_ms, descending=True)]
    ordered = [key for group in keys.values() for key in group]
    if "request_id" not in keys:
        descending = False if ids_ascending else ordered[-1].descending
        ordered.append(OrderKey(trace_info.c.request_id, descending))
    return ordered


def _order_item(item: str, fields: dict[str, _OrderField]) -> tuple[str, _OrderField, bool]:
    """One order-by item -> (canonical name, field, descending), or fail with a position."""
    tokens = _tokenize(item)
    tokens += [tokens[-1]] * 2  # pad with the END token so the three slots always exist
    field, direction, end = tokens[:3]
    if field.kind is not _Kind.NAME:
        _fail(item, field.position, "Expected a field to order by", expected="a field")
    name, order_field = _order_field(item, field, fields)
    descending = False
    if direction.kind is not _Kind.END:
        word = direction.text.upper()
        if direction.kind is not _Kind.NAME or word not in ("ASC", "DESC"):
            _fail(item, direction.position, "Expected ASC or DESC", expected="ASC or DESC")
        descending = word == "DESC"
        if end.kind is not _Kind.END:
            _fail(item, end.position, "Expected the end after ASC or DESC", expected="the end")
    return name, order_field, descending


def _order_field(
    item: str, token: _Token, fields: dict[str, _OrderField]
) -> tuple[str, _OrderField]:
    segments: tuple[str, ...] = token.value
    scope = _SCOPES.get(segments[0].lower()) if len(segments) > 1 else "trace"
    key = ".".join(segments[1:]) if len(segments) > 1 else segments[0]
    if scope in ("tag", "metadata"):
        reserved = _RESERVED_KEYS.get((scope, key), "")
        if reserved in fields:
            return reserved, fields[reserved]
        value = tag_value(key) if scope == "tag" else metadata_value(key)
        return f"{scope}.{key}", _OrderField(value, "")
    name = _ORDER_ALIASES.get(key.lower(), key.lower())
    if scope != "trace" or name not in fields:
        valid = ", ".join(sorted(fields))
        _fail(
            item,
            token.position,
            f"Unknown order-by field {token.text!r}. Order by {valid}, tag.<key> or metadata.<key>",
            expected="a field",
        )
    return name, fields[name]
