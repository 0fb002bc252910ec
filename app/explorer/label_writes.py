"""What the assessment panel writes and shows, without Qt (issue 22).

A label is a feedback (pass/fail, a number, a category or a text, with a rationale) or an
expectation (the expected response, or the expected facts) on a trace or one of its spans,
by the human at the keyboard (source `HUMAN`, their user name). Editing a feedback overrides
it as MLflow's `override_feedback` does (the old value stays, invalid: the history); editing
an expectation updates it in place (`update_assessment`). `write_label` and `delete_label` run
in the database thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.entities import Assessment
from core.mlflow_keys import USER_TAG
from core.run_context import source_metadata
from core.store import Store

FEEDBACK, EXPECTATION = "feedback", "expectation"
PASS_FAIL, NUMBER, CATEGORY, TEXT = "pass/fail", "number", "category", "text"
FEEDBACK_KINDS = (PASS_FAIL, NUMBER, CATEGORY, TEXT)
RESPONSE, FACTS = "expected_response", "expected_facts"
#: A text longer than this (or on several lines) is a "text" feedback, not a category.
CATEGORY_CHARS = 40
SOURCE_NAMES = {"HUMAN": "human", "LLM_JUDGE": "LLM judge", "AI_JUDGE": "LLM judge", "CODE": "code"}


@dataclass(frozen=True)
class LabelEdit:
    """One label to write: new (`replaces` None) or a change of `replaces`."""

    kind: str  # FEEDBACK | EXPECTATION
    name: str
    value: Any
    rationale: str | None = None
    span_id: str | None = None
    replaces: Assessment | None = None


@dataclass(frozen=True)
class LabelRow:
    """A current assessment and the values it replaced, newest first (its history)."""

    assessment: Assessment
    history: tuple[Assessment, ...]


def current_user() -> str:
    """Who labels: the OS user, as MLflow records `mlflow.user`."""
    return source_metadata().get(USER_TAG) or "unknown"


def source_label(assessment: Assessment) -> str:
    """`human · ann`, `LLM judge · gpt-4o`, `code · my_check`: who or what made it."""
    kind = SOURCE_NAMES.get(assessment.source_type, assessment.source_type.lower())
    return f"{kind} · {assessment.source_id}" if assessment.source_id else kind


def feedback_kind(value: Any) -> str:
    """The editor kind that shows `value`: pass/fail, number, category or text."""
    if isinstance(value, bool):
        return PASS_FAIL
    if isinstance(value, int | float):
        return NUMBER
    text = "" if value is None else str(value)
    return CATEGORY if len(text) <= CATEGORY_CHARS and "\n" not in text else TEXT


def expectation_kind(name: str, value: Any) -> str:
    """Expected facts for a list (or that name), else the expected response."""
    return FACTS if name == FACTS or isinstance(value, list) else RESPONSE


def number_value(number: float) -> int | float:
    """A whole number as an int (3, not 3.0), as a person typing it means it."""
    if math.isfinite(number) and number == int(number):
        return int(number)
    return number


def facts_of(text: str) -> list[str]:
    """Expected facts typed one per line (blank lines and list bullets dropped)."""
    facts = [line.strip().lstrip("-•*").strip() for line in text.splitlines()]
    return [f for f in facts if f]


def rows_of(assessments: Sequence[Assessment]) -> list[LabelRow]:
    """The current assessments (valid ones), each with the chain it overrode; invalid ones
    no current one points back to are shown on their own (an override deleted elsewhere)."""
    by_id = {a.assessment_id: a for a in assessments if a.assessment_id}
    claimed: set[str] = set()
    rows = []
    for assessment in assessments:
        if assessment.valid is False:
            continue
        chain: list[Assessment] = []
        seen = {assessment.assessment_id}
        older = by_id.get(assessment.overrides) if assessment.overrides else None
        while older is not None and older.assessment_id not in seen:
            chain.append(older)
            seen.add(older.assessment_id)
            older = by_id.get(older.overrides) if older.overrides else None
        claimed.update(a.assessment_id for a in chain if a.assessment_id)
        rows.append(LabelRow(assessment, tuple(chain)))
    rows.extend(
        LabelRow(a, ()) for a in assessments if a.valid is False and a.assessment_id not in claimed
    )
    return rows


def write_label(store: Store, trace_id: str, edit: LabelEdit, user: str) -> str:
    """Database thread: store `edit` by `user`; the id of the assessment now current."""
    old = edit.replaces
    rationale = edit.rationale or None
    if old is None:
        edits = store.trace_edits
        if edit.kind == FEEDBACK:
            return edits.log_feedback(
                trace_id,
                edit.name,
                edit.value,
                source_type="HUMAN",
                source_id=user,
                rationale=rationale,
                span_id=edit.span_id,
            )
        return edits.log_expectation(
            trace_id,
            edit.name,
            edit.value,
            source_type="HUMAN",
            source_id=user,
            span_id=edit.span_id,
        )
    assert old.assessment_id is not None
    if edit.kind == FEEDBACK:
        return store.trace_edits.override_feedback(
            trace_id,
            old.assessment_id,
            edit.value,
            rationale=rationale,
            source_type="HUMAN",
            source_id=user,
        )
    store.trace_edits.update_assessment(
        trace_id, old.assessment_id, name=edit.name, value=edit.value
    )
    return old.assessment_id


def delete_label(store: Store, trace_id: str, assessment_id: str) -> None:
    """Database thread: remove an assessment (the one it overrode is current again)."""
    store.trace_edits.delete_assessment(trace_id, assessment_id)
