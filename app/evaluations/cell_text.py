"""What an evaluation cell says: scores as pass/fail/number/text/error, values as text (no Qt).

Everything here runs in the database thread while a page is prepared, so the grid's `data()`
only hands out strings made once. Texts are plain: the models escape them for tooltips.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.formatting import EMPTY, one_line
from core.entities.evaluation import EvaluationRow, Score
from core.scorers import output_text as core_output_text

#: The kinds of cell the delegate paints differently.
PASS, FAIL, NUMBER, TEXT, ERROR, NONE = "pass", "fail", "number", "text", "error", "none"
#: Cell texts are cut here; the tooltip holds more.
CELL_CHARS = 300
TIP_CHARS = 2000
YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True, slots=True)
class Cell:
    """One shown value: its kind, one-line text, plain-text tooltip and its number (if any)."""

    kind: str
    text: str
    tooltip: str = ""
    number: float | None = None

    @property
    def sort_key(self) -> tuple[int, float, str]:
        """Numbers (pass = 1, fail = 0) first, then texts, then empty cells, errors last."""
        if self.kind == ERROR:
            return (3, 0.0, self.text.casefold())
        if self.kind == NONE:
            return (2, 0.0, "")
        if self.number is not None:
            return (0, self.number, "")
        return (1, 0.0, self.text.casefold())


EMPTY_CELL = Cell(NONE, EMPTY)


def format_number(value: float) -> str:
    """An integer as it is, a fraction with four significant digits."""
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def format_mean(value: float) -> str:
    """A run's mean: three significant digits (`0.833`, `6.08`), whole numbers as they are."""
    if math.isnan(value):
        return "NaN"
    return format_number(value) if float(value).is_integer() else f"{value:.3g}"


def as_text(value: Any) -> str:
    """A value as text: a string as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def unquoted(preview: str) -> str:
    """A preview that is a JSON string (`"Unicorn"`, how a plain-text output is stored) as
    the string itself; any other preview as it is."""
    if len(preview) >= 2 and preview[0] == preview[-1] == '"':
        try:
            value = json.loads(preview)
        except ValueError:
            return preview
        if isinstance(value, str):
            return value
    return preview


def inputs_text(preview: str) -> str:
    """`country: France · year: 2024` for a flat JSON object; any other preview as it is."""
    if not preview.startswith("{"):
        return preview
    try:
        value = json.loads(preview)
    except ValueError:
        return preview
    flat = isinstance(value, dict) and value
    if not flat or not all(v is None or isinstance(v, str | int | float) for v in value.values()):
        return preview
    return " · ".join(f"{k}: {v if isinstance(v, str) else as_text(v)}" for k, v in value.items())


def canonical_json(value: Any) -> str:
    """The same JSON for equal values, whatever their key order (the join key of two runs)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def verdict_of(value: Any) -> bool | None:
    """True/False for a pass/fail value (booleans, "yes"/"no"), None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return YES_NO.get(value.strip().casefold())
    return None


def score_cell(name: str, score: Score | None) -> Cell:
    """How scorer `name`'s result on a row is shown (an empty cell when it gave none)."""
    if score is None:
        return Cell(NONE, EMPTY, f"{name}: no result for this row")
    tip = _score_details(name, score)
    if score.error is not None:
        message = score.error_message or score.error_code or "error"
        return Cell(ERROR, one_line(message, CELL_CHARS), tip)
    return _value_cell(score.value, tip)


def value_cell(value: Any) -> Cell:
    """An expectation (or any stored value) as a cell."""
    if value is None:
        return EMPTY_CELL
    text = as_text(value)
    return _value_cell(value, clip(text))


def _value_cell(value: Any, tip: str) -> Cell:
    verdict = verdict_of(value)
    if verdict is not None:
        label = ("Pass" if verdict else "Fail") if isinstance(value, bool) else str(value)
        return Cell(PASS if verdict else FAIL, label, tip, 1.0 if verdict else 0.0)
    if isinstance(value, int | float):
        number = float(value)
        return Cell(NUMBER, format_number(number), tip, number if math.isfinite(number) else None)
    if value is None:
        return Cell(NONE, EMPTY, tip)
    return Cell(TEXT, one_line(as_text(value), CELL_CHARS), tip)


def _score_details(name: str, score: Score) -> str:
    value = "error" if score.error is not None else as_text(score.value)
    lines = [f"{name}: {value}"]
    if score.rationale:
        lines.append(f"Rationale: {score.rationale}")
    if score.error is not None:
        code = score.error_code or "ERROR"
        lines.append(f"Error ({code}): {score.error_message or ''}".rstrip())
    source = " · ".join(p for p in (score.source_type, score.source_id) if p)
    if source:
        lines.append(f"Source: {source}")
    return clip("\n".join(lines))


def clip(text: str, limit: int = TIP_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def output_text(outputs: Any) -> str:
    """The text of an output (a chat answer's content, else the value as text)."""
    if outputs is None:
        return ""
    try:
        return core_output_text(outputs)
    except (TypeError, ValueError):
        return as_text(outputs)


def predict_error(row: EvaluationRow) -> str | None:
    """Why the row's prediction failed (its trace ended in error), or None when it did not."""
    root = row.root
    if root is None:
        return "The trace of this row has no root span (its spans were not recorded)."
    if row.state != "ERROR" and root.status_code != "ERROR":
        return None
    for event in root.events:
        if event.name == "exception":
            message = event.attributes.get("exception.message")
            kind = event.attributes.get("exception.type")
            if message or kind:
                return f"{kind}: {message}" if kind and message else str(message or kind)
    return root.status_message or "The prediction failed (its trace ended in error)."


def chat_question(inputs: Mapping[str, Any]) -> str | None:
    """The last user message of chat-shaped inputs (`{"messages": [...]}`), if any."""
    messages = inputs.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") in ("user", "human"):
            content = message.get("content")
            return content if isinstance(content, str) else as_text(content)
    return None
