"""Planned traces -> the rows MLflow 3.18 writes: `trace_info`, `trace_tags`,
`trace_request_metadata` and `spans`.

The encodings follow SCHEMA.md §1, §3 and §4 exactly: hex ids in columns and base64 ids in the
span JSON, every attribute value JSON-encoded inside the span JSON, ms for traces and ns for
spans, previews cut at 1000 characters (997 + "...") and metadata copies at 250, trace name /
session / tokens / costs in `trace_info` columns rather than in tags or metadata.
"""

from __future__ import annotations

import base64
import json
import statistics
from dataclasses import dataclass, field
from typing import Any

from tests.bench.shapes import MS, PRICES, SpanPlan, TraceShape

SPAN_COLUMNS = (
    "trace_id, experiment_id, span_id, parent_span_id, name, type, status,"
    " start_time_unix_nano, end_time_unix_nano, content, input_cost, output_cost, total_cost,"
    " model_name, model_provider"
)
TRACE_COLUMNS = (
    "request_id, experiment_id, timestamp_ms, execution_time_ms, status, request_preview,"
    " response_preview, db_payload_generation, trace_name, session_id, input_tokens,"
    " output_tokens, total_tokens, input_cost, output_cost, total_cost"
)


@dataclass
class Rows:
    """Rows for one batch of traces, ready for `executemany`."""

    trace_info: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[str, str, str]] = field(default_factory=list)
    metadata: list[tuple[str, str, str]] = field(default_factory=list)
    spans: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class TraceContext:
    """Who and where a trace belongs to: the facts not in its spans."""

    trace_hex: str
    experiment_id: int
    start_ns: int
    artifact_root: str
    session_id: str | None
    source_name: str
    extra_metadata: dict[str, str]
    extra_tags: dict[str, str]

    @property
    def trace_id(self) -> str:
        return f"tr-{self.trace_hex}"


def b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode("ascii")


def abbreviate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def schedule(spans: list[SpanPlan], start_ns: int) -> tuple[list[int], list[int]]:
    """Start and end times: children run one after another inside their parent."""
    duration = [s.self_ns for s in spans]
    for i in range(len(spans) - 1, 0, -1):
        duration[spans[i].parent or 0] += duration[i]
    start = [start_ns] * len(spans)
    cursor = [start_ns + spans[0].self_ns // 2] * len(spans)
    for i in range(1, len(spans)):
        parent = spans[i].parent or 0
        start[i] = cursor[parent]
        cursor[parent] += duration[i]
        cursor[i] = start[i] + spans[i].self_ns // 2
    return start, [s + d for s, d in zip(start, duration, strict=True)]


def _attributes(trace_id: str, plan: SpanPlan) -> dict[str, str]:
    """MLflow's attribute order: request id, type, function, inputs, others, outputs, level."""
    out = {
        "mlflow.traceRequestId": json.dumps(trace_id),
        "mlflow.spanType": json.dumps(plan.span_type),
    }
    function = plan.attrs.get("mlflow.spanFunctionName")
    if function is not None:
        out["mlflow.spanFunctionName"] = json.dumps(function)
    if plan.inputs is not None:
        out["mlflow.spanInputs"] = json.dumps(plan.inputs)
    for key, value in plan.attrs.items():
        out.setdefault(key, json.dumps(value))
    if plan.outputs is not None:
        out["mlflow.spanOutputs"] = json.dumps(plan.outputs)
    out["mlflow.spanLogLevel"] = json.dumps(plan.log_level)
    return out


def span_content(
    ctx: TraceContext, plan: SpanPlan, ids: tuple[str, str | None], times: tuple[int, int]
) -> str:
    """The `spans.content` JSON document of one span (SCHEMA.md §4)."""
    start, end = times
    events = [
        {"name": name, "time_unix_nano": start + int(at * (end - start)), "attributes": attrs}
        for at, name, attrs in plan.events
    ]
    status = {"code": "STATUS_CODE_ERROR" if plan.error else "STATUS_CODE_OK"}
    status["message"] = plan.error or ""
    document = {
        "trace_id": b64(ctx.trace_hex),
        "span_id": b64(ids[0]),
        "parent_span_id": b64(ids[1]) if ids[1] else None,
        "name": plan.name,
        "kind": "SPAN_KIND_INTERNAL",
        "start_time_unix_nano": start,
        "end_time_unix_nano": end,
        "events": events,
        "status": status,
        "attributes": _attributes(ctx.trace_id, plan),
        "links": [],
    }
    return json.dumps(document)


def _cost(plan: SpanPlan) -> tuple[float, float, float] | None:
    if plan.model is None or plan.usage is None or plan.model[0] not in PRICES:
        return None
    per_in, per_out = PRICES[plan.model[0]]
    cost_in, cost_out = plan.usage["input_tokens"] * per_in, plan.usage["output_tokens"] * per_out
    return cost_in, cost_out, cost_in + cost_out


def span_rows(ctx: TraceContext, shape: TraceShape, span_ids: list[str]) -> list[tuple[Any, ...]]:
    """One `spans` row per planned span, with model and cost columns for priced chat spans."""
    start, end = schedule(shape.spans, ctx.start_ns)
    rows = []
    for i, plan in enumerate(shape.spans):
        parent = span_ids[plan.parent] if plan.parent is not None else None
        rows.append(_span_row(ctx, plan, (span_ids[i], parent), (start[i], end[i])))
    return rows


def _span_row(
    ctx: TraceContext, plan: SpanPlan, ids: tuple[str, str | None], times: tuple[int, int]
) -> tuple[Any, ...]:
    cost = _cost(plan)
    if cost is not None:
        names = ("input_cost", "output_cost", "total_cost")
        plan.attrs["mlflow.llm.cost"] = dict(zip(names, cost, strict=True))
    content = span_content(ctx, plan, ids, times)
    status = "ERROR" if plan.error else "OK"
    columns = (plan.name, plan.span_type, status, *times, content)
    return (
        ctx.trace_id,
        ctx.experiment_id,
        *ids,
        *columns,
        *(cost or (None,) * 3),
        *(plan.model or (None, None)),
    )


def _last_text(messages: Any, role: str) -> str | None:
    if not isinstance(messages, list):
        return None
    for item in reversed(messages):
        if (
            isinstance(item, dict)
            and item.get("role") == role
            and isinstance(item.get("content"), str)
        ):
            return str(item["content"])
    return None


def request_text(value: Any) -> str | None:
    """The last user message of chat-shaped inputs (OpenAI `messages`, Responses `input`)."""
    if not isinstance(value, dict):
        return None
    request = value.get("request")
    if isinstance(request, dict):
        return _last_text(request.get("input"), "user")
    return _last_text(value.get("messages"), "user")


def response_text(value: Any) -> str | None:
    """The last assistant text of chat-shaped outputs (`messages`, `choices`, Responses)."""
    if not isinstance(value, dict):
        return None
    output = value.get("output")
    if isinstance(output, list) and output:
        parts = output[-1].get("content") or [{}]
        return str(parts[0].get("text", ""))
    if isinstance(value.get("choices"), list):
        return str(value["choices"][0]["message"].get("content") or "")
    return _last_text(value.get("messages"), "assistant")


def preview(value: Any, chat_text: str | None) -> str | None:
    if value is None:
        return None
    text = chat_text if chat_text is not None else json.dumps(value)
    return abbreviate(text.replace("\x00", "\ufffd"), 1000)


def size_stats(rows: list[tuple[Any, ...]], info_bytes: int) -> dict[str, int]:
    sizes = sorted(len(r[9].encode("utf-8")) for r in rows)
    quartiles = statistics.quantiles(sizes, n=4) if len(sizes) > 1 else [sizes[0]] * 3
    total = sum(sizes) + info_bytes
    stats = {"total_size_bytes": total, "num_spans": len(sizes), "max": sizes[-1]}
    stats.update(p25=int(quartiles[0]), p50=int(quartiles[1]), p75=int(quartiles[2]))
    return stats


def _tokens(shape: TraceShape) -> tuple[int | None, int | None, int | None]:
    usages = [s.usage for s in shape.spans if s.usage is not None]
    if not usages:
        return None, None, None
    keys = ("input_tokens", "output_tokens", "total_tokens")
    first, second, third = (sum(u[k] for u in usages) for k in keys)
    return first, second, third


def _trace_cost(shape: TraceShape) -> tuple[float | None, float | None, float | None]:
    costs = [c for c in (_cost(s) for s in shape.spans) if c is not None]
    if not costs:
        return None, None, None
    return sum(c[0] for c in costs), sum(c[1] for c in costs), sum(c[2] for c in costs)


def _metadata(ctx: TraceContext, root: SpanPlan, stats: dict[str, int]) -> dict[str, str]:
    """`trace_request_metadata` as MLflow 3.18 writes it (session and tokens are columns)."""
    meta = {
        "mlflow.trace_schema.version": "3",
        "mlflow.user": "bench",
        "mlflow.source.name": ctx.source_name,
        "mlflow.source.type": "LOCAL",
        **ctx.extra_metadata,
    }
    if root.inputs is not None:
        meta["mlflow.traceInputs"] = abbreviate(json.dumps(root.inputs), 250)
    if root.outputs is not None:
        meta["mlflow.traceOutputs"] = abbreviate(json.dumps(root.outputs), 250)
    meta["mlflow.trace.sizeBytes"] = str(stats["total_size_bytes"])
    meta["mlflow.trace.sizeStats"] = json.dumps(stats)
    meta["mlflow.trace.infoFinalized"] = "true"
    return meta


def add_trace(rows: Rows, ctx: TraceContext, shape: TraceShape, span_ids: list[str]) -> None:
    """Append every row of one trace to `rows`."""
    spans = span_rows(ctx, shape, span_ids)
    root = shape.spans[0]
    request = preview(root.inputs, request_text(root.inputs))
    response = preview(root.outputs, response_text(root.outputs))
    duration_ms = (spans[0][8] - ctx.start_ns) // MS
    status = "ERROR" if root.error else "OK"
    facts = (ctx.start_ns // MS, duration_ms, status, request, response, 2, root.name)
    rows.trace_info.append(
        (
            ctx.trace_id,
            ctx.experiment_id,
            *facts,
            ctx.session_id,
            *_tokens(shape),
            *_trace_cost(shape),
        )
    )
    stats = size_stats(spans, 400 + len(request or "") + len(response or ""))
    tags = {
        "mlflow.artifactLocation": f"{ctx.artifact_root}/traces/{ctx.trace_id}/artifacts",
        "mlflow.trace.spansLocation": "TRACKING_STORE",
        **ctx.extra_tags,
    }
    rows.tags.extend((k, v, ctx.trace_id) for k, v in tags.items())
    meta = _metadata(ctx, root, stats)
    rows.metadata.extend((k, v, ctx.trace_id) for k, v in meta.items())
    rows.spans.extend(spans)
