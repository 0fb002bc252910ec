"""Which row of run A is which row of run B: by dataset record, then by inputs (no Qt).

MLflow 3.18 stores no per-row id of the dataset record a row came from. What it stores is the
dataset a run evaluated (one `datasets` row per experiment, name and digest, that every run of
the same table points to) and, on each row's trace, the record's expectations as `expectation`
assessments. So when two runs evaluated the same dataset, a row whose expectations no other row
of its run has is that record's row, whatever the predict function made of the inputs.

The other rows are joined on their inputs, normalised so that what the predict function was
called with does not matter: JSON text is decoded, whitespace runs count as one space, key order
is ignored, and a dict of one key holding a string is that string (`{"question": "Why?"}` is
`"Why?"`). A dataset that holds one input twice is joined occurrence by occurrence.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.evaluations.cell_text import canonical_json
from core.entities.evaluation import EvaluationRow

BY_RECORD, BY_INPUTS = "dataset record", "inputs"
#: JSON text is decoded only when it looks like an object, an array or a string.
_JSON_STARTS = ("{", "[", '"')


@dataclass(frozen=True, slots=True)
class RowKeys:
    """What a row is joined on: its normalised inputs, and its dataset record when known."""

    inputs: str
    record: str | None = None


def keys_of(row: EvaluationRow) -> RowKeys:
    """The join keys of a stored row (a row without a root span has no inputs to join on)."""
    inputs = f"trace:{row.trace_id}" if row.root is None else canonical_json(normalised(row.inputs))
    record = canonical_json(dict(row.expectations)) if row.expectations else None
    return RowKeys(inputs, record)


def normalised(inputs: Any) -> Any:
    """`inputs` in the form equal questions share (see the module's docstring)."""
    value = _tidy(inputs)
    if isinstance(value, dict) and len(value) == 1:
        only = next(iter(value.values()))
        if isinstance(only, str):
            return only
    return value


def _tidy(value: Any) -> Any:
    """JSON text decoded, strings' whitespace collapsed, the same through dicts and lists."""
    if isinstance(value, str):
        value = _decoded(value)
        if isinstance(value, str):
            return " ".join(value.split())
    if isinstance(value, Mapping):
        return {" ".join(str(k).split()): _tidy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy(v) for v in value]
    return value


def _decoded(text: str) -> Any:
    stripped = text.strip()
    if not stripped.startswith(_JSON_STARTS):
        return text
    try:
        value = json.loads(stripped)
    except ValueError:
        return text
    if isinstance(value, str):
        return _decoded(value)  # JSON text of JSON text
    return value if isinstance(value, dict | list | str) else text


def match(
    a: Sequence[RowKeys], b: Sequence[RowKeys], *, by_record: bool
) -> dict[int, tuple[int, str]]:
    """A's row index → (B's row index, how they were paired), for every row paired.

    `by_record`: the runs evaluated the same dataset, so a record seen once in each run pairs
    its two rows. The rest pair on their inputs, in stored order.
    """
    matches: dict[int, tuple[int, str]] = {}
    if by_record:
        matches.update(_by_record(a, b))
    taken = {j for j, _how in matches.values()}
    waiting: dict[str, deque[int]] = {}
    for j, keys in enumerate(b):
        if j not in taken:
            waiting.setdefault(keys.inputs, deque()).append(j)
    for i, keys in enumerate(a):
        queue = waiting.get(keys.inputs)
        if i not in matches and queue:
            matches[i] = (queue.popleft(), BY_INPUTS)
    return matches


def _by_record(a: Sequence[RowKeys], b: Sequence[RowKeys]) -> dict[int, tuple[int, str]]:
    """Rows whose record occurs exactly once in each run."""
    seen_a = Counter(k.record for k in a if k.record is not None)
    seen_b = Counter(k.record for k in b if k.record is not None)
    in_b = {k.record: j for j, k in enumerate(b) if k.record is not None and seen_b[k.record] == 1}
    return {
        i: (in_b[k.record], BY_RECORD)
        for i, k in enumerate(a)
        if k.record is not None and seen_a[k.record] == 1 and k.record in in_b
    }
