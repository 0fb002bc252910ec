"""What the filter bar offers: the fields, keywords and examples of core's filter language.

Plain data (no Qt): the completer, the help popover and the tests read the same lists, and a
test compiles every example against a real store so the help never teaches a broken query.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldHelp:
    """One field (or field prefix, ending in a dot) and what it means."""

    name: str
    meaning: str


TRACE_FIELDS = (
    FieldHelp("trace.status", "OK, ERROR or IN_PROGRESS"),
    FieldHelp("trace.name", "the trace's name"),
    FieldHelp("trace.request_id", "the trace id"),
    FieldHelp("trace.timestamp_ms", "start time, ms since 1970"),
    FieldHelp("trace.execution_time_ms", "duration in ms"),
    FieldHelp("trace.end_time_ms", "end time, ms since 1970"),
    FieldHelp("trace.session_id", "the conversation it belongs to"),
    FieldHelp("trace.client_request_id", "the caller's request id"),
    FieldHelp("trace.run_id", "the run it is linked to"),
    FieldHelp("trace.total_tokens", "tokens of all LLM calls"),
    FieldHelp("trace.input_tokens", "prompt tokens"),
    FieldHelp("trace.output_tokens", "completion tokens"),
    FieldHelp("trace.request_preview", "the start of the input"),
    FieldHelp("trace.response_preview", "the start of the output"),
    FieldHelp("trace.text", "any span's JSON (LIKE / ILIKE only)"),
)
SCOPED_FIELDS = (
    FieldHelp("tag.", "tag.<key>: a trace tag"),
    FieldHelp("metadata.", "metadata.<key>: trace metadata"),
    FieldHelp("span.name", "some span's name"),
    FieldHelp("span.type", "LLM, CHAT_MODEL, RETRIEVER, RERANKER, TOOL, AGENT, CHAIN…"),
    FieldHelp("span.status", "some span's status: OK, ERROR, UNSET"),
    FieldHelp("span.content", "some span's JSON (LIKE / ILIKE only)"),
    FieldHelp("span.attributes.", "span.attributes.<key> LIKE '…'"),
    FieldHelp("feedback.", "feedback.<name>: a scorer's or a reviewer's value"),
    FieldHelp("expectation.", "expectation.<name>: a ground-truth value"),
)
FIELDS = TRACE_FIELDS + SCOPED_FIELDS

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN (…)", "IS NULL")
KEYWORDS = ("AND", "OR", "NOT", "LIKE", "ILIKE", "IN", "IS NULL", "IS NOT NULL", "TRUE", "FALSE")

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
