"""The label fields typed one per line in the start dialog, and their key hints."""

from __future__ import annotations

import pytest

from app.labeling.plan import DEFAULT_FIELDS, key_hints, parse_fields, value_text
from core.store import LabelField


def test_fields_one_per_line() -> None:
    assert parse_fields(DEFAULT_FIELDS + "\n\nnotes: text\nsafe: p/f\ntopic: a, b, a") == (
        LabelField("correct", LabelField.PASS_FAIL),
        LabelField("helpfulness", LabelField.NUMERIC, maximum=5),
        LabelField("tone", LabelField.CATEGORICAL, ("friendly", "neutral", "rude")),
        LabelField("notes", LabelField.TEXT),
        LabelField("safe", LabelField.PASS_FAIL),
        LabelField("topic", LabelField.CATEGORICAL, ("a", "b")),
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "at least one field"),
        ("correct", "Line 1: write “name: kind”"),
        ("a: pass/fail\na: text", "Line 2: the field “a” is there twice"),
        ("score: 1-12", "from 1 to 2…9"),
        ("tone: happy", "is no kind"),
        ("tone: " + " | ".join("abcdefghij"), "2 to 9 options"),
    ],
)
def test_a_wrong_line_says_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_fields(text)


def test_values_and_key_hints() -> None:
    tone = LabelField("tone", LabelField.CATEGORICAL, ("friendly", "rude"))
    assert key_hints(tone) == "1 friendly · 2 rude"
    assert key_hints(LabelField("ok")) == "p pass · f fail"
    assert key_hints(LabelField("n", LabelField.NUMERIC, maximum=3)) == "1-3 the number"
    assert value_text(LabelField("ok"), False) == "Fail"
    assert value_text(tone, None) == "—"
