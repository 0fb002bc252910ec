"""A judge's answer: the yes/no verdict JSON it is asked for, and reading it back robustly."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any


class JudgeError(RuntimeError):
    """The judge gave no verdict: the server failed or the model did not answer yes/no."""


class CategoricalRating(StrEnum):
    """A judge's verdict (MLflow's `mlflow.genai.judges.CategoricalRating`): a string, so
    `rating == "yes"` holds and it stores as `"yes"`."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> CategoricalRating:
        lowered = str(value).strip().lower()
        return next((member for member in cls if member.value == lowered), cls.UNKNOWN)


#: Answers read as a verdict (MLflow's judges accept these and more).
VERDICTS: dict[str, CategoricalRating] = {
    **dict.fromkeys(("yes", "y", "true", "pass", "passed", "correct", "1"), CategoricalRating.YES),
    **dict.fromkeys(("no", "n", "false", "fail", "failed", "incorrect", "0"), CategoricalRating.NO),
}
RESULT_KEYS = ("result", "verdict", "answer", "value")
RATIONALE_KEYS = ("rationale", "reason", "explanation")
#: The structured output the model is held to (Ollama's `format`).
VERDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rationale": {"type": "string"},
        "result": {"type": "string", "enum": ["yes", "no"]},
    },
    "required": ["rationale", "result"],
}


def parse_verdict(text: str) -> tuple[CategoricalRating, str | None]:
    """(yes/no, rationale) from a judge's answer: JSON, JSON in prose or a fence, or a
    reply that starts with yes/no. Raises `JudgeError` when there is no verdict in it."""
    document = _json_object(text)
    if document is not None:
        lowered = {str(k).lower(): v for k, v in document.items()}
        raw = next((lowered[k] for k in RESULT_KEYS if k in lowered), None)
        verdict = VERDICTS.get(str(raw).strip().lower()) if raw is not None else None
        if verdict is None:
            raise JudgeError(f"the model answered {_clip(text)}, which has no yes/no result")
        rationale = next((lowered[k] for k in RATIONALE_KEYS if lowered.get(k)), None)
        return verdict, None if rationale is None else str(rationale)
    match = re.match(r"\W*(yes|no)\b[\s.,:;!-]*(.*)", text.strip(), re.IGNORECASE | re.DOTALL)
    if match:
        return CategoricalRating(match.group(1).lower()), match.group(2).strip() or None
    raise JudgeError(f"the model answered {_clip(text)}, which is not a yes/no verdict")


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [text.strip()]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return None


def _clip(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
