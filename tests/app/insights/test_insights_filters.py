"""The filters Insights opens parse in the filter language, and the tab picks the buckets the
core picks (no Qt)."""

from __future__ import annotations

import pytest

from app.insights.filters import (
    bucket_filter,
    error_filter,
    model_filter,
    session_filter,
    span_filter,
)
from app.insights.series import lay_out
from core.query.parser import parse_filter
from core.store import TraceBucket


@pytest.mark.parametrize(
    ("by", "group", "term"),
    [
        ("name", "it's", "trace.name = 'it''s'"),
        ("name", None, "trace.name IS NULL"),
        ("status", "ERROR", "trace.status = 'ERROR'"),
        ("tag:env", "prod", "tag.env = 'prod'"),
        ("tag:odd key", "x", "tag.`odd key` = 'x'"),
        ("span.type", "LLM", "span.type = 'LLM'"),
        ("span.model", "gpt-4o", "span.model = 'gpt-4o'"),
    ],
)
def test_bucket_filters_parse(by: str, group: str | None, term: str) -> None:
    text = bucket_filter(1000, 2000, by, group)
    assert text == f"trace.timestamp_ms >= 1000 AND trace.timestamp_ms < 2000 AND {term}"
    parse_filter(text)


def test_row_filters_parse() -> None:
    for text in (span_filter("a'b"), model_filter("gpt-4o%"), session_filter("chat-1")):
        parse_filter(text)
    assert model_filter("gpt-4o") == "span.model = 'gpt-4o'"


@pytest.mark.parametrize(
    ("message", "pattern"),
    [
        ("timed out", "%timed out%"),
        ('said "no" to 50%_', '%said \\"no\\" to 50__%'),  # as the span JSON writes it
        ("it's\nbroken", "%it''s\\nbroken%"),
        ("café au lait", "%caf%"),  # é may be written raw or as \u00e9: matched up to it
        ("", "%KeyError%"),  # no message: the exception type
    ],
)
def test_an_error_row_matches_the_message_as_span_json_writes_it(
    message: str, pattern: str
) -> None:
    text = error_filter("KeyError", message)
    assert text == f"span.status = 'ERROR' AND span.content LIKE '{pattern}'"
    parse_filter(text)


def test_buckets_of_the_range_are_laid_out_even_when_empty() -> None:
    Row = TraceBucket
    data = [Row(3_600_000, None, 4, 1, 10.0, 20.0, 30.0, 5, 6, None)]
    layout = lay_out(data, 0, 3 * 3_600_000 - 1, 3_600_000, broken_down=False)
    assert [slot.traces for slot in layout.slots] == [0, 4, 0]
    assert layout.slot_at(3_600_000 + 5) == 1 and layout.slot_at(-1) is None
    assert layout.slots[1].p99_ms == 30.0 and not layout.has_cost


def test_a_turn_answers_only_what_followed_its_question() -> None:
    """An agent's output often repeats the conversation: the turn keeps the assistant's texts
    after the last user message (or those its input did not hold)."""
    from app.messages.formats import ASSISTANT, TOOL, USER, Message, ToolCall, answer_of

    q1, a1, q2 = Message(USER, "q1"), Message(ASSISTANT, "a1"), Message(USER, "q2")
    call = Message(ASSISTANT, "", (ToolCall("lookup", "{}", "c1", True),))
    result, a2 = Message(TOOL, "{}"), Message(ASSISTANT, "a2")
    assert answer_of([q1, a1, q2], [q1, a1, q2, call, result, a2]) == (a2,)
    assert answer_of([q1, a1, q2], [a1, call, a2]) == (a2,)
    assert answer_of([q1], [call]) == (call,)  # no text: the last message stands for it


def test_hostile_text_in_a_session_is_shown_as_text() -> None:
    from app.insights.session import Turn, turns_html
    from app.messages.formats import ASSISTANT, USER, Message

    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    turn = Turn('tr-"><b>x</b>', 0, (Message(USER, hostile),), (Message(ASSISTANT, hostile),), True)
    page = turns_html([turn], dark=False)
    assert "<script>" not in page and "<img" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;" in page and "failed" in page
