"""The labelling queue's work in the database thread: start, read a trace, save labels."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.labeling.plan import QueuePlan
from core.entities import Trace
from core.store import FieldAgreement, QueueSummary, ReviewQueue, ReviewQueues, Store


@dataclass(frozen=True)
class Started:
    """A queue opened for one labeller: its rows and the traces they already labelled."""

    queue: ReviewQueue
    user: str
    done: frozenset[str]


@dataclass(frozen=True)
class Item:
    """One trace to label: the trace, the labeller's current values, and who else labelled."""

    trace: Trace
    values: dict[str, Any]
    others: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {who: value}


def read_queues(store: Store, experiment_id: str) -> list[QueueSummary]:
    return ReviewQueues(store).of_experiment(experiment_id)


def start(store: Store, plan: QueuePlan) -> Started:
    """Open `plan`'s queue, making it from the filter when it is new (a write)."""
    queues = ReviewQueues(store)
    queue_id = plan.queue_id
    if queue_id is None:
        ids = store.reader.search_trace_ids(
            [plan.experiment_id], filter_string=plan.filter_string or None
        )
        if plan.sample is not None and plan.sample < len(ids):
            ids = random.sample(ids, plan.sample)
        if not ids:
            raise ValueError("No trace matches the filter: the queue would be empty.")
        queue_id = queues.create(plan.experiment_id, plan.name, plan.fields, ids, plan.user)
    elif not store.read_only:
        queues.join(queue_id, plan.user)
    queue = queues.load(queue_id)
    return Started(queue, plan.user, frozenset(queues.labelled_by(queue, plan.user)))


def read_item(store: Store, queue: ReviewQueue, trace_id: str, user: str) -> Item:
    trace = store.reader.get_trace(trace_id)
    mine = ReviewQueues.own_labels(trace.info.assessments, queue.fields, user)
    others: dict[str, dict[str, Any]] = {}
    names = {f.name for f in queue.fields}
    for a in trace.info.assessments:
        if a.source_type != "HUMAN" or a.valid is False or a.assessment_type != "feedback":
            continue
        if a.name in names and not ReviewQueues.same_user(a.source_id, user):
            others.setdefault(a.name, {})[a.source_id or "?"] = a.value
    return Item(trace, {name: a.value for name, a in mine.items()}, others)


def save(
    store: Store,
    queue: ReviewQueue,
    trace_id: str,
    values: Mapping[str, Any],
    user: str,
    resolution: bool,
) -> frozenset[str]:
    """Write the labels; the traces `user` has now labelled completely."""
    queues = ReviewQueues(store)
    queues.save(queue, trace_id, values, user, resolution=resolution)
    return frozenset(queues.labelled_by(queue, user))


def read_agreement(store: Store, queue_id: str) -> tuple[ReviewQueue, list[FieldAgreement]]:
    queues = ReviewQueues(store)
    queue = queues.load(queue_id)
    return queue, queues.agreement(queue)
