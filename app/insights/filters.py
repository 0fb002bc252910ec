"""The trace-list filters Insights opens, in the filter language the query bar shows (no Qt):
a time bucket (and its group), a span name or model, a session."""

from __future__ import annotations

from app.traces.terms import field, quoted

#: The span attribute MLflow fills a span's model from (`spans.model_name`).
MODEL_ATTRIBUTE = "mlflow.llm.model"


def bucket_filter(start_ms: int, end_ms: int, by: str | None, group: str | None) -> str:
    """Traces requested in [start_ms, end_ms), of `group` when the chart is broken down `by`
    ("name", "status" or "tag:<key>")."""
    terms = [f"trace.timestamp_ms >= {start_ms}", f"trace.timestamp_ms < {end_ms}"]
    if by is not None:
        terms.append(group_term(by, group))
    return " AND ".join(terms)


def group_term(by: str, group: str | None) -> str:
    """The term that keeps the traces of one group of a breakdown (None: the ones without)."""
    if by == "name":
        name = "trace.name"
    elif by == "status":
        name = "trace.status"
    elif by.startswith("tag:"):
        name = field("tag", by[4:])
    else:
        raise ValueError(f"No breakdown {by!r}")
    return f"{name} IS NULL" if group is None else f"{name} = {quoted(group)}"


def span_filter(span_name: str) -> str:
    """Traces with a span of this name."""
    return f"span.name = {quoted(span_name)}"


def model_filter(model: str) -> str:
    """Traces with a span that called this model. The span's JSON holds the attribute as a
    JSON string inside a JSON string (`"mlflow.llm.model": "\\"gpt-4o\\""`), which MLflow's
    attribute LIKE matches: the quotes keep `gpt-4o` from matching `gpt-4o-mini`."""
    pattern = '%\\"' + model.replace("%", "_") + '\\"%'
    return f"{field('span.attributes', MODEL_ATTRIBUTE)} LIKE {quoted(pattern)}"


def session_filter(session_id: str) -> str:
    """The turns of one chat session."""
    return f"trace.session_id = {quoted(session_id)}"
