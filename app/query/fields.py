"""What the filter bar offers: the fields, keywords and examples of core's filter language.

The fields, their meanings and the operators come from core's field table
(`core.query.fields`), the list the parser itself resolves names with, so the help and the
completer cannot drift from what the language accepts. Plain data (no Qt): the completer, the
help popover and the tests read the same lists, and a test compiles every example against a
real store so the help never teaches a broken query.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import query as language


@dataclass(frozen=True)
class FieldHelp:
    """One field (or field prefix, ending in a dot) and what it means."""

    name: str
    meaning: str


def field_help(spec: language.FieldSpec) -> FieldHelp:
    """A row of the help for one field of the table.

    A field with a free key (`tag.<key>`) is offered as its prefix (`tag.`) and says its shape;
    a field that takes only one or two operators says which.
    """
    name, meaning = spec.name, spec.meaning
    if "<" in name:
        name, meaning = name[: name.index("<")], f"{name}: {meaning}"
    if len(spec.operators) <= 2:
        meaning += f" ({' / '.join(spec.operators)} only)"
    return FieldHelp(name, meaning)


TRACE_FIELDS = tuple(field_help(spec) for spec in language.TRACE_FIELDS)
SCOPED_FIELDS = tuple(field_help(spec) for spec in language.SCOPED_FIELDS)
FIELDS = TRACE_FIELDS + SCOPED_FIELDS

#: The operators as the help shows them, a list operator with its parentheses.
OPERATORS = tuple(f"{op} (…)" if op.endswith("IN") else op for op in language.OPERATORS)
_WORD_OPERATORS = tuple(
    op for op in language.OPERATORS if op[0].isalpha() and not op.startswith("NOT ")
)
KEYWORDS = ("AND", "OR", "NOT", *_WORD_OPERATORS, "TRUE", "FALSE")

EXAMPLES = (
    ("trace.status = 'ERROR'", "traces that failed"),
    ("span.type = 'RETRIEVER' AND trace.execution_time_ms > 2000", "slow retrievals"),
    ("trace.name LIKE 'chat%' OR tag.env = 'prod'", "OR, NOT and parentheses work"),
    ("trace.text ILIKE '%timeout%'", "any span mentions a timeout"),
    ("NOT span.type = 'LLM'", "no LLM call at all"),
    ("trace.status IN ('ERROR', 'IN_PROGRESS')", "a list of values"),
    ("feedback.relevance >= 0.5", "scored by an evaluation"),
    ("metadata.mlflow.trace.user = 'alice'", "metadata keys may contain dots"),
    ("trace.total_tokens IS NULL", "no token counts reported"),
)


def completions() -> list[str]:
    """Every word the completer offers: fields (short spellings too) and keywords."""
    words = [f.name for f in FIELDS]
    words += [f.name.removeprefix("trace.") for f in TRACE_FIELDS]
    return sorted(set(words), key=lambda w: (w.count(".") == 0, w.lower())) + list(KEYWORDS)
