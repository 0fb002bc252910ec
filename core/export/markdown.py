"""A trace or a span as Markdown to paste into an issue or a chat: the facts, the span tree
with durations, the conversation by role and the errors with their exception messages.

Everything the traced program wrote (names, messages, exception text) is untrusted: it goes
only into code spans and fenced code blocks, whose delimiters are longer than any run of
backticks in it, so a pasted summary cannot grow links, images, HTML or headings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from core.entities import Span, Trace
from core.messages import Conversation, Message, span_conversation
from core.mlflow_keys import CHAT_MESSAGES_KEY

#: Tree lines a summary shows before it says how many it left out.
TREE_ROWS = 300
#: Characters of one message, one value or one exception message shown.
TEXT_CHARS = 4000
#: Characters of a name or preview shown inline.
INLINE_CHARS = 200
#: Error spans listed.
ERRORS_SHOWN = 20
_BACKTICKS = re.compile(r"`+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ROLE_TITLES = {
    "system": "System",
    "user": "User",
    "assistant": "Assistant",
    "tool": "Tool",
    "other": "Other",
}
_CHAT_TYPES = {"LLM", "CHAT_MODEL"}


# -- inert text -------------------------------------------------------------------------------


def code(text: str | None, limit: int = INLINE_CHARS) -> str:
    """`text` as one inline code span (one line, cut at `limit`); "—" when there is none."""
    if text is None or not str(text).strip():
        return "—"
    line = " ".join(_CONTROL.sub(" ", str(text)).split())
    line = _cut(line, limit)
    runs = {len(run) for run in _BACKTICKS.findall(line)}
    ticks = next(n for n in range(1, len(runs) + 2) if n not in runs)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{'`' * ticks}{pad}{line}{pad}{'`' * ticks}"


def fence(text: str, language: str = "") -> list[str]:
    """`text` as a fenced code block (lines), fenced longer than any backtick run inside."""
    body = _cut(text.replace("\x00", "\ufffd"), TEXT_CHARS)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return [f"{ticks}{language}", *body.splitlines(), ticks]


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


# -- numbers ----------------------------------------------------------------------------------


def duration_text(ns: int | None) -> str:
    if ns is None:
        return "unfinished"
    if ns < 1_000_000:
        return f"{ns / 1e3:.0f} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.0f} ms"
    return f"{ns / 1e9:.2f} s"


def _utc(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# -- the summaries ----------------------------------------------------------------------------


def trace_markdown(trace: Trace) -> str:
    """A trace: its facts, span tree, conversation and errors."""
    info, spans = trace.info, list(trace.data.spans)
    errors = [s for s in spans if s.status_code == "ERROR"]
    usage = info.token_usage
    lines = [
        f"## Trace {code(info.trace_id)}: {code(info.name)}",
        "",
        f"- **State:** {info.state.value}",
        f"- **Started:** {_utc(info.request_time)}",
        f"- **Duration:** {_ms_text(info.execution_duration)}",
    ]
    if usage is not None:
        lines.append(
            f"- **Tokens:** {usage.total_tokens or 0:,} "
            f"(in {usage.input_tokens or 0:,}, out {usage.output_tokens or 0:,})"
        )
    lines += [
        f"- **Spans:** {len(spans):,}" + (f" ({len(errors):,} with errors)" if errors else ""),
        f"- **Request:** {code(info.request_preview)}",
        f"- **Response:** {code(info.response_preview)}",
    ]
    lines += [f"- **Note:** {code(problem)}" for problem in trace.problems]
    lines += _tree_section(spans, None)
    found = trace_conversation(spans)
    if found is not None:
        span, conversation = found
        lines += ["", f"### Conversation (span {code(span.name)})", ""]
        lines += _trimmed(conversation_lines(conversation))
    lines += _errors_section(errors)
    return "\n".join(lines) + "\n"


def span_markdown(trace: Trace, span: Span) -> str:
    """One span of `trace`: its facts, the spans under it, its conversation (else its inputs
    and outputs) and the errors in it and under it."""
    spans = list(trace.data.spans)
    below = _subtree(spans, span)
    lines = [
        f"## Span {code(span.name)} in trace {code(trace.info.trace_id)}",
        "",
        f"- **Type:** {code(span.span_type)}",
        f"- **Status:** {span.status_code}"
        + (f" {code(span.status_message)}" if span.status_message else ""),
        f"- **Duration:** {duration_text(span.duration_ns)}",
        f"- **Span ID:** {code(span.span_id)}",
    ]
    if len(below) > 1:
        lines += _tree_section(below, span)
    conversation = conversation_of(span)
    if conversation is not None:
        lines += ["", "### Conversation", ""]
        lines += _trimmed(conversation_lines(conversation))
    else:
        for title, value in (("Inputs", span.inputs), ("Outputs", span.outputs)):
            if value is not None:
                lines += ["", f"### {title}", "", *fence(_json_text(value), "json")]
    lines += _errors_section([s for s in below if s.status_code == "ERROR"])
    return "\n".join(lines) + "\n"


def traces_markdown(traces: Iterable[Trace]) -> str:
    """Several traces' summaries, one after another, parted by rules."""
    return "\n---\n\n".join(trace_markdown(trace) for trace in traces)


# -- sections ---------------------------------------------------------------------------------


def _tree_section(spans: Sequence[Span], top: Span | None) -> list[str]:
    if not spans:
        return ["", "### Spans", "", "No spans were recorded."]
    rows = tree_lines(spans, top)
    shown = rows[:TREE_ROWS]
    if len(rows) > TREE_ROWS:
        shown.append(f"… {len(rows) - TREE_ROWS:,} more spans")
    return ["", "### Spans", "", *fence("\n".join(shown), "text")]


def tree_lines(spans: Sequence[Span], top: Span | None = None) -> list[str]:
    """One line per span, indented under its parent: name, type, duration, an error mark."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in ids and s is not top else None
        children.setdefault(parent, []).append(s)
    lines: list[str] = []
    stack = [(s, 0) for s in reversed(_by_start(children.get(None, [])))]
    while stack:
        s, depth = stack.pop()
        kind = f" [{s.span_type}]" if s.span_type else ""
        mark = "  ERROR" if s.status_code == "ERROR" else ""
        name = " ".join(_CONTROL.sub(" ", s.name).split()) or "(unnamed)"
        lines.append(f"{'  ' * depth}{_cut(name, 120)}{kind}  {duration_text(s.duration_ns)}{mark}")
        stack += [(c, depth + 1) for c in reversed(_by_start(children.get(s.span_id, [])))]
    return lines


def conversation_lines(conversation: Conversation) -> list[str]:
    """The messages by role, each text fenced; tool calls with their arguments."""
    lines: list[str] = []
    for message in (*conversation.inputs, *conversation.outputs):
        lines += _message_lines(message)
    return lines


def _message_lines(message: Message) -> list[str]:
    title = _ROLE_TITLES.get(message.role, "Other")
    said = f" ({code(message.label)})" if message.label else ""
    named = f" {code(message.name)}" if message.name else ""
    lines = [f"**{title}**{said}{named}", ""]
    if message.text:
        lines += [*fence(message.text), ""]
    for call in message.tool_calls:
        lines += [f"Tool call {code(call.name)}", ""]
        if call.arguments:
            lines += [*fence(call.arguments, "json" if call.is_json else ""), ""]
    return lines


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _errors_section(errors: Sequence[Span]) -> list[str]:
    if not errors:
        return []
    lines = ["", "### Errors", ""]
    for s in errors[:ERRORS_SHOWN]:
        status = f": {code(s.status_message)}" if s.status_message else ""
        lines += [f"- Span {code(s.name)}{status}"]
        for event in s.events:
            if event.name != "exception":
                continue
            kind = event.attributes.get("exception.type")
            text = str(event.attributes.get("exception.message") or "")
            lines += ["", f"  Exception {code(str(kind) if kind else None)}", ""]
            lines += ["  " + line if line else "" for line in fence(text)]
        lines.append("")
    if len(errors) > ERRORS_SHOWN:
        lines.append(f"… {len(errors) - ERRORS_SHOWN:,} more spans with errors")
    return _trimmed(lines)


# -- finding things ---------------------------------------------------------------------------


def conversation_of(span: Span) -> Conversation | None:
    """The chat in a span's inputs and outputs (or MLflow's older `mlflow.chat.messages`)."""
    if span.decode_error:
        return None
    return span_conversation(span.inputs, span.outputs, span.get_attribute(CHAT_MESSAGES_KEY))


def trace_conversation(spans: Sequence[Span]) -> tuple[Span, Conversation] | None:
    """The conversation a trace is about: its root span's, else the last chat model call's
    (the one that saw the most of it)."""
    roots = [s for s in spans if s.parent_id is None]
    chats = [s for s in _by_start(spans) if s.span_type in _CHAT_TYPES]
    for span in [*roots, *reversed(chats)]:
        found = conversation_of(span)
        if found is not None and (found.inputs or found.outputs):
            return span, found
    return None


def _subtree(spans: Sequence[Span], top: Span) -> list[Span]:
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        children.setdefault(s.parent_id, []).append(s)
    out, stack = [], [top]
    while stack:
        s = stack.pop()
        out.append(s)
        stack += children.get(s.span_id, [])
    return out


def _by_start(spans: Iterable[Span]) -> list[Span]:
    return sorted(spans, key=lambda s: s.start_time_ns)


def _ms_text(ms: int | None) -> str:
    """A trace's duration (kept in whole ms: 0 means under one)."""
    if ms == 0:
        return "< 1 ms"
    return duration_text(None if ms is None else ms * 1_000_000)


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
