"""Run metrics from the rows' feedback (MLflow's `compute_aggregated_metrics`).

Each feedback name with numeric values gets `<name>/mean` (and the scorer's other
aggregations). Numbers count as themselves, booleans and "yes"/"no" as 1/0; strings, missing
values and errors are left out, so a scorer that failed on some rows is averaged over the rest.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence

from core.entities import Feedback
from core.evaluation.scorer import Scorer


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * 0.9
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_AGGREGATE: dict[str, Callable[[list[float]], float]] = {
    "min": min,
    "max": max,
    "mean": lambda values: math.fsum(values) / len(values),
    "median": statistics.median,
    "variance": statistics.pvariance,
    "p90": _p90,
}


def numeric(feedback: Feedback) -> float | None:
    """The value a feedback adds to its mean, or None when it adds nothing."""
    value = feedback.value
    if feedback.error is not None or value is None:
        return None
    if isinstance(value, bool | int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return 1.0 if value.strip().lower() == "yes" else 0.0
    return None


def aggregate(feedbacks: Iterable[Feedback], scorers: Sequence[Scorer]) -> dict[str, float]:
    """`<name>/<aggregation>` metrics of the given feedbacks, in order of first appearance."""
    values: dict[str, list[float]] = {}
    for feedback in feedbacks:
        number = numeric(feedback)
        if number is not None and feedback.name:
            values.setdefault(feedback.name, []).append(number)
    wanted = {s.name: s.aggregations for s in scorers}
    metrics: dict[str, float] = {}
    for name, numbers in values.items():
        for how in wanted.get(name, ("mean",)):
            metrics[f"{name}/{how}"] = float(_AGGREGATE[how](numbers))
    return metrics
