"""A `Conversation` as escaped rich text: one coloured block per message (no Qt).

Roles have their own colour and label, tool calls show the function and its pretty-printed
arguments, and a tool result links to the call it answers (`#call-...` anchors, which the view
scrolls to itself). Long texts fold: the first part is shown with a "Show all" link that the
view turns into a re-render with that block expanded. Nothing from the data is left unescaped.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable

from app.messages.formats import (
    ASSISTANT,
    OTHER,
    SYSTEM,
    TOOL,
    USER,
    Conversation,
    Message,
    pretty_json,
)
from app.messages.highlight import MONO_FONTS, code_block
from app.messages.markdown import to_html

#: Message texts and tool arguments longer than this are folded until "Show all" is clicked.
FOLD_CHARS = 6000
CALL_PREFIX = "call-"
EXPAND_PREFIX = "expand-"

ROLE_COLORS = {  # (light theme, dark theme): each readable on its own background
    SYSTEM: ("#6d28d9", "#c4b5fd"),
    USER: ("#1d4ed8", "#93c5fd"),
    ASSISTANT: ("#047857", "#6ee7b7"),
    TOOL: ("#b45309", "#fcd34d"),
    OTHER: ("#475569", "#cbd5e1"),
}
ROLE_LABELS = {
    SYSTEM: "System",
    USER: "User",
    ASSISTANT: "Assistant",
    TOOL: "Tool",
    OTHER: "Message",
}


def call_anchor(call_id: str) -> str:
    """A safe anchor name for a tool call id (ids are untrusted text of any shape)."""
    return CALL_PREFIX + hashlib.sha1(call_id.encode("utf-8")).hexdigest()[:16]


def size_text(text: str) -> str:
    size = len(text.encode("utf-8"))
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class ConversationHtml:
    """Renders one conversation; `expanded` names the folded blocks the user opened."""

    def __init__(self, dark: bool = False, expanded: Iterable[str] = ()) -> None:
        self.dark = dark
        self.expanded = set(expanded)
        self._calls: set[str] = set()

    def color(self, role: str) -> str:
        light, dark = ROLE_COLORS.get(role, ROLE_COLORS[OTHER])
        return dark if self.dark else light

    def render(self, conversation: Conversation) -> str:
        self._calls = {
            c.call_id
            for m in (*conversation.inputs, *conversation.outputs)
            for c in m.tool_calls
            if c.call_id
        }
        parts = [_muted(f"Recognised as {html.escape(conversation.format)}")]
        sections = (("Input", conversation.inputs), ("Output", conversation.outputs))
        for title, messages in sections:
            if not messages:
                continue
            parts.append(_section_title(title))
            parts.extend(self.message(m, f"{title[0]}{i}") for i, m in enumerate(messages))
        return "".join(parts)

    def message(self, message: Message, key: str) -> str:
        color = self.color(message.role)
        body = [self._header(message, color)]
        if message.text and message.role == TOOL:
            text, is_json = pretty_json(message.text)
            body.append(self._folded(text, key, language="json" if is_json else "text"))
        elif message.text:
            body.append(self._folded(message.text, key, markdown=True))
        for number, call in enumerate(message.tool_calls):
            body.append(
                self._tool_call(
                    call.name, call.arguments, call.call_id, call.is_json, f"{key}c{number}"
                )
            )
        if not message.text and not message.tool_calls:
            body.append(_muted("(empty)"))
        return (
            '<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom:10px">'
            f'<tr><td width="4" bgcolor="{color}"></td>'
            f'<td style="padding-left:10px; padding-top:2px; padding-bottom:2px">{"".join(body)}'
            "</td></tr></table>"
        )

    def _header(self, message: Message, color: str) -> str:
        label = ROLE_LABELS.get(message.role, "Message")
        if message.label:
            label = message.label
        pieces = [f'<span style="color:{color}; font-weight:700">{html.escape(label)}</span>']
        if message.name:
            pieces.append(f'<span style="color:gray">{html.escape(message.name)}</span>')
        if message.tool_call_id:
            call_id = message.tool_call_id
            shown = f'<span style="font-family:{MONO_FONTS}">{html.escape(call_id)}</span>'
            if call_id in self._calls:
                shown = f'<a href="#{call_anchor(call_id)}">{shown}</a>'
            pieces.append(f'<span style="color:gray">result of call</span> {shown}')
        return f'<p style="margin-top:0; margin-bottom:4px">{" · ".join(pieces)}</p>'

    def _tool_call(
        self, name: str, arguments: str, call_id: str | None, is_json: bool, key: str
    ) -> str:
        color = self.color(TOOL)
        anchor = f'<a name="{call_anchor(call_id)}"></a>' if call_id else ""
        head = (
            f'<p style="margin-top:4px; margin-bottom:2px">{anchor}'
            f'<span style="color:{color}; font-weight:700">Tool call</span> '
            f'<span style="font-family:{MONO_FONTS}; font-weight:600">{html.escape(name)}</span>'
        )
        if call_id:
            head += (
                f' <span style="color:gray">· id</span> '
                f'<span style="font-family:{MONO_FONTS}; color:gray">{html.escape(call_id)}</span>'
            )
        head += "</p>"
        if not arguments:
            return head
        return head + self._folded(arguments, key, language="json" if is_json else "text")

    def _folded(self, text: str, key: str, markdown: bool = False, language: str = "text") -> str:
        folded = len(text) > FOLD_CHARS and key not in self.expanded
        shown = text[:FOLD_CHARS] if folded else text
        if markdown:
            out = to_html(shown, self.dark)
        elif language != "text":
            out = code_block(shown, language, self.dark)
        else:
            out = (
                f'<pre style="margin:0; font-family:{MONO_FONTS}; white-space:pre-wrap">'
                f"{html.escape(shown)}</pre>"
            )
        if folded:
            out += (
                f'<p style="margin-top:2px">{_muted("… folded: ")}'
                f'<a href="#{EXPAND_PREFIX}{key}">Show all ({size_text(text)})</a></p>'
            )
        return out


def _section_title(title: str) -> str:
    return (
        '<p style="margin-top:8px; margin-bottom:6px; color:gray; font-weight:600; '
        f'font-size:90%">{title.upper()}</p>'
    )


def _muted(escaped: str) -> str:
    return f'<span style="color:gray; font-size:90%">{escaped}</span>'
