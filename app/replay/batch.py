"""Replay over many traces: the playground's edit, applied to the traces a filter selects (no Qt;
database-thread code).

`BatchEdit` is what the user changed in the playground: the system message(s), the model, its
parameters, and whether the recorded tools are offered. Applied to a target trace
(`target_row`), it replays that trace's model call of the same name: the same one of them as
the source was (an agent's second call, say; the last when the source was its trace's last of
several, as the call that wrote an agent's answer is), else the first; the trace itself when
the source was a trace's root. The target's own user, assistant and tool messages are sent, with the
edited system message(s) in place of its own (at the top when it had none). When the user
edited a linked prompt's template (`PromptEdit`), each target's messages that version rendered
are rendered again from the edited template with the target's own values instead. A target
without such a call (or not rendered from that version) is skipped and counted.

`source_facts` and `default_filter` prefill the dialog's filter (the prompt version the source
trace used, its name, and the replayed span's name); `count_matches` counts what a filter selects
and `find_targets` reads the first `limit` of them, as rows to evaluate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.messages.formats import SYSTEM
from app.replay.prompt_link import LinkedPrompt, find_prompt_use
from app.replay.request import (
    ReplayMessage,
    ReplayRequest,
    is_replayable,
    message_dict,
    request_from_span,
    request_from_trace,
)
from app.replay.run import ReplayRun
from app.traces.terms import equals, quoted
from core.entities import Span, Trace
from core.mlflow_keys import LINKED_PROMPTS_TAG
from core.store import Store

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000


@dataclass(frozen=True)
class PromptEdit:
    """The playground edited a linked prompt's template: `texts`, one per template message.
    Each target fills them with its own values (its tenant, its question), read from the
    messages the registered version rendered there."""

    linked: LinkedPrompt
    texts: tuple[str, ...]


@dataclass(frozen=True)
class BatchEdit:
    """The playground's edit, as it applies to any trace."""

    span_name: str  # the span replayed in each target (the source span's name)
    occurrence: int  # which of the trace's calls of that name the source was (0: the first,
    # -1: the last of several, e.g. the call that wrote an agent's answer)
    from_root: bool  # the source was its trace's root: a target without the span uses its own
    system: tuple[str, ...]  # the edited system message(s), in order
    url: str
    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    tools_on: bool = True  # offer each target's recorded tools
    experiment_id: str = "0"
    source_trace_id: str = ""
    recorded_model: str | None = None
    prompt: PromptEdit | None = None  # the template was edited: applied instead of `system`


def edit_from(
    request: ReplayRequest,
    edited: ReplayRun,
    facts: SourceFacts,
    prompt: PromptEdit | None = None,
) -> BatchEdit:
    """The edit the playground holds: `request` as recorded, `edited` as the user changed it,
    `facts` what the source trace says of where the call was, `prompt` the template edit."""
    return BatchEdit(
        span_name=request.source_name,
        occurrence=facts.occurrence,
        from_root=facts.from_root,
        system=tuple(m.content for m in edited.messages if m.role == SYSTEM),
        url=edited.url,
        model=edited.model,
        temperature=edited.temperature,
        max_tokens=edited.max_tokens,
        seed=edited.seed,
        tools_on=bool(edited.tools) or not request.tools,
        experiment_id=request.experiment_id or edited.experiment_id,
        source_trace_id=request.source_trace_id,
        recorded_model=request.model,
        prompt=prompt,
    )


def with_system(
    system: Sequence[str], messages: Sequence[ReplayMessage]
) -> tuple[ReplayMessage, ...]:
    """`messages` with their system messages replaced by `system`, where the first one was
    (at the top when there was none); the other messages are kept as they are."""
    roles = [m.role for m in messages]
    at = roles.index(SYSTEM) if SYSTEM in roles else 0
    rest = [m for m in messages if m.role != SYSTEM]
    new = [ReplayMessage(SYSTEM, text) for text in system]
    return (*rest[:at], *new, *rest[at:])


def with_template(
    prompt: PromptEdit, messages: Sequence[ReplayMessage]
) -> tuple[ReplayMessage, ...] | None:
    """`messages` with the ones the prompt version rendered rendered again from the edited
    template with their own values; None when that version rendered none of them."""
    use = find_prompt_use(messages, [prompt.linked])
    if use is None:
        return None
    out = list(messages)
    for row, text in zip(use.rows, prompt.texts, strict=True):
        out[row] = replace(out[row], content=use.render(text))
    return tuple(out)


# -- the source and the filter ----------------------------------------------------------------


@dataclass(frozen=True)
class SourceFacts:
    """What the filter's default is made of, read from the source trace."""

    trace_name: str | None
    prompts: tuple[str, ...]  # linked prompt versions, as `name/version`
    from_root: bool
    occurrence: int = 0  # see `BatchEdit.occurrence`


def source_facts(store: Store, request: ReplayRequest) -> SourceFacts:
    """Database thread: the source trace's name and linked prompts, whether the replayed span
    is its root, and which of its calls of that name it is."""
    trace = store.reader.get_trace(request.source_trace_id)
    root = trace.data.root_span
    from_root = request.source_span_id is None or (
        root is not None and root.span_id == request.source_span_id
    )
    calls = [s.span_id for s in model_calls(trace, request.source_name)]
    occurrence = calls.index(request.source_span_id) if request.source_span_id in calls else 0
    if len(calls) > 1 and occurrence == len(calls) - 1:
        occurrence = -1  # the last call (the one that answered): each target's last
    return SourceFacts(trace.info.name, _linked_prompts(trace), from_root, occurrence)


def model_calls(trace: Trace, name: str) -> list[Span]:
    """The trace's replayable spans called `name`, in the order they started."""
    calls = [s for s in trace.data.spans if s.name == name and is_replayable(s)]
    return sorted(calls, key=lambda s: s.start_time_ns)


def _linked_prompts(trace: Trace) -> tuple[str, ...]:
    try:
        linked = json.loads(trace.info.tags.get(LINKED_PROMPTS_TAG) or "[]")
    except ValueError:
        return ()
    if not isinstance(linked, list):
        return ()
    return tuple(
        f"{p['name']}/{p['version']}"
        for p in linked
        if isinstance(p, dict) and p.get("name") and p.get("version") is not None
    )


def default_filter(facts: SourceFacts, span_name: str) -> str:
    """Traces like the source: of its prompt version and its name, and with a span of the
    replayed span's name (so few of those selected are skipped)."""
    terms = [f"trace.prompt = {quoted(p)}" for p in facts.prompts[:1]]
    if facts.trace_name:
        terms.append(equals("trace", "name", facts.trace_name))
    if not facts.from_root or not terms:
        terms.append(equals("span", "name", span_name))
    return " AND ".join(terms)


def count_matches(store: Store, experiment_id: str, filter_text: str) -> int:
    """Database thread: how many traces of the experiment `filter_text` selects."""
    return store.reader.count_traces([experiment_id], filter_text.strip() or None)


# -- the targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRow:
    """One target: the messages to send and what its span answered when it was recorded."""

    trace_id: str
    span_id: str | None
    messages: tuple[ReplayMessage, ...]
    tools: tuple[dict[str, Any], ...]
    recorded: str

    @property
    def inputs(self) -> dict[str, Any]:
        """The row's inputs in both runs: the chat request sent (OpenAI's shape). Both keys
        always: the edited run records its call's arguments, which must equal these."""
        return {
            "messages": [message_dict(m) for m in self.messages],
            "tools": [dict(t) for t in self.tools],
        }


@dataclass(frozen=True)
class Targets:
    """The rows to replay, and the selected traces left out (no span to replay)."""

    rows: tuple[BatchRow, ...]
    skipped: tuple[str, ...]


def find_targets(store: Store, edit: BatchEdit, filter_text: str, limit: int) -> Targets:
    """Database thread: the first `limit` traces the filter selects, as rows (newest first)."""
    reader = store.reader
    ids = reader.search_trace_ids(
        [edit.experiment_id], filter_string=filter_text.strip() or None, max_results=limit
    )
    rows: list[BatchRow] = []
    skipped: list[str] = []
    for trace in reader.traces(ids):
        row = target_row(trace, edit)
        if row is None:
            skipped.append(trace.info.trace_id)
        else:
            rows.append(row)
    return Targets(tuple(rows), tuple(skipped))


def target_row(trace: Trace, edit: BatchEdit) -> BatchRow | None:
    """The edit applied to one trace; None when it has no span to replay."""
    request = _target_request(trace, edit)
    if request is None:
        return None
    messages = with_system(edit.system, request.messages)
    if edit.prompt is not None:
        found = with_template(edit.prompt, request.messages)
        if found is None:  # the call was not rendered from that version: nothing to fill in
            return None
        messages = found
    return BatchRow(
        trace_id=trace.info.trace_id,
        span_id=request.source_span_id,
        messages=messages,
        tools=request.tools if edit.tools_on else (),
        recorded=request.recorded_output,
    )


def _target_request(trace: Trace, edit: BatchEdit) -> ReplayRequest | None:
    calls = model_calls(trace, edit.span_name)
    if calls:
        found = -len(calls) <= edit.occurrence < len(calls)
        span = calls[edit.occurrence] if found else calls[0]
        return request_from_span(span, trace.info.experiment_id)
    return request_from_trace(trace) if edit.from_root else None
