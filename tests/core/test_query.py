"""Tests of the trace filter language (`core.query`), its SQL (`core.store.filter_sql`,
`core.store.order_sql`) and its SQL helpers (`core.store.dialect`).

Three layers:

* parsing and compiling with no database: precedence, every field and operator, error
  positions, and user text that must stay a bound parameter;
* end to end through `Store.reader` on copies of the real MLflow fixtures. `MLFLOW_3_18` holds
  the ids MLflow 3.18.0's own `MlflowClient.search_traces` returned for each filter on the 3.18
  tutorial database (recorded from a copy, all experiments); we must return the same;
* small hand-made rows in a copy of a fixture, for what the fixtures lack (session-level
  assessments, LIKE special characters).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import QuerySyntaxError
from core.query.parser import Parser
from core.query.tree import And, Comparison, Node, Not
from core.store import dialect
from core.store.filter_sql import compile_filter
from core.store.order_sql import OrderKey, compile_order_by
from core.store.revisions import HEAD_REVISION
from core.store.schema import Layout, metadata, trace_info
from core.store.store import Store
from tests.conftest import copy_fixture

# -- layouts without a database ------------------------------------------------------------------

ALL_COLUMNS = {name: frozenset(c.name for c in table.c) for name, table in metadata.tables.items()}
LAYOUT_318 = Layout(revision=HEAD_REVISION, tables=frozenset(metadata.tables), columns=ALL_COLUMNS)
#: MLflow 3.1.4's layout: five trace_info columns, no spans/assessments/entity_associations.
LAYOUT_31 = Layout(
    revision="bda7b8c39065",
    tables=frozenset(metadata.tables) - {"spans", "assessments", "entity_associations"},
    columns={
        **ALL_COLUMNS,
        "trace_info": frozenset(
            {"request_id", "experiment_id", "timestamp_ms", "execution_time_ms", "status"}
        ),
    },
)


def compiled(text: str, layout: Layout = LAYOUT_318) -> tuple[str, list[object]]:
    """SQLite SQL and positional parameters of `SELECT request_id ... WHERE <filter>`."""
    expression = compile_filter(text, layout)
    assert expression is not None
    statement = select(trace_info.c.request_id).where(expression)
    result = statement.compile(
        dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(result), [result.params[name] for name in result.positiontup or []]


def error(text: str, layout: Layout = LAYOUT_318) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_filter(text, layout)
    return caught.value


def tree(text: str) -> str:
    """The parse tree as an S-expression; a comparison shows as `scope.key<operator>`."""

    def show(node: Node) -> str:
        if isinstance(node, Comparison):
            return f"{node.field.scope}.{node.field.key}{node.operator}"
        if isinstance(node, Not):
            return f"(NOT {show(node.operand)})"
        kind = "AND" if isinstance(node, And) else "OR"
        return f"({kind} {' '.join(show(n) for n in node.operands)})"

    return show(Parser(text).parse())


# -- parsing -------------------------------------------------------------------------------------


def test_empty_filters_compile_to_nothing() -> None:
    assert compile_filter(None, LAYOUT_318) is None
    assert compile_filter("", LAYOUT_318) is None
    assert compile_filter("  \t\n ", LAYOUT_318) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag.a = '1' OR tag.b = '2' AND tag.c = '3'", "(OR tag.a= (AND tag.b= tag.c=))"),
        ("tag.a = '1' AND tag.b = '2' OR tag.c = '3'", "(OR (AND tag.a= tag.b=) tag.c=)"),
        ("(tag.a = '1' OR tag.b = '2') AND tag.c = '3'", "(AND (OR tag.a= tag.b=) tag.c=)"),
        ("NOT tag.a = '1' AND tag.b = '2'", "(AND (NOT tag.a=) tag.b=)"),
        ("NOT (tag.a = '1' AND tag.b = '2')", "(NOT (AND tag.a= tag.b=))"),
        ("NOT NOT tag.a = '1'", "(NOT (NOT tag.a=))"),
        ("tag.a = '1' and tag.b = '2' or not tag.c = '3'", "(OR (AND tag.a= tag.b=) (NOT tag.c=))"),
        ("((tag.a = '1'))", "tag.a="),
        # Nested groups of one kind flatten, so span conditions in them share one span.
        ("tag.a = '1' AND (tag.b = '2' AND tag.c = '3')", "(AND tag.a= tag.b= tag.c=)"),
        ("(tag.a = '1' OR tag.b = '2') OR tag.c = '3'", "(OR tag.a= tag.b= tag.c=)"),
    ],
)
def test_precedence_is_not_then_and_then_or(text: str, expected: str) -> None:
    assert tree(text) == expected


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("trace.status = 'OK'", "="),
        ("trace.status != 'OK'", "!="),
        ("trace.timestamp_ms < 5", "<"),
        ("trace.timestamp_ms <= 5", "<="),
        ("trace.timestamp_ms > 5", ">"),
        ("trace.timestamp_ms >= 5", ">="),
        ("trace.name LIKE 'a%'", "LIKE"),
        ("trace.name like 'a%'", "LIKE"),
        ("trace.name ILIKE 'a%'", "ILIKE"),
        ("trace.name IN ('a', 'b')", "IN"),
        ("trace.name not in ('a')", "NOT IN"),
        ("tag.env IS NULL", "IS NULL"),
        ("tag.env is not null", "IS NOT NULL"),
        ("trace.timestamp_ms>5", ">"),
    ],
)
def test_operators(text: str, operator: str) -> None:
    assert tree(text).endswith(operator)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("tag.`mlflow.eval.requestId` = 'x'", "tag.mlflow.eval.requestId"),
        ("tag.mlflow.eval.requestId = 'x'", "tag.mlflow.eval.requestId"),
        ("metadata.\"mlflow.user\" = 'x'", "metadata.mlflow.user"),
        ("request_metadata.`mlflow.user` = 'x'", "metadata.mlflow.user"),
        ("tags.'my key' = 'x'", "tag.my key"),
        ("`tag`.env = 'x'", "tag.env"),
        ("tag.2fa = 'x'", "tag.2fa"),
        ("TRACE.Status = 'x'", "trace.status"),
        ("status = 'x'", "trace.status"),
        ("attributes.timestamp > 1", "trace.timestamp_ms"),
        # reserved keys name trace fields, as in MLflow
        ("tag.`mlflow.traceName` = 'x'", "trace.name"),
        ("metadata.mlflow.trace.session = 'x'", "trace.session_id"),
        ("metadata.mlflow.sourceRun = 'x'", "trace.run_id"),
        ("tag.mlflow.linkedPrompts = 'p/1'", "trace.prompt"),
        ("trace.text LIKE 'x'", "span.content"),
        ("span.attributes.mlflow.spanType LIKE 'x'", "span.attributes.mlflow.spanType"),
        ("span.TYPE = 'x'", "span.type"),
        ("feedback.`my score` > 1", "feedback.my score"),
        ("expectation.expected_response = 'x'", "expectation.expected_response"),
    ],
)
def test_field_names(text: str, field: str) -> None:
    assert tree(text).startswith(field)


def test_keys_keep_dots_spaces_and_doubled_quotes() -> None:
    _, params = compiled("tag.`a.b c` = 'x' AND metadata.\"q\"\"uote\" = 'y'")
    assert params[:4] == ["a.b c", "x", 'q"uote', "y"]


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("'it''s'", "it's"),
        ('"say ""hi"""', 'say "hi"'),
        ("'back\\slash'", "back\\slash"),
        ("''", ""),
        ("'ünïcödé ✨'", "ünïcödé ✨"),
        ("'a AND b OR (c)'", "a AND b OR (c)"),
    ],
)
def test_string_values(literal: str, value: str) -> None:
    _, params = compiled(f"tag.k = {literal}")
    assert params == ["k", value]


@pytest.mark.parametrize(
    ("literal", "value"),
    [("5", 5), ("-5", -5), ("+5", 5), ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0), ("'42'", 42)],
)
def test_number_values(literal: str, value: float) -> None:
    _, params = compiled(f"trace.timestamp_ms > {literal}")
    assert params == [value]
    assert type(params[0]) is type(value)


# -- fields and what they compile to ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("trace.request_id = 'x'", ["trace_info.request_id = ?"]),
        ("trace.trace_id = 'x'", ["trace_info.request_id = ?"]),
        ("trace.timestamp_ms > 1", ["trace_info.timestamp_ms > ?"]),
        ("trace.timestamp > 1", ["trace_info.timestamp_ms > ?"]),
        ("trace.execution_time_ms >= 1", ["trace_info.execution_time_ms >= ?"]),
        ("trace.execution_time IS NULL", ["trace_info.execution_time_ms IS NULL"]),
        (
            "trace.end_time_ms < 1",
            ["trace_info.timestamp_ms + coalesce(trace_info.execution_time_ms"],
        ),
        ("trace.status = 'OK'", ["trace_info.status = ?"]),
        ("attributes.status = 'OK'", ["trace_info.status = ?"]),
        ("attribute.state = 'OK'", ["trace_info.status = ?"]),
        ("trace.name = 'x'", ["trace_info.trace_name = ?"]),
        ("tag.mlflow.traceName = 'x'", ["trace_info.trace_name = ?"]),
        ("trace.session_id = 'x'", ["trace_info.session_id = ?"]),
        ("metadata.mlflow.trace.session = 'x'", ["trace_info.session_id = ?"]),
        ("trace.client_request_id = 'x'", ["trace_info.client_request_id = ?"]),
        ("trace.request_preview LIKE '%x%'", ["trace_info.request_preview GLOB ?"]),
        (
            "trace.response_preview ILIKE '%x%'",
            ["lower(trace_info.response_preview) LIKE lower(?)"],
        ),
        ("trace.total_tokens > 1", ["trace_info.total_tokens > ?"]),
        ("trace.input_tokens > 1", ["trace_info.input_tokens > ?"]),
        ("trace.output_tokens > 1", ["trace_info.output_tokens > ?"]),
        ("trace.run_id = 'r'", ["FROM entity_associations", "FROM trace_request_metadata"]),
        ("trace.prompt = 'qa/1'", ["FROM entity_associations", "destination_id = ?"]),
        ("trace.text LIKE '%x%'", ["FROM spans", "spans.content GLOB ?"]),
        ("tag.env = 'x'", ["EXISTS (SELECT * \nFROM trace_tags", "trace_tags.value = ?"]),
        ("tags.env != 'x'", ["FROM trace_tags", "trace_tags.value != ?"]),
        ("metadata.k LIKE 'x'", ["FROM trace_request_metadata", "GLOB ?"]),
        ("request_metadata.k IN ('x', 'y')", ["trace_request_metadata.value IN (?, ?)"]),
        ("span.name = 'x'", ["FROM spans", "spans.name = ?"]),
        ("span.type NOT IN ('x')", ["(spans.type NOT IN (?))"]),
        ("span.status != 'OK'", ["spans.status != ?"]),
        ("span.model = 'gpt-4o'", ["FROM spans", "spans.model_name = ?"]),
        ("span.content ILIKE '%x%'", ["lower(spans.content) LIKE lower(?)"]),
        ("span.attributes.k LIKE '%v%'", ["spans.content GLOB ?"]),
        (
            "feedback.f = 'yes'",
            ["FROM assessments", "assessments.value = ? OR assessments.value = ?"],
        ),
        ("expectation.e IS NOT NULL", ["FROM assessments", "assessments.valid = 1"]),
    ],
)
def test_every_field_compiles(text: str, fragments: list[str]) -> None:
    sql, _ = compiled(text)
    for fragment in fragments:
        assert fragment in sql


def test_tag_filter_is_a_correlated_exists_seeking_the_primary_key() -> None:
    sql, params = compiled("tag.env = 'prod'")
    assert sql == (
        "SELECT trace_info.request_id \nFROM trace_info \nWHERE EXISTS (SELECT * \n"
        "FROM trace_tags \nWHERE trace_tags.request_id = trace_info.request_id AND "
        'trace_tags."key" = ? AND trace_tags.value = ?)'
    )
    assert params == ["env", "prod"]


def test_span_conditions_joined_by_and_share_one_span() -> None:
    sql, _ = compiled("span.type = 'LLM' AND trace.status = 'OK' AND span.name = 'x'")
    assert sql.count("FROM spans") == 1
    sql, _ = compiled("span.type = 'LLM' OR span.name = 'x'")
    assert sql.count("FROM spans") == 2
    sql, _ = compiled("span.type = 'LLM' AND NOT span.name = 'x'")
    assert sql.count("FROM spans") == 2


@pytest.mark.parametrize(
    ("text", "params"),
    [
        # strings and booleans: the bare JSON text or the JSON-quoted string (MLflow's rule)
        ("feedback.f = 'false'", ["feedback", "f", "false", '"false"']),
        ("feedback.f = FALSE", ["feedback", "f", "false", '"false"']),
        ("feedback.f != true", ["feedback", "f", "true", '"true"']),
        ("feedback.f = 'yes'", ["feedback", "f", "yes", '"yes"']),
        ("feedback.f = '0.5'", ["feedback", "f", "0.5", '"0.5"']),
    ],
)
def test_assessment_equality_matches_json_text(text: str, params: list[object]) -> None:
    sql, got = compiled(text, _no_sessions(LAYOUT_318))
    assert got == params
    assert "assessments.value = ? OR assessments.value = ?" in sql


@pytest.mark.parametrize(
    ("text", "operator", "number"),
    [
        ("feedback.f > 0.5", ">", 0.5),
        ("feedback.f <= 2", "<=", 2.0),
        ("feedback.f = 1", "=", 1.0),
        ("feedback.f != -1", "!=", -1.0),
    ],
)
def test_assessment_numbers_compare_numeric_json_only(
    text: str, operator: str, number: float
) -> None:
    sql, params = compiled(text, _no_sessions(LAYOUT_318))
    assert f"ELSE CAST(assessments.value AS FLOAT) END {operator} ?" in sql
    assert params[-1] == number and type(params[-1]) is float
    assert {"true", "false", "null", '"', "[", "{"} <= set(map(str, params))


def _no_sessions(layout: Layout) -> Layout:
    """`layout` without trace_info.session_id, so no session-level subquery is added."""
    trace_columns = layout.trace_info_columns - {"session_id"}
    return Layout(layout.revision, layout.tables, {**layout.columns, "trace_info": trace_columns})


def test_older_layouts_read_names_and_tokens_from_tags_and_metadata() -> None:
    sql, params = compiled("trace.name = 'x' AND trace.total_tokens > 5", LAYOUT_31)
    assert "trace_name" not in sql and "total_tokens" not in sql.replace("$.", "")
    assert "json_valid" in sql and "json_extract" in sql
    assert params == [
        "mlflow.traceName",
        "x",
        "mlflow.trace.tokenUsage",  # once for json_valid, once for json_extract
        "mlflow.trace.tokenUsage",
        '$."total_tokens"',
        5,
    ]


def test_split_metadata_only_tests_presence_where_it_became_columns() -> None:
    sql, _ = compiled("metadata.mlflow.trace.tokenUsage IS NOT NULL")
    assert "trace_info.total_tokens IS NOT NULL" in sql
    sql, _ = compiled("metadata.mlflow.trace.tokenUsage LIKE '%60%'", LAYOUT_31)
    assert "FROM trace_request_metadata" in sql
    problem = error("metadata.mlflow.trace.tokenUsage = '{}'")
    assert problem.position == 0
    assert "trace.total_tokens" in problem.reason


# -- user text stays a parameter ------------------------------------------------------------------

INJECTIONS = [
    "'; DROP TABLE trace_info; --",
    "x' OR '1'='1",
    "%' OR 1=1 --",
    '") OR 1=1; --',
    "\\'; DELETE FROM spans; --",
    "`; ATTACH DATABASE '/tmp/x' AS x; --",
]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    "template",
    [
        "tag.env = {}",
        "trace.name LIKE {}",
        "metadata.`k` ILIKE {}",
        "span.type IN ({}, {})",
        "feedback.f = {}",
        "trace.text LIKE {}",
        "run_id = {}",
        "span.attributes.k LIKE {}",
    ],
)
def test_values_never_reach_the_sql_text(template: str, payload: str) -> None:
    literal = "'" + payload.replace("'", "''") + "'"
    sql, params = compiled(template.format(literal, literal))
    assert payload not in sql
    assert "DROP" not in sql and "DELETE" not in sql and "ATTACH" not in sql
    # LIKE patterns reach SQLite as GLOB patterns; either way the payload is a parameter.
    assert any(payload in str(p) or dialect.like_to_glob(payload) in str(p) for p in params)


@pytest.mark.parametrize("payload", INJECTIONS)
def test_keys_never_reach_the_sql_text(payload: str) -> None:
    key = "`" + payload.replace("`", "``") + "`"
    for scope in ("tag", "metadata", "feedback"):
        sql, params = compiled(f"{scope}.{key} = 'v'")
        assert payload not in sql
        assert payload in params


def test_injection_attempts_match_nothing_and_harm_nothing(store318: Store) -> None:
    for payload in INJECTIONS:
        literal = "'" + payload.replace("'", "''") + "'"
        assert ids(store318, f"tag.env = {literal} OR trace.name = {literal}") == set()
    assert len(ids(store318, None)) == 12


# -- errors, with positions -----------------------------------------------------------------------

OPERATORS_STATUS = "=, !=, LIKE, ILIKE, IN, NOT IN"


@pytest.mark.parametrize(
    ("text", "position", "reason", "expected"),
    [
        (
            "trace.status 'OK'",
            13,
            f"Expected a comparison operator ({OPERATORS_STATUS}) after trace.status, found 'OK'",
            f"a comparison operator ({OPERATORS_STATUS})",
        ),
        ("trace.status", 12, "found the end of the filter", "a comparison operator"),
        (
            "trace.status =",
            14,
            "Expected a quoted string value for trace.status",
            "a quoted string",
        ),
        ("trace.status = OK", 15, "found 'OK'", "a quoted string"),
        ("trace.status = 'OK", 15, "Unterminated string: no closing '", "a closing '"),
        ('tag.k = "OK', 8, 'Unterminated string: no closing "', 'a closing "'),
        ("tag.`mlflow.x = 'a'", 4, "Unterminated quoted key", "a closing `"),
        ("trace.status = 'OK' trace.name = 'x'", 20, "Expected AND, OR or the end", "AND, OR"),
        ("trace.status = 'OK' AND", 23, "Expected a field", "a field"),
        ("AND trace.status = 'OK'", 0, "Expected a field", "a field"),
        ("(trace.status = 'OK'", 20, "Expected ')'", "')'"),
        ("((trace.status = 'OK')", 22, "Expected ')'", "')'"),
        ("trace.status = 'OK')", 19, "Unbalanced parentheses", "AND, OR"),
        ("()", 1, "Expected a field", "a field"),
        (
            "trace.foo = 'x'",
            0,
            "Unknown field 'trace.foo'. Trace fields are client_request_id",
            "a field",
        ),
        ("foo = 'x'", 0, "Unknown field 'foo'", "a field"),
        ("trace.nme = 'x'", 0, "Unknown field 'trace.nme': did you mean trace.name?", "a field"),
        ("stauts = 'OK'", 0, "Unknown field 'stauts': did you mean status?", "a field"),
        ("span.tpye = 'x'", 0, "did you mean span.type?", "a span field"),
        ("feedbak.ok = 'x'", 0, "did you mean feedback.ok?", "one of trace."),
        ("params.x = 'x'", 0, "'params' is not a field prefix", "one of trace., attribute."),
        ("span.duration = 'x'", 0, "Unknown span field 'span.duration'", "a span field"),
        ("tag. = 'x'", 4, "Expected a key after '.'", "a key name"),
        ("tag.`` = 'x'", 0, "names no key", "a key name"),
        ("trace.timestamp_ms > 'soon'", 21, "Expected a number for trace.timestamp_ms", "a number"),
        (
            "trace.timestamp_ms LIKE '1%'",
            19,
            "trace.timestamp_ms cannot be compared with LIKE",
            "one of =, !=, <, <=, >, >=",
        ),
        ("trace.status > 'A'", 13, "cannot be compared with >", "one of ="),
        ("tag.env < 'x'", 8, "cannot be compared with <", "one of ="),
        ("trace.text = 'x'", 11, "trace.text cannot be compared with =", "one of LIKE, ILIKE"),
        ("span.attributes.k = 'v'", 18, "cannot be compared with =", "one of LIKE, ILIKE"),
        ("feedback.f > 'high'", 13, "Expected a number for feedback.f", "a number"),
        ("feedback.f = high", 13, "Expected a quoted string, a number, TRUE or FALSE", "TRUE"),
        ("feedback.f IN ('a')", 11, "cannot be compared with IN", "one of"),
        ("trace.status IN 'OK'", 16, "Expected '(' and a list of quoted strings", "'('"),
        ("trace.status IN ('OK' 'X')", 22, "Expected ',' or ')'", "',' or ')'"),
        ("trace.status IN ()", 17, "Expected a quoted string", "a quoted string"),
        ("trace.status IN (1)", 17, "Expected a quoted string", "a quoted string"),
        ("tag.env NOT LIKE 'x'", 12, "Expected IN after NOT", "IN"),
        ("tag.env IS 'x'", 11, "Expected NULL after IS", "NULL"),
        ("tag.env IS NOT x", 15, "Expected NULL after IS NOT", "NULL"),
        ("tag.env RLIKE 'x'", 8, "RLIKE (regular expressions) is not supported", "LIKE"),
        ("tag.env == 'x'", 9, "Expected a quoted string value", "a quoted string"),
        ("tag.env = 'x' ; DROP TABLE t", 14, "Unexpected character ';'", "a field, a value"),
        ("trace.prompt = 'qa'", 15, "Expected a prompt as 'name/version'", "'name/version'"),
        ("trace.status = 'OK' AND tag.env = ", 34, "Expected a quoted string", "a quoted string"),
    ],
)
def test_errors_name_position_and_expectation(
    text: str, position: int, reason: str, expected: str
) -> None:
    problem = error(text)
    assert problem.position == position
    assert reason in problem.reason
    assert expected in problem.expected
    assert problem.text == text
    assert isinstance(problem, ValueError)


def test_error_message_points_at_the_problem() -> None:
    problem = error("trace.status 'OK'")
    first, pointer = str(problem).splitlines()[-2:]
    assert first == "trace.status 'OK'"
    assert pointer.index("^") == 13


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("span.type = 'LLM'", "keeps spans only in traces.json files"),
        ("trace.text LIKE '%x%'", "keeps spans only in traces.json files"),
        ("trace.status = 'OK' AND span.name = 'x'", "keeps spans only in traces.json files"),
        ("feedback.some_check = 'false'", "has no assessments table"),
        ("expectation.e IS NULL", "has no assessments table"),
        ("trace.prompt = 'qa/1'", "has no table linking traces to prompts"),
    ],
)
def test_layouts_without_the_tables_say_so(text: str, needs: str) -> None:
    problem = error(text, LAYOUT_31)
    assert needs in problem.reason
    assert "MLflow 3.1 layout" in problem.reason
    assert problem.position == text.rindex(text.rsplit(" AND ", 1)[-1])


def test_span_model_on_a_layout_without_the_model_column_says_what_to_use() -> None:
    spans = LAYOUT_318.columns["spans"] - {"model_name"}
    layout = Layout(LAYOUT_318.revision, LAYOUT_318.tables, {**LAYOUT_318.columns, "spans": spans})
    problem = error("span.name = 'x' AND span.model = 'gpt-4o'", layout)
    assert "no model_name column" in problem.reason
    assert "span.attributes.mlflow.llm.model" in problem.reason
    assert problem.position == len("span.name = 'x' AND ")


def test_run_id_without_entity_associations_uses_metadata_only() -> None:
    sql, params = compiled("run_id = 'r'", LAYOUT_31)
    assert "entity_associations" not in sql
    assert params == ["mlflow.sourceRun", "r"]


# -- the dialect helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "glob"),
    [
        ("%abc%", "*abc*"),
        ("a_c", "a?c"),
        ("a*b", "a[*]b"),
        ("what?", "what[?]"),
        ("[x]", "[[]x]"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_like_to_glob(pattern: str, glob: str) -> None:
    assert dialect.like_to_glob(pattern) == glob


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("ChatOllama", "Chat%", True),
        ("ChatOllama", "chat%", False),  # LIKE is case-sensitive, as in MLflow
        ("a*b", "a*b", True),
        ("axxb", "a*b", False),  # GLOB's own wildcards are literal under LIKE
        ("a?b", "a?b", True),
        ("axb", "a?b", False),
        ("[x]", "[x]", True),
        ("x", "[x]", False),
        ("abc", "a_c", True),
        ("abbc", "a_c", False),
        ("über", "%BER", False),
        ("über", "_ber", True),  # _ is one character, not one byte
        ("line\nbreak", "line%", True),
    ],
)
def test_like_matches_like_a_case_sensitive_like(value: str, pattern: str, matches: bool) -> None:
    assert run_on_value(dialect.like(select_literal(), pattern), value) == int(matches)


def select_literal() -> ColumnElement[str]:
    from sqlalchemy import String, bindparam

    return bindparam("value", "", type_=String)  # the value is given when the test runs it


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [("ChatOllama", "%chatollama", True), ("ChatOllama", "%CHAT%", True), ("x", "%y%", False)],
)
def test_ilike_ignores_ascii_case(value: str, pattern: str, matches: bool) -> None:
    assert run_on_value(dialect.ilike(select_literal(), pattern), value) == int(matches)


def test_like_and_ilike_on_postgresql() -> None:
    column = trace_info.c.trace_name
    like = str(dialect.like(column, "a%").compile(dialect=postgresql.dialect()))
    assert like.startswith("trace_info.trace_name LIKE %(param_1)s")
    assert "ILIKE" in str(dialect.ilike(column, "a%").compile(dialect=postgresql.dialect()))


@pytest.mark.parametrize(
    ("json_text", "number"),
    [
        ("0.7", 0.7),
        ("5", 5.0),
        ("-1e3", -1000.0),
        ("true", None),
        ("false", None),
        ("null", None),
        ("NaN", None),
        ("Infinity", None),
        ("-Infinity", None),
        ('"5"', None),
        ("[1]", None),
        ('{"a": 1}', None),
    ],
)
def test_json_number(json_text: str, number: float | None) -> None:
    assert run_on_value(dialect.json_number(select_literal()), json_text) == number


def run_on_value(expression: ColumnElement[object], value: str | None) -> object:
    """Evaluate `expression` (over the bind parameter "value") in an in-memory SQLite."""
    result = expression.compile(
        dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}
    )
    params = [
        value if name == "value" else result.params[name] for name in result.positiontup or []
    ]
    return sqlite3.connect(":memory:").execute(f"SELECT {result}", params).fetchone()[0]


@pytest.mark.parametrize(
    ("document", "member"),
    [
        ('{"total_tokens": 60, "input_tokens": 35}', 60),
        ('{"input_tokens": 35}', None),
        ("not json", None),
        ("", None),
        (None, None),
    ],
)
def test_json_member_on_sqlite(document: str | None, member: int | None) -> None:
    assert run_on_value(dialect.json_member(select_literal(), "total_tokens"), document) == member


def test_json_member_on_postgresql() -> None:
    expression = dialect.json_member(trace_info.c.trace_name, "total_tokens")
    result = expression.compile(dialect=postgresql.dialect())
    assert str(result).startswith("CAST(trace_info.trace_name AS JSONB) ->> %(param_")
    assert list(result.params.values()) == ["total_tokens"]


# -- end to end on the real fixtures ------------------------------------------------------------

CHAT = "tr-6a0851c5009984c0295519cd96b86728"  # experiment 0: LangChain ChatOllama, 60 tokens
SPAN = "tr-9729c509c999a70f05e3f59e6457fca5"  # custom_tracing: mlflow.start_span() "span"
SOME_TRACING = "tr-31ad54ea3af264d5199108941f35bdac"  # @mlflow.trace some_tracing
COOL_SPAN = "tr-8994d05b63f61f086eee7e8a1d4106e8"  # my_cool_span > my_span (LLM), reranker_span
MY_SPAN = "tr-a5680d8a83e0c24b8a431f69a6dc3cad"  # my_span (LLM) with chat messages
OUTER = "tr-8a3d93a26e8534bbd41731f1c1a5d860"  # outer_span > innder_span
EVAL_WRIGHT = "tr-028977f65e7df04108efc43f2c04dcc3"  # evaluation: some_check false
EVAL_UNICORN = "tr-a92633126425ff7dc2c1b46ac10ea751"  # evaluation: some_check true
EVAL_SHAKESPEARE = "tr-358353f073e97a4a2cac5d7984bd4d01"  # evaluation: some_check false
THIS_TRACE = "tr-503509ec4d75959611014d375fa152ab"  # "This trace", 117 ms, no inputs
LAMBDA = "tr-82edcb6b94f88ac33e63b40f77e722e8"  # second evaluation: exp_out true
PREDICT = "tr-d38c517e699415ebefa97cf1d320ceaf"  # ResponsesAgent predict (AGENT span)
ALL = {
    CHAT,
    SPAN,
    SOME_TRACING,
    COOL_SPAN,
    MY_SPAN,
    OUTER,
    EVAL_WRIGHT,
    EVAL_UNICORN,
    EVAL_SHAKESPEARE,
    THIS_TRACE,
    LAMBDA,
    PREDICT,
}


@pytest.fixture(scope="module")
def store318(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One copy of the 3.18 fixture for the read-only tests of this module."""
    store = Store.open(copy_fixture("mlflow-3.18-tutorial", tmp_path_factory.mktemp("q318")))
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def store31(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(copy_fixture("mlflow-3.1-tutorial", tmp_path_factory.mktemp("q31")))
    yield store
    store.engine.dispose()


def ids(store: Store, filter_string: str | None) -> set[str]:
    """Matching trace ids over all experiments, checked against count_traces too."""
    page = store.reader.trace_page(None, filter_string=filter_string, limit=1000)
    found = {row.trace_id for row in page.rows}
    assert len(found) == len(page.rows) == store.reader.count_traces(None, filter_string)
    return found


#: What MLflow 3.18.0 returned for each filter on a copy of mlflow-3.18-tutorial/mlflow.db
#: (`MlflowClient.search_traces(locations=<all experiments>, filter_string=...)`).
MLFLOW_3_18: list[tuple[str, set[str]]] = [
    ("trace.status = 'OK'", ALL),
    ("attributes.status = 'OK'", ALL),
    ("status = 'OK'", ALL),
    ("trace.status != 'OK'", set()),
    ("trace.status IN ('OK', 'ERROR')", ALL),
    ("trace.status NOT IN ('OK')", set()),
    (
        "trace.timestamp_ms > 1795677603144",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT, LAMBDA, PREDICT, THIS_TRACE},
    ),
    ("trace.timestamp_ms >= 1795677603144", ALL - {CHAT, COOL_SPAN, MY_SPAN, SOME_TRACING, SPAN}),
    ("trace.timestamp < 1795677600045", {CHAT, SPAN}),
    ("trace.timestamp_ms <= 1795677600045", {CHAT, SOME_TRACING, SPAN}),
    ("trace.timestamp_ms = 1795677600045", {SOME_TRACING}),
    ("trace.timestamp_ms != 1795677600045", ALL - {SOME_TRACING}),
    ("trace.execution_time_ms >= 10", {CHAT, EVAL_WRIGHT, THIS_TRACE}),
    ("trace.execution_time_ms < 1", {LAMBDA, MY_SPAN, PREDICT, SOME_TRACING, SPAN}),
    ("trace.execution_time > 100", {THIS_TRACE}),
    ("trace.end_time_ms > 1795677606800", {LAMBDA, PREDICT, THIS_TRACE}),
    ("trace.name = 'ChatOllama'", {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("trace.name != 'ChatOllama'", ALL - {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("trace.name LIKE 'my%'", {COOL_SPAN, MY_SPAN}),
    ("trace.name LIKE '%span'", {COOL_SPAN, MY_SPAN, OUTER, SPAN}),
    ("trace.name LIKE '%SPAN'", set()),
    ("trace.name ILIKE '%SPAN'", {COOL_SPAN, MY_SPAN, OUTER, SPAN}),
    ("name = 'predict'", {PREDICT}),
    ("trace.request_id = 'tr-8994d05b63f61f086eee7e8a1d4106e8'", {COOL_SPAN}),
    (
        f"trace.request_id IN ('{COOL_SPAN}', '{PREDICT}')",
        {COOL_SPAN, PREDICT},
    ),
    ("trace.request_id LIKE 'tr-8%'", {COOL_SPAN, LAMBDA, OUTER}),
    ("trace.client_request_id = 'x'", set()),
    (
        "trace.run_id = 'd5b2747922674d6f94c58663cc62ba9c'",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    ("run_id = '7082f33920df4ef19608054f671777a9'", {LAMBDA}),
    ("trace.run_id != 'd5b2747922674d6f94c58663cc62ba9c'", {LAMBDA}),
    ("trace.run_id LIKE 'd5b%'", {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    (
        "metadata.mlflow.sourceRun = 'd5b2747922674d6f94c58663cc62ba9c'",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    (
        "metadata.`mlflow.sourceRun` != '7082f33920df4ef19608054f671777a9'",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    ("tag.mlflow.traceName = 'my_span'", {MY_SPAN}),
    ("tag.`mlflow.traceName` LIKE 'my%'", {COOL_SPAN, MY_SPAN}),
    ("tags.mlflow.traceName IS NULL", set()),
    ("tag.mlflow.traceName IS NOT NULL", ALL),
    (
        "tag.mlflow.eval.requestId IS NOT NULL",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT, LAMBDA},
    ),
    (
        "tag.mlflow.eval.requestId IS NULL",
        ALL - {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT, LAMBDA},
    ),
    ("tag.`mlflow.eval.requestId` = '3f06655f-ea9e-4644-bf4d-6500350b18ce'", {EVAL_UNICORN}),
    (
        "tag.`mlflow.eval.requestId` != '3f06655f-ea9e-4644-bf4d-6500350b18ce'",
        {EVAL_SHAKESPEARE, EVAL_WRIGHT, LAMBDA},
    ),
    ("tag.`mlflow.eval.requestId` LIKE '%E%'", set()),
    (
        "tag.`mlflow.eval.requestId` ILIKE '%E%'",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT, LAMBDA},
    ),
    ("tag.mlflow.trace.spansLocation = 'TRACKING_STORE'", ALL),
    ("tag.nonexistent = 'x'", set()),
    ("metadata.mlflow.user = 'root'", ALL),
    ("metadata.\"mlflow.user\" = 'root'", ALL),
    ("request_metadata.`mlflow.modelId` = 'm-866fdbfcfdf347319958a800541833d7'", {PREDICT}),
    ("metadata.mlflow.modelId IS NOT NULL", {PREDICT}),
    ("metadata.mlflow.modelId IS NULL", ALL - {PREDICT}),
    ("metadata.mlflow.traceInputs LIKE '%Romeo%'", {EVAL_SHAKESPEARE}),
    ("metadata.mlflow.traceInputs ILIKE '%romeo%'", {EVAL_SHAKESPEARE}),
    ("metadata.mlflow.traceOutputs = ''", {COOL_SPAN, OUTER, THIS_TRACE}),
    ("metadata.mlflow.trace.session IS NULL", ALL),
    (
        "metadata.mlflow.trace.tokenUsage IS NOT NULL",
        {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    (
        "metadata.mlflow.trace.tokenUsage IS NULL",
        ALL - {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    ("span.type = 'RERANKER'", {COOL_SPAN}),
    ("span.type = 'LLM'", {COOL_SPAN, MY_SPAN}),
    ("span.type != 'UNKNOWN'", ALL - {LAMBDA, OUTER, SOME_TRACING, SPAN, THIS_TRACE}),
    ("span.type IN ('AGENT', 'RERANKER')", {COOL_SPAN, PREDICT}),
    ("span.type NOT IN ('UNKNOWN', 'CHAT_MODEL')", {COOL_SPAN, MY_SPAN, PREDICT}),
    ("span.type = 'custom span'", {COOL_SPAN}),
    ("span.type LIKE 'CHAT%'", {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("span.type ILIKE 'chat%'", {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("span.name = 'innder_span'", {OUTER}),
    ("span.name LIKE '%span'", {COOL_SPAN, MY_SPAN, OUTER, SPAN}),
    ("span.status = 'OK'", ALL),
    ("span.status != 'OK'", set()),
    ("span.type = 'LLM' AND span.name = 'my_span'", {COOL_SPAN, MY_SPAN}),
    ("span.model = 'llama3.2:1b'", {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    (
        "span.model IN ('gpt-4o', 'llama3.2:1b') AND span.name = 'ChatOllama'",
        {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    ("span.model = 'llama3.2'", set()),
    ("span.type = 'LLM' AND span.name = 'reranker_span'", set()),
    ("span.name = 'my_span' AND trace.name = 'my_cool_span'", {COOL_SPAN}),
    ("span.content LIKE '%Romeo%'", {EVAL_SHAKESPEARE}),
    ("span.content ILIKE '%romeo%'", {EVAL_SHAKESPEARE}),
    ("span.attributes.mlflow.spanType LIKE '%RERANKER%'", {COOL_SPAN}),
    ("span.attributes.hello LIKE '%new_value%'", {SPAN}),
    ("span.attributes.attr1 ILIKE '%VALUE1%'", {COOL_SPAN}),
    ("trace.text LIKE '%Shakespeare%'", {EVAL_SHAKESPEARE}),
    ("trace.text ILIKE '%shakespeare%'", {EVAL_SHAKESPEARE}),
    ("trace.text LIKE '%Unicorn%'", {EVAL_UNICORN}),
    ("trace.text LIKE '%new_token%'", {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("trace.text LIKE '%tool%' AND span.type = 'LLM'", {MY_SPAN}),
    (
        "trace.text LIKE '%tool%' AND span.type = 'CHAT_MODEL'",
        {CHAT, EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    ("feedback.some_check = 'false'", {EVAL_SHAKESPEARE, EVAL_WRIGHT}),
    ("feedback.some_check = 'true'", {EVAL_UNICORN}),
    ("feedback.some_check != 'false'", {EVAL_UNICORN}),
    ('feedback.some_check = "false"', {EVAL_SHAKESPEARE, EVAL_WRIGHT}),
    ("feedback.exp_out = 'true'", {LAMBDA}),
    ("feedback.some_check IS NOT NULL", {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("feedback.some_check IS NULL", ALL - {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("feedback.some_check LIKE 'f%'", {EVAL_SHAKESPEARE, EVAL_WRIGHT}),
    ("feedback.some_check ILIKE 'F%'", {EVAL_SHAKESPEARE, EVAL_WRIGHT}),
    ("feedback.some_check > 0", set()),
    ("feedback.some_check >= 0", set()),
    ("expectation.expected_response = 'Unicorn'", {EVAL_UNICORN}),
    ("expectation.expected_response != 'Unicorn'", {EVAL_SHAKESPEARE, EVAL_WRIGHT}),
    ("expectation.expected_response LIKE '%Wright%'", {EVAL_WRIGHT}),
    ("expectation.expected_response IS NOT NULL", {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT}),
    ("expectation.exp = 'expectations value'", {LAMBDA}),
    ("expectation.missing IS NULL", ALL),
    (
        "trace.status = 'OK' AND trace.execution_time_ms > 5",
        {CHAT, EVAL_UNICORN, EVAL_WRIGHT, THIS_TRACE},
    ),
    (
        "trace.status = 'OK' AND tag.mlflow.eval.requestId IS NOT NULL "
        "AND feedback.some_check = 'false'",
        {EVAL_SHAKESPEARE, EVAL_WRIGHT},
    ),
    ("trace.timestamp_ms > 1795677600000 AND span.type = 'LLM'", {COOL_SPAN, MY_SPAN}),
    (
        "tag.mlflow.eval.requestId IS NOT NULL and trace.name = 'ChatOllama'",
        {EVAL_SHAKESPEARE, EVAL_UNICORN, EVAL_WRIGHT},
    ),
    (
        "trace.status = 'OK' AND metadata.mlflow.user = 'root' AND span.name LIKE 'my%'",
        {COOL_SPAN, MY_SPAN},
    ),
    ("trace.prompt = 'qa/1'", set()),
    ("trace.execution_time_ms > '5'", {CHAT, EVAL_UNICORN, EVAL_WRIGHT, THIS_TRACE}),
]


@pytest.mark.parametrize(("filter_string", "expected"), MLFLOW_3_18)
def test_same_traces_as_mlflow(store318: Store, filter_string: str, expected: set[str]) -> None:
    assert ids(store318, filter_string) == expected


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        # the examples
        ("span.type = 'RERANKER'", {COOL_SPAN}),
        ("feedback.some_check = false", {EVAL_WRIGHT, EVAL_SHAKESPEARE}),
        # OR, NOT and parentheses (MLflow has AND only)
        ("trace.name = 'predict' OR trace.name = 'span'", {PREDICT, SPAN}),
        (
            "trace.name = 'predict' OR span.type = 'RERANKER' OR feedback.exp_out = true",
            {PREDICT, COOL_SPAN, LAMBDA},
        ),
        (
            "NOT trace.name = 'ChatOllama'",
            ALL - {CHAT, EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE},
        ),
        (
            "NOT tag.mlflow.eval.requestId IS NOT NULL",
            ALL - {EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE, LAMBDA},
        ),
        (
            "(trace.name = 'ChatOllama' OR trace.name = '<lambda>') "
            "AND feedback.some_check = 'true'",
            {EVAL_UNICORN},
        ),
        (
            "trace.name = 'ChatOllama' OR trace.name = '<lambda>' AND feedback.some_check = 'true'",
            {CHAT, EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE},
        ),
        ("NOT (span.type = 'UNKNOWN' OR span.type = 'CHAT_MODEL')", {COOL_SPAN, MY_SPAN, PREDICT}),
        # "no span is UNKNOWN" differs from "some span is not UNKNOWN"
        ("NOT span.type = 'UNKNOWN'", ALL - {SPAN, SOME_TRACING, OUTER, THIS_TRACE, LAMBDA}),
        ("span.type != 'LLM' AND trace.name = 'my_cool_span'", {COOL_SPAN}),
        ("NOT span.type = 'LLM' AND trace.name = 'my_cool_span'", set()),
        # span conditions in one AND describe one span; under OR, any spans
        ("span.name = 'reranker_span' AND span.type = 'RERANKER'", {COOL_SPAN}),
        ("span.name = 'my_span' AND span.type = 'RERANKER'", set()),
        ("(span.name = 'my_span' OR trace.status = 'X') AND span.type = 'RERANKER'", {COOL_SPAN}),
        # IN where MLflow has none, keywords in any case
        ("trace.name IN ('span', 'predict')", {SPAN, PREDICT}),
        ("tag.mlflow.eval.requestId in ('3f06655f-ea9e-4644-bf4d-6500350b18ce')", {EVAL_UNICORN}),
        ("run_id IN ('7082f33920df4ef19608054f671777a9', 'nope')", {LAMBDA}),
        (
            "trace.state = 'OK' and not trace.execution_time_ms >= 1",
            {SPAN, SOME_TRACING, MY_SPAN, LAMBDA, PREDICT},
        ),
        # feedback extensions: bare booleans, numeric equality
        ("feedback.some_check = TRUE", {EVAL_UNICORN}),
        ("feedback.some_check != false", {EVAL_UNICORN}),
        ("feedback.some_check = 1", set()),  # a boolean is not the number 1, as MLflow's > rule
        ('expectation.expected_response = "Wright Brothers"', {EVAL_WRIGHT}),
        ("expectation.expected_response LIKE '\"W%'", {EVAL_WRIGHT, EVAL_SHAKESPEARE}),
        ("expectation.expected_response LIKE 'W%'", set()),  # LIKE sees the JSON quotes
        # trace fields MLflow lacks
        ("trace.total_tokens > 40", {CHAT, EVAL_WRIGHT}),
        ("trace.total_tokens IS NULL", ALL - {CHAT, EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE}),
        ("trace.input_tokens <= 36", {CHAT, EVAL_SHAKESPEARE}),
        ("trace.output_tokens < 25", {EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE}),
        ("trace.session_id IS NULL", ALL),
        ("trace.request_preview LIKE '%Romeo%'", {EVAL_SHAKESPEARE}),
        ("trace.response_preview ILIKE '%unicorn%'", {EVAL_UNICORN}),
        ("trace.request_preview IS NULL", {COOL_SPAN, THIS_TRACE}),
        ("trace.end_time_ms >= 1795677606902 AND trace.timestamp_ms < 1795677606800", {THIS_TRACE}),
        # quoting
        (
            "tag.`mlflow.trace.spansLocation` = \"TRACKING_STORE\" AND trace.name = 'predict'",
            {PREDICT},
        ),
        ("metadata.'mlflow.modelId' LIKE 'm-866%'", {PREDICT}),
    ],
)
def test_beyond_mlflow(store318: Store, filter_string: str, expected: set[str]) -> None:
    assert ids(store318, filter_string) == expected


def test_filters_combine_with_experiments_and_paging(store318: Store) -> None:
    reader = store318.reader
    assert {
        r.trace_id for r in reader.trace_page(["2"], filter_string="trace.name = 'ChatOllama'").rows
    } == {EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE}
    assert reader.count_traces(["0", "1"], "trace.name = 'ChatOllama'") == 1
    walked: list[str] = []
    page = reader.trace_page(None, filter_string="trace.status = 'OK' AND NOT tag.x = 'y'", limit=5)
    while True:
        walked += [r.trace_id for r in page.rows]
        if page.next_key is None:
            break
        page = reader.trace_page(
            None,
            filter_string="trace.status = 'OK' AND NOT tag.x = 'y'",
            limit=5,
            after=page.next_key,
        )
    assert len(walked) == len(set(walked)) == 12


def test_reader_fixture_db318(db318: Path) -> None:
    """The conftest fixture works the same: filter, search and count through one Store."""
    store = Store.open(db318)
    try:
        assert store.reader.search_trace_ids(["1"], filter_string="span.type = 'LLM'") == [
            MY_SPAN,
            COOL_SPAN,
        ]
        assert store.reader.count_traces(None, "feedback.some_check = 'false'") == 2
    finally:
        store.engine.dispose()


# MLflow 3.1.4 layout: names are tags, tokens are JSON metadata, no spans or assessments tables.
CHAT_31 = "79f98d58f0324d999fc0ae7d47ead55e"
SPAN_31 = "2794ddbf513f46da8d3a138256c960d9"
SOME_TRACING_31 = "781e49290e2a49f4a68078f9fff3c724"
COOL_SPAN_31 = "b5585930609d4bddb5afabd7424ba300"
MY_SPAN_31 = "d27c3043d02049dbbd60e5aa2818252b"
OUTER_31 = "f83d789b1c264b819a85f69e07088f60"
ERROR_31 = "3ea16b8d2d41430ca5ca3c7ab14f4cf8"  # "This trace", status ERROR


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("trace.name = 'ChatOllama'", {CHAT_31}),
        ("tag.mlflow.traceName LIKE 'my%'", {COOL_SPAN_31, MY_SPAN_31}),
        (
            "trace.name ILIKE '%SPAN' AND NOT trace.name = 'span'",
            {COOL_SPAN_31, MY_SPAN_31, OUTER_31},
        ),
        ("trace.status = 'ERROR'", {ERROR_31}),
        ("trace.status = 'ERROR' OR trace.execution_time_ms > 20", {ERROR_31, CHAT_31}),
        ("trace.total_tokens = 60", {CHAT_31}),
        ("trace.output_tokens > 1 AND trace.total_tokens < 61", {CHAT_31}),
        ("metadata.mlflow.trace.tokenUsage LIKE '%\"total_tokens\": 60%'", {CHAT_31}),
        ("metadata.mlflow.traceInputs = '\"Input request\"'", {SPAN_31}),
        ("trace.request_preview LIKE '%inp%'", {SOME_TRACING_31}),
        (
            "trace.session_id IS NULL",
            {CHAT_31, SPAN_31, SOME_TRACING_31, COOL_SPAN_31, MY_SPAN_31, OUTER_31, ERROR_31},
        ),
        ("run_id = 'abc'", set()),
    ],
)
def test_older_layout(store31: Store, filter_string: str, expected: set[str]) -> None:
    assert ids(store31, filter_string) == expected


def test_older_layout_refuses_span_filters(db31: Path) -> None:
    store = Store.open(db31)
    try:
        with pytest.raises(QuerySyntaxError, match=r"keeps spans only in traces\.json files"):
            store.reader.trace_page(None, filter_string="span.type = 'LLM'")
    finally:
        store.engine.dispose()


def test_tag_filter_plan_seeks_indexes(store318: Store) -> None:
    """EXPLAIN QUERY PLAN: every subquery searches by key; only trace_info itself is scanned."""
    filter_string = (
        "tag.env = 'prod' AND metadata.k = 'v' AND span.type = 'LLM' AND feedback.f = 'x' "
        "AND run_id = 'r'"
    )
    expression = compile_filter(filter_string, store318.layout)
    assert expression is not None
    statement = (
        select(trace_info.c.request_id)
        .where(expression)
        .order_by(trace_info.c.timestamp_ms.desc())
        .limit(100)
    )
    result = statement.compile(
        dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}
    )
    params = [result.params[name] for name in result.positiontup or []]
    path = Path(str(store318.location.path))
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {result}", params)]
    assert (
        "SEARCH trace_tags USING INDEX sqlite_autoindex_trace_tags_1 (key=? AND request_id=?)"
        in plan
    )
    assert any(p.startswith("SEARCH trace_request_metadata USING INDEX") for p in plan)
    assert any(p.startswith("SEARCH spans USING") and "trace_id=?" in p for p in plan)
    assert any(p.startswith("SEARCH assessments USING") and "trace_id=?" in p for p in plan)
    assert any(p.startswith("SEARCH entity_associations USING") for p in plan)
    scans = [p for p in plan if p.startswith("SCAN")]
    assert scans and all("trace_info" in p for p in scans)


# -- hand-made rows in a copy ---------------------------------------------------------------------


@pytest.fixture
def session_store(tmp_path: Path) -> Iterator[Store]:
    """The 3.18 fixture plus a session-level feedback, as MLflow writes one (its metadata names
    the session), a plain one, and an overridden (invalid) one."""
    path = copy_fixture("mlflow-3.18-tutorial", tmp_path)
    with sqlite3.connect(path) as connection:
        connection.executescript(SESSION_ROWS)
    store = Store.open(path)
    yield store
    store.engine.dispose()


SESSION_ROWS = f"""
UPDATE trace_info SET session_id = 's1'
    WHERE request_id IN ('{THIS_TRACE}', '{PREDICT}', '{LAMBDA}');
UPDATE trace_info SET session_id = 's2' WHERE request_id = '{SPAN}';
INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value,
    created_timestamp, last_updated_timestamp, source_type, valid, assessment_metadata,
    experiment_id, is_numeric_value, aggregate_value)
VALUES
    ('a-sess1', '{THIS_TRACE}', 'coherent', 'feedback', '0.8', 1, 1, 'LLM_JUDGE', 1,
        '{{"mlflow.trace.session": "s1"}}', 2, 1, 0.8),
    ('a-plain', '{SPAN}', 'coherent', 'feedback', '0.3', 1, 1, 'LLM_JUDGE', 1,
        '{{}}', 1, 1, 0.3),
    ('a-old', '{SOME_TRACING}', 'coherent', 'feedback', '0.9', 1, 1, 'LLM_JUDGE', 0,
        '{{}}', 1, 1, 0.9);
"""


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        # recorded from MLflow 3.18.0 on a copy with exactly SESSION_ROWS applied
        ("feedback.coherent > 0.5", {THIS_TRACE, LAMBDA, PREDICT}),
        ("feedback.coherent = '0.8'", {THIS_TRACE, LAMBDA, PREDICT}),
        ("feedback.coherent IS NOT NULL", {THIS_TRACE, LAMBDA, PREDICT, SPAN}),
        ("feedback.coherent IS NULL", ALL - {THIS_TRACE, LAMBDA, PREDICT, SPAN}),
        ("feedback.coherent < 0.5", {SPAN}),
        ("feedback.coherent >= 0.3", {THIS_TRACE, LAMBDA, PREDICT, SPAN}),
        # ours
        ("feedback.coherent = 0.8", {THIS_TRACE, LAMBDA, PREDICT}),
        ("feedback.coherent = 0.9", set()),  # the overridden assessment is not valid
        ("NOT feedback.coherent > 0.5 AND trace.session_id = 's1'", set()),
        ("trace.session_id = 's1'", {THIS_TRACE, LAMBDA, PREDICT}),
        ("metadata.mlflow.trace.session IN ('s2')", {SPAN}),
    ],
)
def test_session_level_assessments(
    session_store: Store, filter_string: str, expected: set[str]
) -> None:
    assert ids(session_store, filter_string) == expected


@pytest.fixture
def odd_tags_store(tmp_path: Path) -> Iterator[Store]:
    """Tag values with LIKE/GLOB special characters, case and non-ASCII letters."""
    path = copy_fixture("mlflow-3.18-tutorial", tmp_path)
    values = {
        CHAT: "a*b",
        SPAN: "a?b",
        SOME_TRACING: "[draft]",
        COOL_SPAN: "100%",
        MY_SPAN: "x_y",
        OUTER: "Prod",
        PREDICT: "größe",
        LAMBDA: "it's",
    }
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO trace_tags (key, value, request_id) VALUES ('odd', ?, ?)",
            [(value, trace) for trace, value in values.items()],
        )
    store = Store.open(path)
    yield store
    store.engine.dispose()


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("tag.odd LIKE 'a*b'", {CHAT}),
        ("tag.odd LIKE 'a_b'", {CHAT, SPAN}),
        ("tag.odd LIKE 'a?b'", {SPAN}),
        ("tag.odd LIKE '[%'", {SOME_TRACING}),
        ("tag.odd LIKE '[draft]'", {SOME_TRACING}),
        ("tag.odd LIKE '%\\%'", set()),  # no ESCAPE clause: backslash is literal, as in MLflow
        ("tag.odd LIKE '100%'", {COOL_SPAN}),
        ("tag.odd LIKE 'prod'", set()),
        ("tag.odd ILIKE 'prod'", {OUTER}),
        ("tag.odd = 'prod'", set()),
        ("tag.odd LIKE 'gr__e'", {PREDICT}),
        ("tag.odd = 'it''s'", {LAMBDA}),
        ("tag.odd != 'Prod'", {CHAT, SPAN, SOME_TRACING, COOL_SPAN, MY_SPAN, PREDICT, LAMBDA}),
        (
            "tag.odd NOT IN ('Prod', 'a*b')",
            {SPAN, SOME_TRACING, COOL_SPAN, MY_SPAN, PREDICT, LAMBDA},
        ),
        ("NOT tag.odd = 'Prod'", ALL - {OUTER}),  # NOT also keeps traces without the tag
        ("tag.odd IS NULL", {EVAL_WRIGHT, EVAL_UNICORN, EVAL_SHAKESPEARE, THIS_TRACE}),
    ],
)
def test_like_special_characters_and_null_rules(
    odd_tags_store: Store, filter_string: str, expected: set[str]
) -> None:
    assert ids(odd_tags_store, filter_string) == expected


# -- order by --------------------------------------------------------------------------------------


def rendered(keys: list[OrderKey]) -> list[str]:
    return [
        f"{k.expression.compile(dialect=sqlite.dialect())} {'DESC' if k.descending else 'ASC'}"
        for k in keys
    ]


def test_default_order_is_newest_first_then_id() -> None:
    assert rendered(compile_order_by(None, LAYOUT_318)) == [
        "trace_info.timestamp_ms DESC",
        "trace_info.request_id DESC",
    ]
    assert compile_order_by([], LAYOUT_318)[0].expression is trace_info.c.timestamp_ms


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (["timestamp_ms ASC"], ["trace_info.timestamp_ms ASC", "trace_info.request_id ASC"]),
        (["trace.timestamp"], ["trace_info.timestamp_ms ASC", "trace_info.request_id ASC"]),
        (["request_time desc"], ["trace_info.timestamp_ms DESC", "trace_info.request_id DESC"]),
        (
            ["status"],
            ["trace_info.status ASC", "trace_info.timestamp_ms DESC", "trace_info.request_id DESC"],
        ),
        (
            ["attributes.state DESC", "request_id ASC"],
            ["trace_info.status DESC", "trace_info.request_id ASC", "trace_info.timestamp_ms DESC"],
        ),
        (
            ["execution_time_ms DESC"],
            [
                "CASE WHEN (trace_info.execution_time_ms IS NULL) THEN ? ELSE ? END ASC",
                "coalesce(trace_info.execution_time_ms, ?) DESC",
                "trace_info.timestamp_ms DESC",
                "trace_info.request_id DESC",
            ],
        ),
        (
            ["experiment_id", "timestamp_ms DESC"],
            [
                "trace_info.experiment_id ASC",
                "trace_info.timestamp_ms DESC",
                "trace_info.request_id DESC",
            ],
        ),
    ],
)
def test_order_keys(items: list[str], expected: list[str]) -> None:
    assert rendered(compile_order_by(items, LAYOUT_318)) == expected


@pytest.mark.parametrize(
    "item",
    [
        "timestamp_ms",
        "timestamp",
        "execution_time_ms",
        "execution_duration",
        "end_time_ms",
        "status",
        "state",
        "name",
        "trace_name",
        "request_id",
        "trace_id",
        "experiment_id",
        "run_id",
        "session_id",
        "session",
        "total_tokens",
        "tokens",
        "tag.env",
        "tag.`mlflow.traceName`",
        "metadata.mlflow.user",
        "metadata.mlflow.trace.session",
    ],
)
@pytest.mark.parametrize("layout", [LAYOUT_318, LAYOUT_31], ids=["3.18", "3.1"])
def test_every_order_field_is_never_null(item: str, layout: Layout) -> None:
    """Each key, selected over rows whose optional values are all NULL, is never NULL."""
    from sqlalchemy import create_engine

    engine = create_engine("sqlite://")
    tables = [metadata.tables[n] for n in ("trace_info", "trace_tags", "trace_request_metadata")]
    metadata.create_all(engine, tables=tables)
    with engine.begin() as connection:
        connection.execute(
            trace_info.insert(),
            [{"request_id": "t", "experiment_id": 0, "timestamp_ms": 1, "status": "OK"}],
        )
        for descending in (False, True):
            keys = compile_order_by([f"{item} {'DESC' if descending else 'ASC'}"], layout)
            row = connection.execute(select(*(k.expression for k in keys))).one()
            assert None not in row
            assert sum(k.expression is trace_info.c.request_id for k in keys) == 1


#: MLflow 3.18.0's `search_traces(order_by=[...])` on the 3.18 fixture, every trace in order.
MLFLOW_ORDERS = {
    # exec 10 ms ties (EVAL_WRIGHT, CHAT) fall back to the newest first
    "execution_time_ms DESC": [
        THIS_TRACE,
        EVAL_WRIGHT,
        CHAT,
        EVAL_UNICORN,
        EVAL_SHAKESPEARE,
        OUTER,
        COOL_SPAN,
        PREDICT,
        LAMBDA,
        MY_SPAN,
        SOME_TRACING,
        SPAN,
    ],
    "execution_time_ms ASC": [
        PREDICT,
        LAMBDA,
        MY_SPAN,
        SOME_TRACING,
        SPAN,
        OUTER,
        COOL_SPAN,
        EVAL_SHAKESPEARE,
        EVAL_UNICORN,
        EVAL_WRIGHT,
        CHAT,
        THIS_TRACE,
    ],
    # binary collation: lower case after upper case, '<' first
    "name DESC": [
        SPAN,
        SOME_TRACING,
        PREDICT,
        OUTER,
        MY_SPAN,
        COOL_SPAN,
        THIS_TRACE,
        EVAL_SHAKESPEARE,
        EVAL_UNICORN,
        EVAL_WRIGHT,
        CHAT,
        LAMBDA,
    ],
    # traces without the tag come last
    "tag.mlflow.eval.requestId ASC": [
        LAMBDA,
        EVAL_UNICORN,
        EVAL_WRIGHT,
        EVAL_SHAKESPEARE,
        PREDICT,
        THIS_TRACE,
        OUTER,
        MY_SPAN,
        COOL_SPAN,
        SOME_TRACING,
        SPAN,
        CHAT,
    ],
    "status ASC": [
        PREDICT,
        LAMBDA,
        THIS_TRACE,
        EVAL_SHAKESPEARE,
        EVAL_UNICORN,
        EVAL_WRIGHT,
        OUTER,
        MY_SPAN,
        COOL_SPAN,
        SOME_TRACING,
        SPAN,
        CHAT,
    ],
}


@pytest.mark.parametrize("order", list(MLFLOW_ORDERS))
def test_orders_match_mlflow_and_page_by_keyset(store318: Store, order: str) -> None:
    reader = store318.reader
    assert reader.search_trace_ids(None, order_by=[order]) == MLFLOW_ORDERS[order]
    walked: list[str] = []
    page = reader.trace_page(None, order_by=[order], limit=2)
    while True:
        walked += [row.trace_id for row in page.rows]
        if page.next_key is None:
            break
        page = reader.trace_page(None, order_by=[order], limit=2, after=page.next_key)
    assert walked == MLFLOW_ORDERS[order]


def test_older_layout_sorts_by_tokens_from_metadata(store31: Store) -> None:
    ordered = store31.reader.search_trace_ids(None, order_by=["total_tokens DESC"])
    assert ordered[0] == CHAT_31
    ordered = store31.reader.search_trace_ids(None, order_by=["total_tokens ASC"])
    assert ordered[0] == CHAT_31  # missing values last in both directions, as in MLflow


@pytest.mark.parametrize(
    ("item", "position", "reason"),
    [
        ("", 0, "Expected a field to order by"),
        ("DESC", 0, "Unknown order-by field 'DESC'"),
        ("colour DESC", 0, "Unknown order-by field 'colour'. Order by end_time_ms"),
        ("span.name", 0, "Unknown order-by field 'span.name'"),
        ("timestamp_ms DOWN", 13, "Expected ASC or DESC"),
        ("timestamp_ms 'DESC'", 13, "Expected ASC or DESC"),
        ("timestamp_ms DESC name", 18, "Expected the end after ASC or DESC"),
        ("(timestamp_ms)", 0, "Expected a field to order by"),
    ],
)
def test_order_by_errors(item: str, position: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_order_by([item], LAYOUT_318)
    assert caught.value.position == position
    assert reason in caught.value.reason
    assert caught.value.text == item


def test_order_by_rejects_a_field_given_twice() -> None:
    with pytest.raises(QuerySyntaxError, match="given twice"):
        compile_order_by(["timestamp_ms DESC", "request_time ASC"], LAYOUT_318)


def test_orders_by_cost_and_by_user(tmp_path: Path) -> None:
    """TraceDesk's own order fields: the cost column (missing last) and the trace's user, else
    the `mlflow.user` who ran it (the app's Cost and User columns sort by these)."""
    db = copy_fixture("mlflow-3.18-tutorial", tmp_path)
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE trace_info SET total_cost = 0.5 WHERE request_id = ?", (SPAN,))
        connection.execute("UPDATE trace_info SET total_cost = 0.1 WHERE request_id = ?", (CHAT,))
        connection.execute("DELETE FROM trace_request_metadata WHERE key LIKE '%user'")
        connection.executemany(
            "INSERT INTO trace_request_metadata (key, value, request_id) VALUES (?, ?, ?)",
            [
                ("mlflow.trace.user", "bob", OUTER),
                ("mlflow.user", "ann", MY_SPAN),
                ("mlflow.user", "zed", COOL_SPAN),
                ("mlflow.trace.user", "carl", COOL_SPAN),  # the trace's user wins
            ],
        )
    store = Store.open(db)
    try:
        reader = store.reader
        for order in ("total_cost DESC", "cost DESC"):
            assert reader.search_trace_ids(None, order_by=[order])[:2] == [SPAN, CHAT]
        assert reader.search_trace_ids(None, order_by=["total_cost ASC"])[:2] == [CHAT, SPAN]
        by_user = reader.search_trace_ids(None, order_by=["user ASC"])
        assert by_user[:3] == [MY_SPAN, OUTER, COOL_SPAN]
        assert reader.search_trace_ids(None, order_by=["user DESC"])[:3] == [
            COOL_SPAN,
            OUTER,
            MY_SPAN,
        ]
    finally:
        store.engine.dispose()
