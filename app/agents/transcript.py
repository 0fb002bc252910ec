"""A chat with an agent as escaped rich text, drawn like the explorer's chat (no Qt).

Each turn is the user's message, the agent's output items (messages, tool calls, tool
outputs, reasoning) in the explorer's role colours, and a footer: how long it took and a link
to its trace (`#trace-<id>`, which the chat view turns into `trace_requested`), or what went
wrong. A message still streaming ends with a cursor mark.

A replay (issue 18) starts with the recorded conversation, under a note naming its trace, and
the replayed turn ends with the recorded answer, set apart, and whether the new one differs.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.agents.conversation import DONE, FAILED, PARTIAL, STOPPED, STREAMING, WAITING, Turn
from app.agents.recorded import RecordedTurn, same_answer
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


def history_messages(recorded: RecordedTurn) -> list[Message]:
    """The recorded conversation before a replayed turn, item by item (unknown items as JSON)."""
    messages: list[Message] = []
    for item in recorded.history:
        found = messages_from_value({"input": [item]})
        if found is not None:
            messages.extend(found[0])
        else:
            messages.append(Message(ASSISTANT, _json_block(item), label=str(item.get("type"))))
    return messages


def _json_block(item: Mapping[str, Any]) -> str:
    return "```json\n" + json.dumps(item, indent=2, default=str, ensure_ascii=False) + "\n```"


class TranscriptHtml(ConversationHtml):
    """Renders the turns of one conversation (the explorer's message blocks, turn footers)."""

    def render_turns(
        self, turns: Sequence[Turn], intro: str = "", replay: RecordedTurn | None = None
    ) -> str:
        per_turn = [turn_messages(turn) for turn in turns]
        history = history_messages(replay) if replay is not None else []
        recorded = [m for t in turns if t.replay_of is not None for m in t.replay_of.recorded]
        self._calls = {  # tool results link to their calls anywhere in the conversation
            call.call_id
            for messages in (*per_turn, history, recorded)
            for m in messages
            for call in m.tool_calls
            if call.call_id is not None
        }
        parts = [_muted(html.escape(intro))] if intro else []
        if replay is not None:
            parts.append(self._replay_head(replay, len(history)))
            parts.extend(self.message(m, f"h{i}") for i, m in enumerate(history))
            if history:
                parts.append(self._rule())
        for number, (turn, messages) in enumerate(zip(turns, per_turn, strict=True)):
            if number:
                parts.append(self._rule())
            parts.extend(self.message(m, f"t{number}m{i}") for i, m in enumerate(messages))
            parts.append(self._footer(turn))
            if turn.replay_of is not None:
                parts.append(self._recorded_answer(turn, turn.replay_of, number))
        return "".join(parts)

    # -- replays (issue 18) -------------------------------------------------------------------

    def _replay_head(self, replay: RecordedTurn, count: int) -> str:
        """What is replayed: the trace (a link), the agent, and what came before the turn."""
        link = trace_link(replay.trace_id)
        shown = f'<span style="font-family:{MONO_FONTS}">{html.escape(replay.trace_id)}</span>'
        source = f'<a href="#{html.escape(link)}">{shown}</a>' if link else shown
        before = (
            f"the {count} recorded message{'s' if count != 1 else ''} before it are sent with it"
            if count
            else "it was the conversation's first message"
        )
        text = (
            f"<b>Replay of trace</b> {source} in {html.escape(replay.model_label)}: its last "
            f"user message is sent again; {html.escape(before)}."
        )
        return f'<p style="margin-top:0; margin-bottom:8px">{text}</p>'

    def _recorded_answer(self, turn: Turn, recorded: RecordedTurn, number: int) -> str:
        """The answer recorded in the trace, set apart, and whether the new answer differs."""
        background = "#1e293b" if self.dark else "#f1f5f9"
        pieces = ['<span style="font-weight:700">Recorded answer</span>']
        link = trace_link(recorded.trace_id)
        if link is not None:
            pieces.append(f'<a href="#{html.escape(link)}">Open recorded trace</a>')
        if turn.state == DONE:
            same = same_answer(turn.answer_text(), recorded.recorded_text)
            pieces.append(
                _muted("the same text as the new answer" if same else "differs from the new answer")
            )
        body = [f'<p style="margin-top:0; margin-bottom:6px">{" · ".join(pieces)}</p>']
        body.extend(self.message(m, f"r{number}m{i}") for i, m in enumerate(recorded.recorded))
        if recorded.recorded_error:
            color = ERROR_COLORS[1] if self.dark else ERROR_COLORS[0]
            error = html.escape(recorded.recorded_error)
            body.append(f'<p style="margin:0; color:{color}">The recorded turn failed: {error}</p>')
        elif not recorded.recorded:
            body.append(_muted("The trace recorded no answer."))
        return (
            '<table width="100%" cellspacing="0" cellpadding="8" style="margin-bottom:10px">'
            f'<tr><td bgcolor="{background}">{"".join(body)}</td></tr></table>'
        )

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
