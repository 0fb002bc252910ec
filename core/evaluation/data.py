"""The `data` of `core.evaluate`, as rows to evaluate (MLflow's `_convert_to_eval_set`).

Accepted, as MLflow accepts them:

* a list of dicts or a DataFrame with `inputs` (a dict of keyword arguments for `predict_fn`),
  and optionally `expectations` (a dict), `outputs` (when there is no `predict_fn`) and `tags`;
* existing traces: a DataFrame from `core.search_traces()` (its `trace` / `trace_id` column),
  a list of `Trace`s, or a list of trace ids. Their root span gives `inputs` and `outputs`, and
  their expectation assessments the `expectations` when no column gives them;
* a managed dataset (`core.genai.datasets`): its records' inputs, outputs and expectations.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.dataframe import traces_to_frame
from core.entities import Trace
from core.errors import NotFoundError
from core.evaluation.dataset import DatasetRecord
from core.store.reader import StoreReader


@dataclass
class EvalItem:
    """One row to evaluate."""

    index: int
    inputs: Any
    outputs: Any = None
    expectations: dict[str, Any] = field(default_factory=dict)
    #: An existing trace to score (then no new trace is made unless `predict_fn` is given).
    trace: Trace | None = None
    #: Tags for the trace the evaluation makes for this row.
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalData:
    """The rows, and the table they came from (what the run's `datasets` row describes)."""

    items: list[EvalItem]
    frame: pd.DataFrame
    #: A managed dataset's own `datasets` row (name, digest, source): MLflow logs that one.
    described: DatasetRecord | None = None


def prepare(data: Any, reader: StoreReader, *, needs_call_inputs: bool) -> EvalData:
    """Rows of `data`; `needs_call_inputs` when every row's inputs feed `predict_fn(**inputs)`."""
    frame = to_frame(data)
    traces = _resolve_traces(frame, reader)
    if traces is not None:
        _add_columns_from_traces(frame, traces)
    if "inputs" not in frame.columns:
        raise ValueError("Every row needs `inputs` (or a `trace` to take them from).")
    records = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    items = [_item(i, r, traces[i] if traces else None) for i, r in enumerate(records)]
    if needs_call_inputs:
        for item in items:
            if not isinstance(item.inputs, Mapping):
                raise ValueError(
                    "With a predict_fn, `inputs` must be a dict of its keyword arguments, e.g. "
                    f"{{'question': 'What is MLflow?'}}; row {item.index} has {item.inputs!r}."
                )
    described = data.run_input() if callable(getattr(data, "run_input", None)) else None
    return EvalData(items, frame, described)


def to_frame(data: Any) -> pd.DataFrame:
    """`data` as a DataFrame of its own (the caller's is never changed)."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif callable(getattr(data, "to_eval_frame", None)):  # a managed EvaluationDataset
        frame = data.to_eval_frame()
    elif isinstance(data, Sequence) and not isinstance(data, str | bytes):
        frame = _frame_of_list(list(data))
    else:
        raise TypeError(
            "data must be a list of dicts, a pandas DataFrame, or traces "
            f"(Trace objects or trace ids); got {type(data).__name__}."
        )
    if frame.empty:
        raise ValueError("The dataset is empty: give at least one row.")
    if not {"inputs", "trace", "trace_id"} & set(frame.columns):
        raise ValueError("Every row needs `inputs` (or a `trace` to take them from).")
    return frame


def _frame_of_list(rows: list[Any]) -> pd.DataFrame:
    if rows and all(isinstance(r, Trace) for r in rows):
        frame = traces_to_frame(rows)
        frame["trace"] = pd.Series(rows, dtype=object)
        return frame
    if rows and all(isinstance(r, str) for r in rows):
        return pd.DataFrame({"trace_id": rows})
    if all(isinstance(r, Mapping) for r in rows):
        return pd.DataFrame([dict(r) for r in rows])
    raise TypeError("A data list must hold only dicts, only Trace objects, or only trace ids.")


def _resolve_traces(frame: pd.DataFrame, reader: StoreReader) -> list[Trace] | None:
    """The trace of every row, when the data are traces; loaded from the store by id."""
    if "trace" in frame.columns:
        ids = frame["trace_id"] if "trace_id" in frame.columns else [None] * len(frame)
        given = [_trace_or_id(v, i) for v, i in zip(frame["trace"], ids, strict=True)]
    elif "trace_id" in frame.columns and "inputs" not in frame.columns:
        given = [str(v) for v in frame["trace_id"]]
    else:
        return None
    if any(g is None for g in given):
        raise ValueError("Every row of trace data needs a trace; some rows have none.")
    wanted = [g for g in given if isinstance(g, str)]
    loaded = {t.info.trace_id: t for t in reader.traces(wanted)} if wanted else {}
    missing = [i for i in wanted if i not in loaded]
    if missing:
        raise NotFoundError(f"No trace {missing[0]} in this store ({len(missing)} missing).")
    return [g if isinstance(g, Trace) else loaded[str(g)] for g in given]


def _trace_or_id(value: Any, trace_id: Any = None) -> Trace | str | None:
    """A Trace as is; else the row's `trace_id`, or the id in the trace's JSON (or dict)."""
    if isinstance(value, Trace) or _missing(value):
        return value if isinstance(value, Trace) else None
    if isinstance(trace_id, str) and trace_id:
        return trace_id  # `search_traces` frames have it: no need to parse the trace's JSON
    document = json.loads(value) if isinstance(value, str) else value
    if isinstance(document, Mapping):
        info = document.get("info")
        if isinstance(info, Mapping) and isinstance(info.get("trace_id"), str):
            return str(info["trace_id"])
    raise ValueError(f"Cannot tell which trace {str(value)[:80]!r} is.")


def _add_columns_from_traces(frame: pd.DataFrame, traces: list[Trace]) -> None:
    """Add `inputs` / `outputs` / `expectations` from the traces where no column gives them."""
    roots = [t.data.root_span for t in traces]
    if "inputs" not in frame.columns:
        frame["inputs"] = _column([r.inputs if r is not None else None for r in roots])
    if "outputs" not in frame.columns:
        frame["outputs"] = _column([r.outputs if r is not None else None for r in roots])
    if "expectations" not in frame.columns:
        found = [trace_expectations(t) for t in traces]
        if any(found):
            frame["expectations"] = _column(found)


def _column(values: list[Any]) -> Any:
    """Values as one object column, placed by position whatever the frame's index."""
    column = pd.Series(dtype=object, index=range(len(values)))
    for position, value in enumerate(values):
        column.iat[position] = value
    return column.to_numpy()


def trace_expectations(trace: Trace) -> dict[str, Any]:
    """The expectations recorded on a trace (valid ones; the latest per name)."""
    return {
        a.name: a.value
        for a in trace.info.assessments
        if a.assessment_type == "expectation" and a.valid
    }


def _item(index: int, row: Mapping[str, Any], trace: Trace | None) -> EvalItem:
    expectations = row.get("expectations")
    if _missing(expectations):
        expectations = {}
    if not isinstance(expectations, Mapping):
        raise ValueError(
            f"`expectations` must be a dict of names and values; row {index} has {expectations!r}."
        )
    tags = row.get("tags")
    return EvalItem(
        index=index,
        inputs=_parse_inputs(row.get("inputs")),
        outputs=None if _missing(row.get("outputs")) else row.get("outputs"),
        expectations=dict(expectations),
        trace=trace,
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
    )


def _parse_inputs(value: Any) -> Any:
    """Inputs as a dict; JSON text of one is decoded, as MLflow does."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, dict) else value
    return None if _missing(value) else value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
