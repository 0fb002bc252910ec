"""What the span detail tabs show, as text or escaped HTML (no Qt): inputs, outputs and
attributes as pretty JSON, the span's raw MLflow JSON, and its events."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

from app.messages.formats import Conversation, pretty_json, span_conversation
from app.messages.highlight import MONO_FONTS, code_block
from app.messages.render import EXPAND_PREFIX, size_text
from app.spans.colors import ERROR_COLOR, span_duration_text
from core.entities import Span, SpanEvent
from core.mlflow_keys import INPUTS_KEY, OUTPUTS_KEY

#: Stored JSON text longer than this is shown as stored (compact) instead of re-indented:
#: decoding and re-encoding tens of megabytes would stall the window.
PRETTY_LIMIT = 2 * 1024 * 1024
EVENTS_SHOWN = 200
EVENT_VALUE_CHARS = 400
CHAT_MESSAGES_KEY = "mlflow.chat.messages"


def value_text(span: Span, key: str) -> tuple[str, str]:
    """(text, language) of one attribute: pretty JSON, or the text itself for a string."""
    raw = span.raw_attributes.get(key)
    if raw is None:
        return "", "text"
    if isinstance(raw, str) and len(raw) > PRETTY_LIMIT:
        return raw, "json"
    value = span.get_attribute(key)
    if isinstance(value, str):
        text, is_json = pretty_json(value)
        return text, "json" if is_json else "text"
    return json.dumps(value, indent=2, ensure_ascii=False, default=str), "json"


def inputs_text(span: Span) -> tuple[str, str]:
    return value_text(span, INPUTS_KEY)


def outputs_text(span: Span) -> tuple[str, str]:
    return value_text(span, OUTPUTS_KEY)


def attributes_text(span: Span) -> str:
    """Every attribute except inputs and outputs (they have their own tabs), decoded."""
    shown = {k: v for k, v in span.attributes.items() if k not in (INPUTS_KEY, OUTPUTS_KEY)}
    return json.dumps(shown, indent=2, ensure_ascii=False, default=str) if shown else ""


def raw_json_text(span: Span) -> str:
    """MLflow's JSON for the span (`Span.to_dict()`), as the Copy button puts it."""
    return json.dumps(span.to_dict(), indent=2)


def raw_tab_text(span: Span) -> tuple[str, str]:
    """What the Raw JSON tab shows: the JSON, or for an unreadable span the stored text too."""
    if not span.decode_error:
        return raw_json_text(span), "json"
    stored = span.document if isinstance(span.document, str) else repr(span.document)
    return (
        f"This span's stored JSON could not be read: {span.decode_error}.\n\n"
        f"Stored text ({len(stored):,} characters):\n{stored}\n\n"
        f"What the span's columns still say:\n{raw_json_text(span)}",
        "text",
    )


def conversation_of(span: Span) -> Conversation | None:
    """The chat in the span's inputs and outputs; values too big to decode at once are skipped."""
    if span.decode_error:
        return None
    values = [_decoded_if_small(span, key) for key in (INPUTS_KEY, OUTPUTS_KEY, CHAT_MESSAGES_KEY)]
    return span_conversation(*values)


def _decoded_if_small(span: Span, key: str) -> Any:
    raw = span.raw_attributes.get(key)
    if raw is None or (isinstance(raw, str) and len(raw) > PRETTY_LIMIT):
        return None
    return span.get_attribute(key)


def chat_json(span: Span) -> str:
    """The span's inputs and outputs, for copying from the Chat tab."""
    value = {"inputs": span.inputs, "outputs": span.outputs}
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def events_json(span: Span) -> str:
    """The span's events as MLflow writes them, for copying."""
    return json.dumps([e.to_dict() for e in span.events], indent=2, default=str)


def _offset_text(event: SpanEvent, span: Span) -> str:
    offset = event.timestamp_ns - span.start_time_ns
    sign = "+" if offset >= 0 else "-"
    return f"{sign}{span_duration_text(abs(offset))}"


class EventsHtml:
    """A span's events: exceptions with type, message and stack trace; others as key/values."""

    def __init__(self, dark: bool = False, expanded: Iterable[str] = ()) -> None:
        self.dark = dark
        self.expanded = set(expanded)

    def render(self, span: Span) -> str:
        events = span.events
        if not events:
            return '<p style="color:gray">This span recorded no events.</p>'
        limit = len(events) if "all-events" in self.expanded else EVENTS_SHOWN
        parts = [self.event(e, span, i) for i, e in enumerate(events[:limit])]
        if len(events) > limit:
            parts.append(
                f'<p><span style="color:gray">{limit:,} of {len(events):,} events shown. </span>'
                f'<a href="#{EXPAND_PREFIX}all-events">Show all {len(events):,} events</a></p>'
            )
        return "".join(parts)

    def event(self, event: SpanEvent, span: Span, number: int) -> str:
        title = (
            f'<p style="margin-top:6px; margin-bottom:2px"><b>{html.escape(event.name)}</b> '
            f'<span style="color:gray">· {_offset_text(event, span)}</span></p>'
        )
        if event.name == "exception":
            return title + self._exception(event.attributes)
        rows = [
            self._row(key, value, f"e{number}-{index}")
            for index, (key, value) in enumerate(event.attributes.items())
        ]
        if not rows:
            return title
        return title + f'<table cellspacing="0" cellpadding="2">{"".join(rows)}</table>'

    def _row(self, key: str, value: Any, fold_key: str) -> str:
        text = (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        )
        shown = html.escape(text if fold_key in self.expanded else text[:EVENT_VALUE_CHARS])
        if len(text) > EVENT_VALUE_CHARS and fold_key not in self.expanded:
            shown += f' … <a href="#{EXPAND_PREFIX}{fold_key}">Show all ({size_text(text)})</a>'
        return (
            f'<tr><td style="color:gray; font-family:{MONO_FONTS}; padding-right:8px">'
            f'{html.escape(key)}</td><td style="font-family:{MONO_FONTS}">{shown}</td></tr>'
        )

    def _exception(self, attributes: Any) -> str:
        kind = str(attributes.get("exception.type") or "Exception")
        message = str(attributes.get("exception.message") or "")
        trace = str(attributes.get("exception.stacktrace") or "")
        out = (
            f'<p style="margin-top:0; margin-bottom:4px"><span style="color:{ERROR_COLOR}; '
            f'font-weight:700">{html.escape(kind)}</span>: {html.escape(message)}</p>'
        )
        if trace:
            out += code_block(trace.rstrip("\n"), "pytb", self.dark)
        others = {
            k: v
            for k, v in attributes.items()
            if k not in ("exception.type", "exception.message", "exception.stacktrace")
        }
        rows = [self._row(k, v, f"x-{k}") for k, v in others.items()]
        if rows:
            out += f'<table cellspacing="0" cellpadding="2">{"".join(rows)}</table>'
        return out
