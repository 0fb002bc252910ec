"""A trace diff as Markdown (to paste into an issue or a chat) and as JSON (no Qt)."""

from __future__ import annotations

from typing import Any

from core.tracediff.diff import CHANGED, ONLY_LEFT, ONLY_RIGHT, SAME, SpanPair, Summary, TraceDiff

#: Tree lines a Markdown export shows before it says how many it left out.
MARKDOWN_ROWS = 400
MARKS = {SAME: " ", CHANGED: "~", ONLY_LEFT: "-", ONLY_RIGHT: "+"}


def diff_markdown(diff: TraceDiff, rows: int = MARKDOWN_ROWS) -> str:
    """The summary, where the time went, the fork, and the merged tree (first `rows` rows)."""
    summary = diff.summary()
    left, right = diff.left.info.trace_id, diff.right.info.trace_id
    lines = [
        f"## Trace diff: `{left}` → `{right}`",
        "",
        "| | left | right | change |",
        "|---|---|---|---|",
        _row("duration", summary.left.duration_ns, summary.right.duration_ns, duration_text),
        _row("tokens", summary.left.tokens, summary.right.tokens, _count),
        _row("cost", summary.left.cost, summary.right.cost, _dollars),
        _row("spans", summary.left.spans, summary.right.spans, _count),
        f"| status | {summary.left.status} | {summary.right.status} | |",
        "",
        _counts(summary),
    ]
    if summary.fork is not None:
        pair = diff.pairs[summary.fork]
        lines += ["", f"**Forked at** `{diff.path(summary.fork)}` ({_fork_reason(pair)})."]
    if summary.time_movers:
        lines += ["", "**Where the time went** (own time, right - left):", ""]
        for number, index in enumerate(summary.time_movers, 1):
            delta = diff.pairs[index].self_delta_ns
            lines.append(f"{number}. `{diff.path(index)}` {_signed(delta)}")
    lines += ["", "```text"]
    for pair in diff.pairs[:rows]:
        lines.append(_tree_line(pair))
    if len(diff.pairs) > rows:
        lines.append(f"… {len(diff.pairs) - rows:,} more rows")
    lines += ["```", "", "Marks: `~` changed, `-` only left, `+` only right, `↕` reordered."]
    return "\n".join(lines) + "\n"


def diff_json(diff: TraceDiff) -> dict[str, Any]:
    """Everything the window shows, JSON-ready: summary and one object per row (changed rows
    with what changed, by JSON path)."""
    summary = diff.summary()
    return {
        "left": diff.left.info.trace_id,
        "right": diff.right.info.trace_id,
        "summary": {
            "left": vars(summary.left),
            "right": vars(summary.right),
            "duration_delta_ns": summary.duration_delta_ns,
            "tokens_delta": summary.tokens_delta,
            "cost_delta": summary.cost_delta,
            "rows": summary.counts,
            "reordered": summary.moved,
            "fork": summary.fork,
            "time_movers": list(summary.time_movers),
        },
        "rows": [_row_json(pair) for pair in diff.pairs],
    }


def duration_text(ns: int | float | None) -> str:
    if ns is None:
        return "—"
    ms = ns / 1e6
    if abs(ms) < 1:
        return f"{ns / 1e3:.0f} µs"
    if abs(ms) < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.2f} s"


def _row_json(pair: SpanPair) -> dict[str, Any]:
    out: dict[str, Any] = {
        "depth": pair.depth,
        "parent": pair.parent,
        "name": pair.name,
        "type": pair.span_type,
        "status": pair.status,
        "reordered": pair.moved,
        "left_span_id": pair.left.span_id if pair.left else None,
        "right_span_id": pair.right.span_id if pair.right else None,
        "duration_ns": list(pair.duration_ns),
        "tokens": list(pair.tokens),
        "cost": list(pair.cost),
    }
    if pair.status == CHANGED:
        out["changes"] = {
            part: [c.to_dict() for c in pair.part_changes(part)] for part in pair.changes
        }
    return out


def _tree_line(pair: SpanPair) -> str:
    mark = MARKS[pair.status] + ("↕" if pair.moved else " ")
    left, right = pair.duration_ns
    if pair.status in (SAME, CHANGED):
        timing = f"{duration_text(left)} → {duration_text(right)}"
    else:
        timing = duration_text(left if pair.right is None else right)
    what = f" ({', '.join(pair.changes)})" if pair.changes else ""
    return f"{mark} {'  ' * pair.depth}{pair.name}  {timing}{what}"


def _row(label: str, left: Any, right: Any, text: Any) -> str:
    change = "" if left is None or right is None else _change(left, right, text)
    return f"| {label} | {text(left)} | {text(right)} | {change} |"


def _change(left: Any, right: Any, text: Any) -> str:
    delta = right - left
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    share = f" ({delta / left:+.0%})" if left else ""
    return f"{sign}{text(abs(delta))}{share}"


def _signed(ns: int) -> str:
    return ("+" if ns >= 0 else "-") + duration_text(abs(ns))


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _dollars(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def _counts(summary: Summary) -> str:
    c = summary.counts
    text = (
        f"Spans: {c[SAME]:,} same, {c[CHANGED]:,} changed, {c[ONLY_LEFT]:,} only left, "
        f"{c[ONLY_RIGHT]:,} only right"
    )
    return text + (f" ({summary.moved:,} reordered)." if summary.moved else ".")


def _fork_reason(pair: SpanPair) -> str:
    if pair.left is None:
        return "only the right trace has it"
    if pair.right is None:
        return "only the left trace has it"
    return "its inputs differ"
