"""The parser of the trace filter language: text in, a syntax tree (`core.query.tree`) out.

The language takes MLflow's `search_traces` filter strings (`trace.status = 'OK' AND
tag.env = 'prod'`) and goes beyond them with OR, NOT and parentheses. Parsing knows no SQL and
no database; `core.store.filter_sql` compiles the tree for one database's layout.

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

The fields, what each accepts and their spellings are the field table, `core.query.fields`.
Each field takes only its operators, and a value of its kind: a number for timestamps, times
and token counts (quoted numbers too, as MLflow accepts them), a quoted string otherwise.

Differences from MLflow, on purpose (the SQL-level ones are in `core.store.filter_sql`):

* OR, NOT, parentheses, `trace.state`, `trace.session_id`, previews and token counts are ours;
  IN / NOT IN also work on tags, metadata and `run_id`; IS [NOT] NULL on optional trace fields.
* Bare `TRUE` / `FALSE` and numbers are accepted for `feedback.` / `expectation.` equality
  (MLflow requires a quoted string); a number compares numerically (`feedback.score = 1`).
* Prefixes and trace field names are case-insensitive; MLflow's quirk of treating
  `tag.name` or `feedback.text` as trace fields is not copied: a prefix means what it says.
* A doubled quote inside a string is one quote; MLflow passes it through doubled.
* RLIKE and `issue.` are not supported (SQLite has no REGEXP unless the app registers one).
* `span.attributes.<key>` accepts only LIKE / ILIKE; MLflow accepts `=` but it never matches.

Limits, so that every filter parses, compiles and runs without exhausting a stack (Python's,
or SQLite's parser and expression tree), each a `QuerySyntaxError` at the place it is passed:

* parentheses and NOT nest at most `MAX_NESTING` deep;
* at most `MAX_COMPARISONS` comparisons, and `MAX_LIST_VALUES` values in all IN lists;
* a LIKE / ILIKE pattern has at most `MAX_PATTERN` characters (SQLite refuses 50,000 bytes);
* numbers fit a BIGINT or a float, and the text holds no NUL or lone surrogate (the tokenizer).

Every problem raises `QuerySyntaxError` with the 0-based position of the first problem, what
was found there and what was expected.
"""

from __future__ import annotations

from typing import NoReturn

from core.query.errors import fail
from core.query.fields import (
    FIELD_HELP,
    MEMBERSHIP,
    NULLNESS,
    ORDERING,
    PATTERN,
    Field,
    Values,
    resolve_field,
)
from core.query.tokens import NUMBER, Kind, Token, number_value, tokenize
from core.query.tree import And, Comparison, Node, Not, Or, Value, combine

#: How deep parentheses and NOT may nest: far beyond what anyone writes, and well within what
#: compiling the SQL needs of Python's stack (about 14 frames a level).
MAX_NESTING = 32
#: Comparisons in one filter: each adds up to five levels to SQLite's expression tree, which
#: stops at 1,000, and compiling 100 assessment tests already takes seconds.
MAX_COMPARISONS = 100
#: Values in all IN lists together, each a bound parameter (PostgreSQL's driver takes 65,535).
MAX_LIST_VALUES = 10_000
#: Characters in one LIKE / ILIKE pattern: SQLite refuses patterns over 50,000 bytes, and the
#: GLOB translation of `core.store.dialect` takes up to three bytes a character.
MAX_PATTERN = 10_000


def parse_filter(text: str) -> Node:
    """The syntax tree of filter `text` (not blank); raises `QuerySyntaxError`."""
    return Parser(text).parse()


class Parser:
    """Recursive descent over the token list; each method parses one grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0  # parentheses and NOTs around the cursor
        self.comparisons = 0
        self.list_values = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: Kind) -> bool:
        # A method rather than `self.token.kind is ...` so mypy does not narrow across advance().
        return self.token.kind is kind

    def at_keyword(self, *words: str) -> bool:
        return self.at(Kind.KEYWORD) and self.token.value in words

    def fail(self, message: str, expected: str) -> NoReturn:
        """Fail at the current token, saying what was found there."""
        fail(self.text, self.token.position, f"{message}, found {self.token.describe()}", expected)

    def parse(self) -> Node:
        node = self.or_expression()
        if self.at(Kind.RPAREN):
            message = "Unbalanced parentheses: this ')' has no matching '('"
            fail(self.text, self.token.position, message, "AND, OR or the end of the filter")
        if not self.at(Kind.END):
            self.fail(
                "Expected AND, OR or the end of the filter", "AND, OR or the end of the filter"
            )
        return node

    def or_expression(self) -> Node:
        operands = [self.and_expression()]
        while self.at_keyword("OR"):
            self.advance()
            operands.append(self.and_expression())
        return combine(Or, operands)

    def and_expression(self) -> Node:
        operands = [self.not_expression()]
        while self.at_keyword("AND"):
            self.advance()
            operands.append(self.not_expression())
        return combine(And, operands)

    def not_expression(self) -> Node:
        if self.at_keyword("NOT"):
            self.enter()
            node = Not(self.not_expression())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        if not self.at(Kind.LPAREN):
            return self.comparison()
        self.enter()
        node = self.or_expression()
        if not self.at(Kind.RPAREN):
            self.fail("Expected ')' to close an earlier '('", "')'")
        self.advance()
        self.depth -= 1
        return node

    def enter(self) -> None:
        """Step into a '(' or NOT at the cursor, failing there when it nests too deep."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            fail(
                self.text,
                self.token.position,
                f"Parentheses and NOT nest more than {MAX_NESTING} levels deep here; "
                "simplify the filter",
                expected="a less deeply nested filter",
            )
        self.advance()

    def comparison(self) -> Comparison:
        if not self.at(Kind.NAME):
            self.fail(f"Expected a field such as {FIELD_HELP}", "a field")
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            fail(
                self.text,
                self.token.position,
                f"The filter has more than {MAX_COMPARISONS} comparisons; test many values "
                "with IN (...) or narrow the search in steps",
                expected="fewer comparisons",
            )
        field = resolve_field(self.text, self.advance())
        operator = self.operator(field)
        value_position = self.token.position
        value = self.value(field, operator)
        if operator in PATTERN and len(str(value)) > MAX_PATTERN:
            fail(
                self.text,
                value_position,
                f"This pattern is too long: {operator} takes at most {MAX_PATTERN:,} "
                f"characters, this one has {len(str(value)):,}",
                expected="a shorter pattern",
            )
        return Comparison(field, operator, value, value_position)

    def operator(self, field: Field) -> str:
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
            fail(
                self.text,
                position,
                f"{field.written} cannot be compared with {operator}; use one of {listed}",
                expected=f"one of {listed}",
            )
        return operator

    def read_operator(self) -> str | None:
        """The operator at the cursor (consumed), or None when there is none."""
        token = self.token
        if token.kind is Kind.OPERATOR or self.at_keyword("LIKE", "ILIKE", "IN"):
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
            return self.read_is_null()
        return None

    def read_is_null(self) -> str:
        """IS [NOT] NULL, the cursor on IS."""
        self.advance()
        negated = self.at_keyword("NOT")
        if negated:
            self.advance()
        if not self.at_keyword("NULL"):
            self.fail("Expected NULL after IS" + (" NOT" if negated else ""), "NULL")
        self.advance()
        return "IS NOT NULL" if negated else "IS NULL"

    def value(self, field: Field, operator: str) -> Value:
        if operator in NULLNESS:
            return None
        if operator in MEMBERSHIP:
            return self.string_list(field)
        if field.values is Values.NUMBER:
            return self.number(field)
        if field.values is Values.ASSESSMENT:
            return self.assessment_value(field, operator)
        return self.string(field)

    def string(self, field: Field) -> str:
        if not self.at(Kind.STRING):
            self.fail(
                f"Expected a quoted string value for {field.written} (e.g. 'value')",
                "a quoted string",
            )
        return str(self.advance().value)

    def number(self, field: Field) -> int | float:
        token = self.token
        # MLflow accepts a quoted number too ("trace.timestamp_ms > '1700000000000'").
        quoted = token.kind is Kind.STRING and NUMBER.fullmatch(str(token.value).strip())
        if token.kind is not Kind.NUMBER and not quoted:
            self.fail(f"Expected a number for {field.written}", "a number")
        self.advance()
        if token.kind is Kind.NUMBER:
            number: int | float = token.value  # in range: the tokenizer checked it
            return number
        return number_value(str(token.value), self.text, token.position)

    def assessment_value(self, field: Field, operator: str) -> Value:
        if operator in ORDERING:
            return self.number(field)
        if operator in PATTERN:
            return self.string(field)
        if self.at_keyword("TRUE", "FALSE"):
            return bool(self.advance().value == "TRUE")
        if self.at(Kind.NUMBER):
            number: int | float = self.advance().value
            return number
        if self.at(Kind.STRING):
            return str(self.advance().value)
        self.fail(f"Expected {field.values.value} for {field.written}", field.values.value)

    def string_list(self, field: Field) -> tuple[str, ...]:
        if not self.at(Kind.LPAREN):
            self.fail(f"Expected '(' and a list of quoted strings for {field.written}", "'('")
        self.advance()
        values = [self.list_value(field)]
        while self.at(Kind.COMMA):
            self.advance()
            values.append(self.list_value(field))
        if not self.at(Kind.RPAREN):
            self.fail("Expected ',' or ')' in the list of values", "',' or ')'")
        self.advance()
        return tuple(values)

    def list_value(self, field: Field) -> str:
        """One quoted string of an IN list, counted against `MAX_LIST_VALUES`."""
        self.list_values += 1
        if self.list_values > MAX_LIST_VALUES:
            fail(
                self.text,
                self.token.position,
                f"The filter lists more than {MAX_LIST_VALUES:,} values; narrow the search in "
                "steps",
                expected="fewer values",
            )
        return self.string(field)
