"""The field table of the filter language: every field, its spellings, operators and meaning.

This is the one list of what can be filtered and sorted on. The parser resolves a written name
with it (`resolve_field`), `core.store.filter_sql` and `core.store.order_sql` give each
canonical field its SQL, and the app's query bar builds its help and completions from it.

* `trace.` / `attributes.` / `attribute.` (or no prefix) name a trace field of `TRACE_FIELDS`;
  prefixes and trace field names are case-insensitive, and each has the aliases listed there.
* `tag.<key>` / `tags.<key>`, `metadata.<key>` / `request_metadata.<key>`.
* `span.name`, `span.type`, `span.status`, `span.model`, `span.content`,
  `span.attributes.<key>`.
* `feedback.<name>`, `expectation.<name>` (valid assessments of that type and name).

MLflow's quirk of treating `tag.name` or `feedback.text` as trace fields is not copied: a
prefix means what it says. A few reserved tag and metadata keys name trace fields, as MLflow
maps them (`RESERVED_KEYS`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from core.mlflow_keys import (
    LINKED_PROMPTS_TAG,
    SESSION_METADATA,
    SOURCE_RUN_METADATA,
    TRACE_NAME_TAG,
)
from core.query.errors import fail
from core.query.tokens import Token

EQUALITY = ("=", "!=")
ORDERING = ("<", "<=", ">", ">=")
PATTERN = ("LIKE", "ILIKE")
MEMBERSHIP = ("IN", "NOT IN")
NULLNESS = ("IS NULL", "IS NOT NULL")
#: Every comparison operator, in the order messages and the help list them.
OPERATORS = EQUALITY + ORDERING + PATTERN + MEMBERSHIP + NULLNESS

NUMBER_OPS = EQUALITY + ORDERING
STRING_OPS = EQUALITY + PATTERN + MEMBERSHIP
ASSESSMENT_OPS = EQUALITY + ORDERING + PATTERN + NULLNESS
_OPTIONAL_STRING = STRING_OPS + NULLNESS
_OPTIONAL_NUMBER = NUMBER_OPS + NULLNESS


class Values(Enum):
    """What a field compares with, which decides the values the parser accepts."""

    STRING = "a quoted string"
    NUMBER = "a number"
    ASSESSMENT = "a quoted string, a number, TRUE or FALSE"


@dataclass(frozen=True)
class FieldSpec:
    """One row of the field table."""

    #: As the help writes it: `trace.status`, `tag.<key>`, `span.attributes.<key>`.
    name: str
    #: What it means, in a few words for the query bar's help.
    meaning: str
    operators: tuple[str, ...]
    values: Values = Values.STRING
    #: Other spellings of a trace field, without the `trace.` prefix.
    aliases: tuple[str, ...] = ()
    #: Named in the short list of fields that error messages give.
    in_short_list: bool = True

    @property
    def scope(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        """The name after the scope: `status`, `<key>`, `attributes.<key>`."""
        return self.name.split(".", 1)[1]

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every way to write a trace field after its prefix (lower case)."""
        return (self.key, *self.aliases)


#: Tags TraceDesk sets on a replay (a model call rerun from a trace, `app/replay`): the trace
#: and the span it reran. `trace.replay_of = '<trace id>'` compares the first.
REPLAY_OF_TRACE_TAG = "tracedesk.replay_of.trace"
REPLAY_OF_SPAN_TAG = "tracedesk.replay_of.span"

_NUMBER = Values.NUMBER
TRACE_FIELDS = (
    FieldSpec("trace.status", "OK, ERROR or IN_PROGRESS", STRING_OPS, aliases=("state",)),
    FieldSpec("trace.name", "the trace's name", _OPTIONAL_STRING, aliases=("trace_name",)),
    FieldSpec("trace.request_id", "the trace id", STRING_OPS, aliases=("trace_id",)),
    FieldSpec(
        "trace.timestamp_ms", "start time, ms since 1970", NUMBER_OPS, _NUMBER, ("timestamp",)
    ),
    FieldSpec(
        "trace.execution_time_ms", "duration in ms", _OPTIONAL_NUMBER, _NUMBER, ("execution_time",)
    ),
    FieldSpec("trace.end_time_ms", "end time, ms since 1970", NUMBER_OPS, _NUMBER, ("end_time",)),
    FieldSpec(
        "trace.session_id", "the conversation it belongs to", _OPTIONAL_STRING, aliases=("session",)
    ),
    FieldSpec("trace.client_request_id", "the caller's request id", _OPTIONAL_STRING),
    FieldSpec("trace.run_id", "the run it is linked to", _OPTIONAL_STRING),
    FieldSpec("trace.prompt", "a prompt version it used, as 'name/version'", ("=",)),
    FieldSpec("trace.total_tokens", "tokens of all LLM calls", _OPTIONAL_NUMBER, _NUMBER),
    FieldSpec("trace.input_tokens", "prompt tokens", _OPTIONAL_NUMBER, _NUMBER),
    FieldSpec("trace.output_tokens", "completion tokens", _OPTIONAL_NUMBER, _NUMBER),
    FieldSpec("trace.request_preview", "the start of the input", _OPTIONAL_STRING),
    FieldSpec("trace.response_preview", "the start of the output", _OPTIONAL_STRING),
    # TraceDesk's: the tag `REPLAY_OF_TRACE_TAG` of a replay.
    FieldSpec("trace.replay_of", "the trace a replay reran", _OPTIONAL_STRING),
    # MLflow's full-text search: the JSON of every span of the trace.
    FieldSpec("trace.text", "any span's JSON", PATTERN),
)
_ASSESSMENT = (ASSESSMENT_OPS, Values.ASSESSMENT)
SCOPED_FIELDS = (
    FieldSpec("tag.<key>", "a trace tag", _OPTIONAL_STRING),
    FieldSpec("metadata.<key>", "trace metadata", _OPTIONAL_STRING),
    FieldSpec("span.name", "some span's name", STRING_OPS),
    FieldSpec("span.type", "LLM, CHAT_MODEL, RETRIEVER, RERANKER, TOOL, AGENT, CHAIN…", STRING_OPS),
    FieldSpec("span.status", "some span's status: OK, ERROR, UNSET", STRING_OPS),
    # TraceDesk's: the model column MLflow 3.18 fills from `mlflow.llm.model`.
    FieldSpec("span.model", "the model a span called", STRING_OPS, in_short_list=False),
    FieldSpec("span.content", "some span's JSON", PATTERN, in_short_list=False),
    # MLflow's pattern: the attribute's name in the span JSON, then the user's pattern.
    FieldSpec("span.attributes.<key>", "a span attribute", PATTERN, in_short_list=False),
    FieldSpec("feedback.<name>", "a scorer's or a reviewer's value", *_ASSESSMENT),
    FieldSpec("expectation.<name>", "a ground-truth value", *_ASSESSMENT),
)

#: Field prefixes (lower case) -> the scope they name.
SCOPES = {
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
#: Tags and metadata that name a trace field, as MLflow maps them (reserved keys).
RESERVED_KEYS = {
    ("tag", TRACE_NAME_TAG): "name",
    ("tag", LINKED_PROMPTS_TAG): "prompt",
    ("metadata", SESSION_METADATA): "session_id",
    ("metadata", SOURCE_RUN_METADATA): "run_id",
}

#: What the trace list can be ordered by besides `tag.<key>` and `metadata.<key>`.
ORDER_FIELDS = (
    "timestamp_ms",
    "execution_time_ms",
    "end_time_ms",
    "status",
    "name",
    "request_id",
    "experiment_id",
    "run_id",
    "session_id",
    "total_tokens",
    "total_cost",  # TraceDesk's: MLflow 3.18 does not order by these two
    "user",
)
#: Other spellings of `ORDER_FIELDS` (lower case), MLflow's among them.
ORDER_ALIASES = {
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
    "cost": "total_cost",
}


#: How alike a mistyped field must be to a known one to be offered (difflib's ratio, 0 to 1).
SIMILAR = 0.75


def _listed(names: list[str], last: str) -> str:
    """`a, b, c <last> d`."""
    return f"{', '.join(names[:-1])} {last} {names[-1]}"


_TRACE_BY_SPELLING = {spelling: spec for spec in TRACE_FIELDS for spelling in spec.spellings}
_SPAN_FIELDS = [spec for spec in SCOPED_FIELDS if spec.scope == "span"]
_SPAN_OPERATORS = {spec.key: spec.operators for spec in _SPAN_FIELDS if "<" not in spec.key}
_SPAN_ATTRIBUTE = next(spec for spec in _SPAN_FIELDS if spec.key == "attributes.<key>")
#: The spec of the scopes whose key is free (any tag, any feedback name).
_ANY_KEY = {spec.scope: spec for spec in SCOPED_FIELDS if spec.key.startswith("<")}
_SCOPE_HELP = _listed([s.name for s in SCOPED_FIELDS if s.in_short_list], "or")
#: The fields named when a field is missing.
FIELD_HELP = f"trace.<field>, {_SCOPE_HELP}"


@dataclass(frozen=True)
class Field:
    """A resolved field: its scope, its canonical key and what it can be compared with."""

    scope: str  # trace | tag | metadata | span | feedback | expectation
    key: str
    written: str
    position: int
    operators: tuple[str, ...]
    values: Values = Values.STRING


def resolve_field(text: str, token: Token) -> Field:
    """Map a NAME token to the field it designates, or fail naming the valid ones."""
    segments: tuple[str, ...] = token.value
    if len(segments) == 1:
        return _trace_field(text, token, segments[0])
    scope = SCOPES.get(segments[0].lower())
    meant = _did_you_mean(segments[0], SCOPES) if scope is None else None
    if meant is not None:
        fail(
            text,
            token.position,
            f"Unknown field {token.text!r}: did you mean {meant}.{'.'.join(segments[1:])}?",
            expected=f"one of {', '.join(f'{s}.' for s in SCOPES)}",
        )
    if scope is None:
        fail(
            text,
            token.position,
            f"Unknown field {token.text!r}: {segments[0]!r} is not a field prefix",
            expected=f"one of {', '.join(f'{s}.' for s in SCOPES)}",
        )
    key = ".".join(segments[1:])
    if not key:
        fail(text, token.position, f"{token.text!r} names no key", expected="a key name")
    if scope == "trace":
        return _trace_field(text, token, key)
    if scope == "span":
        return _span_field(text, token, key)
    if (scope, key) in RESERVED_KEYS:
        return _trace_field(text, token, RESERVED_KEYS[scope, key])
    spec = _ANY_KEY[scope]
    return Field(scope, key, token.text, token.position, spec.operators, spec.values)


def _did_you_mean(written: str, known: Iterable[str]) -> str | None:
    """The known spelling closest to a mistyped one (`trace.nme` -> `trace.name`), if any is
    close enough to be what the user meant."""
    close = difflib.get_close_matches(written.lower(), list(known), n=1, cutoff=SIMILAR)
    return close[0] if close else None


def _trace_field(text: str, token: Token, name: str) -> Field:
    spec = _TRACE_BY_SPELLING.get(name.lower())
    if spec is None:
        prefix = token.text[: len(token.text) - len(name)]  # "trace." when written
        meant = _did_you_mean(name, _TRACE_BY_SPELLING)
        if meant is not None:
            fail(
                text,
                token.position,
                f"Unknown field {token.text!r}: did you mean {prefix}{meant}?",
                expected="a field",
            )
        valid = ", ".join(sorted(s.key for s in TRACE_FIELDS))
        fail(
            text,
            token.position,
            f"Unknown field {token.text!r}. Trace fields are {valid}; other fields are "
            f"{_SCOPE_HELP}",
            expected="a field",
        )
    if spec.key == "text":  # MLflow: full-text search over the span documents
        return Field("span", "content", token.text, token.position, spec.operators)
    return Field("trace", spec.key, token.text, token.position, spec.operators, spec.values)


def _span_field(text: str, token: Token, key: str) -> Field:
    if key.startswith("attributes.") and len(key) > len("attributes."):
        return Field("span", key, token.text, token.position, _SPAN_ATTRIBUTE.operators)
    operators = _SPAN_OPERATORS.get(key.lower())
    if operators is None:
        meant = _did_you_mean(key, _SPAN_OPERATORS)
        if meant is not None:
            written = token.text[: len(token.text) - len(key)]
            fail(
                text,
                token.position,
                f"Unknown span field {token.text!r}: did you mean {written}{meant}?",
                expected="a span field",
            )
        span_fields = _listed([s.name for s in _SPAN_FIELDS], "and")
        fail(
            text,
            token.position,
            f"Unknown span field {token.text!r}. Span fields are {span_fields}",
            expected="a span field",
        )
    return Field("span", key.lower(), token.text, token.position, operators)
