"""What the start dialog asks for, and the label fields typed one per line (no Qt)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.store import LabelField

PASS_FAIL, NUMERIC = LabelField.PASS_FAIL, LabelField.NUMERIC
CATEGORICAL, TEXT = LabelField.CATEGORICAL, LabelField.TEXT

#: The fields a new queue starts with: a line each, `name: kind`.
DEFAULT_FIELDS = "correct: pass/fail\nhelpfulness: 1-5\ntone: friendly | neutral | rude"
FIELDS_HELP = (
    "One field a line, “name: kind”: pass/fail · 1-5 (a number 1 to N, N ≤ 9) · "
    "choices separated by | (at most 9) · text"
)
_NUMBER = re.compile(r"^1\s*-\s*(\d+)$")


@dataclass(frozen=True)
class QueuePlan:
    """A queue to start: an existing one (`queue_id`) or a new one from a filter."""

    experiment_id: str
    name: str
    user: str
    queue_id: str | None = None
    filter_string: str = ""
    sample: int | None = None  # None: every match
    fields: tuple[LabelField, ...] = ()


def parse_fields(text: str) -> tuple[LabelField, ...]:
    """The fields typed one per line; ValueError says which line is wrong and why."""
    fields: list[LabelField] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, spec = line.partition(":")
        name, spec = name.strip(), spec.strip()
        if not colon or not name or not spec:
            raise ValueError(f"Line {number}: write “name: kind”, e.g. “correct: pass/fail”.")
        if any(f.name == name for f in fields):
            raise ValueError(f"Line {number}: the field “{name}” is there twice.")
        fields.append(_field(number, name, spec))
    if not fields:
        raise ValueError("Add at least one field to label.")
    return tuple(fields)


def _field(number: int, name: str, spec: str) -> LabelField:
    lowered = spec.lower().replace(" ", "")
    if lowered in ("pass/fail", "passfail", "p/f", "bool"):
        return LabelField(name, PASS_FAIL)
    if lowered == "text":
        return LabelField(name, TEXT)
    found = _NUMBER.match(spec)
    if found:
        top = int(found.group(1))
        if not 2 <= top <= 9:
            raise ValueError(f"Line {number}: a number field goes from 1 to 2…9 (one key each).")
        return LabelField(name, NUMERIC, maximum=top)
    options = tuple(dict.fromkeys(o.strip() for o in re.split(r"[|,]", spec) if o.strip()))
    if len(options) < 2 or len(options) > 9:
        raise ValueError(
            f"Line {number}: “{spec}” is no kind; choices need 2 to 9 options separated by |."
        )
    return LabelField(name, CATEGORICAL, options)


def value_text(label_field: LabelField, value: object) -> str:
    """A stored value as the review window shows it."""
    if value is None:
        return "—"
    if label_field.kind == PASS_FAIL and isinstance(value, bool):
        return "Pass" if value else "Fail"
    return str(value)


def key_hints(label_field: LabelField) -> str:
    """The keys that answer a field, e.g. `p pass · f fail` or `1 friendly · 2 neutral`."""
    if label_field.kind == PASS_FAIL:
        return "p pass · f fail"
    if label_field.kind == TEXT:
        return "Enter to type · Enter again to keep"
    if label_field.kind == NUMERIC:
        return f"1-{label_field.maximum} the number"
    return " · ".join(f"{i} {c}" for i, c in enumerate(label_field.choices(), 1))
