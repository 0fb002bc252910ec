"""A chat with an agent as escaped rich text, drawn like the explorer's chat (no Qt).

Each turn is the user's message, the agent's output items (messages, tool calls, tool
outputs, reasoning) in the explorer's role colours, and a footer: how long it took and a link
to its trace (`#trace-<id>`, which the chat view turns into `trace_requested`), or what went
wrong. A message still streaming ends with a cursor mark.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.agents.conversation import DONE, FAILED, PARTIAL, STOPPED, STREAMING, WAITING, Turn
from app.formatting import duration
from app.messages.formats import ASSISTANT, USER, Message, messages_from_value
from app.messages.highlight import MONO_FONTS
from app.messages.render import ConversationHtml

TRACE_PREFIX = "trace-"
CURSOR = " ▍"
#: Trace ids become link targets only when they look like ids (they come from a child process).
_TRACE_ID = re.compile(r"^[\w.:-]{1,200}$")
ERROR_COLORS = ("#b91c1c", "#fca5a5")


def trace_link(trace_id: str) -> str | None:
    """The anchor fragment that opens `trace_id`, or None for an id that is not safe as one."""
    return TRACE_PREFIX + trace_id if _TRACE_ID.match(trace_id) else None


def turn_messages(turn: Turn) -> list[Message]:
    """The messages of a turn, user first; streamed messages carry what came so far."""
    messages = [Message(USER, turn.user_text)]
    for item in turn.items:
        if PARTIAL in item:
            messages.append(Message(ASSISTANT, str(item[PARTIAL]) + CURSOR))
            continue
        found = messages_from_value({"output": [item]})
        if found is not None:
            messages.extend(found[0])
        else:  # an item type the explorer does not know: shown, as JSON, not dropped
            messages.append(Message(ASSISTANT, _json_block(item), label=str(item.get("type"))))
    return messages


def _json_block(item: Mapping[str, Any]) -> str:
    return "```json\n" + json.dumps(item, indent=2, default=str, ensure_ascii=False) + "\n```"


class TranscriptHtml(ConversationHtml):
    """Renders the turns of one conversation (the explorer's message blocks, turn footers)."""

    def render_turns(self, turns: Sequence[Turn], intro: str = "") -> str:
        per_turn = [turn_messages(turn) for turn in turns]
        self._calls = {  # tool results link to their calls anywhere in the conversation
            call.call_id
            for messages in per_turn
            for m in messages
            for call in m.tool_calls
            if call.call_id is not None
        }
        parts = [_muted(html.escape(intro))] if intro else []
        for number, (turn, messages) in enumerate(zip(turns, per_turn, strict=True)):
            if number:
                parts.append(self._rule())
            parts.extend(self.message(m, f"t{number}m{i}") for i, m in enumerate(messages))
            parts.append(self._footer(turn))
        return "".join(parts)

    def _rule(self) -> str:
        """A thin line between two turns."""
        color = "#334155" if self.dark else "#e2e8f0"
        return (
            '<table width="100%" cellspacing="0" cellpadding="0" style="margin-top:2px; '
            f'margin-bottom:10px"><tr><td height="1" bgcolor="{color}" style="font-size:1px">'
            "</td></tr></table>"
        )

    def _footer(self, turn: Turn) -> str:
        pieces: list[str] = []
        if turn.state == WAITING:
            pieces.append(_muted("Waiting for the agent…"))
        elif turn.state == STREAMING:
            count = "1 event" if turn.events == 1 else f"{turn.events} events"
            pieces.append(_muted(f"Streaming… ({count})"))
        elif turn.state == DONE:
            pieces.append(_muted(f"Answered in {duration(_ms(turn.duration_s))}"))
        elif turn.state == STOPPED:
            pieces.append(_muted("Stopped."))
        pieces.extend(self._trace_pieces(turn))
        footer = " · ".join(pieces)
        error = self._error_block(turn) if turn.state in (FAILED, STOPPED) else ""
        return f'{error}<p style="margin-top:0; margin-bottom:8px">{footer}</p>'

    def _trace_pieces(self, turn: Turn) -> Iterable[str]:
        if turn.trace_id:
            target = trace_link(turn.trace_id)
            shown = f'<span style="font-family:{MONO_FONTS}">{html.escape(turn.trace_id)}</span>'
            if target is not None:
                yield f'<a href="#{html.escape(target)}">Open trace</a> {shown}'
            else:
                yield _muted("trace ") + shown
        elif turn.state == DONE:
            yield _muted("no trace was written")

    def _error_block(self, turn: Turn) -> str:
        if not turn.error:
            return ""
        color = ERROR_COLORS[1] if self.dark else ERROR_COLORS[0]
        text = html.escape(turn.error)
        detail = ""
        if turn.detail:
            detail = (
                f'<pre style="margin:2px 0 0 0; font-family:{MONO_FONTS}; white-space:pre-wrap; '
                f'color:gray">{html.escape(turn.detail)}</pre>'
            )
        return (
            '<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom:6px">'
            f'<tr><td width="4" bgcolor="{color}"></td>'
            f'<td style="padding-left:10px"><p style="margin:0; color:{color}; '
            f'font-weight:700">{"Failed" if turn.state == FAILED else "Stopped"}</p>'
            f'<pre style="margin:0; font-family:{MONO_FONTS}; white-space:pre-wrap">{text}</pre>'
            f"{detail}</td></tr></table>"
        )


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def _muted(escaped: str) -> str:
    return f'<span style="color:gray; font-size:90%">{escaped}</span>'
