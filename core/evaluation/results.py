"""What one evaluated row produced, and the result DataFrame of all rows.

The DataFrame follows MLflow's `result_df`: `trace_id`, then `<name>/value` per scorer and per
expectation (with `<name>/rationale` and `<name>/error_message` where a scorer gave them), then
the row's `inputs`, `outputs`, `expectations` and `error_message` (a failed predict_fn), then
the columns of `core.search_traces` for the row's trace, its new assessments included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from core.dataframe import traces_to_frame
from core.entities import Assessment, Feedback, Trace
from core.evaluation.data import EvalItem
from core.evaluation.row_scores import ScorerOutput
from core.store.assessment_rows import as_assessment


@dataclass
class RowOutcome:
    """One row, evaluated: its trace, outputs, scores and the assessment rows to store."""

    item: EvalItem
    trace: Trace
    outputs: Any
    scored: list[ScorerOutput]
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    #: The trace existed before the run, so the run must be linked to it explicitly.
    existing_trace: bool = False

    @property
    def feedbacks(self) -> Iterator[Feedback]:
        for output in self.scored:
            yield from output.feedbacks

    @property
    def failed(self) -> bool:
        """The prediction failed or a scorer raised."""
        return self.error is not None or any(o.failed for o in self.scored)

    def assessments(self) -> list[Assessment]:
        return [as_assessment(row) for row in self.rows]

    def trace_with_assessments(self) -> Trace:
        known = self.trace.info.assessments
        info = replace(self.trace.info, assessments=[*known, *self.assessments()])
        return replace(self.trace, info=info)


def result_frame(outcomes: Sequence[RowOutcome]) -> pd.DataFrame:
    """One row per outcome, in the order given."""
    traces = traces_to_frame([o.trace_with_assessments() for o in outcomes])
    scores = pd.DataFrame([_score_columns(o) for o in outcomes])
    rows = pd.DataFrame(
        {
            "inputs": [o.item.inputs for o in outcomes],
            "outputs": [o.outputs for o in outcomes],
            "expectations": [o.item.expectations for o in outcomes],
            "error_message": [o.error for o in outcomes],
        },
        dtype=object,
    )
    ids = traces.pop("trace_id") if not traces.empty else pd.Series(dtype=object, name="trace_id")
    return pd.concat([ids, scores, rows, traces], axis=1)


def _score_columns(outcome: RowOutcome) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for feedback in outcome.feedbacks:
        name = feedback.name or ""
        columns[f"{name}/value"] = feedback.value
        if feedback.rationale is not None:
            columns[f"{name}/rationale"] = feedback.rationale
        error = feedback.error_dict
        if error is not None and error.get("error_message"):
            columns[f"{name}/error_message"] = error["error_message"]
    for name, value in outcome.item.expectations.items():
        columns.setdefault(f"{name}/value", value)
    return columns
