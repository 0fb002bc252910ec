"""How the labellers of a queue agree, per field, from their feedback assessments (issue 22).

A trace counts for a field when two labellers or more gave it a current (valid) HUMAN feedback
of that name; they agree when all their newest values are equal. A label whose metadata marks it
as a resolution (`RESOLUTION_KEY`) settles a disagreement and is its author's vote as well.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.entities import Assessment
from core.store.review_queues import HUMAN, RESOLUTION_KEY, ReviewQueue, normalize_user

if TYPE_CHECKING:
    from core.store.store import Store


@dataclass(frozen=True)
class FieldAgreement:
    """How labellers agree on one field: over the traces at least two of them labelled."""

    name: str
    shared: int  # traces with ≥ 2 labellers
    agreed: int
    resolved: int
    #: (trace id, {labeller: value}) for each unresolved disagreement
    disagreements: tuple[tuple[str, dict[str, Any]], ...] = field(default=())

    @property
    def percent(self) -> float | None:
        return 100.0 * self.agreed / self.shared if self.shared else None


def agreement(store: Store, queue: ReviewQueue) -> list[FieldAgreement]:
    """Per field: traces labelled by ≥ 2 people, how many agree, the disagreements left.

    A disagreement someone settled with a resolution label counts as resolved, not agreed.
    """
    by_trace = store.reader.assessments(list(queue.trace_ids)) if queue.trace_ids else {}
    results = []
    for label_field in queue.fields:
        shared = agreed = resolved = 0
        open_ones: list[tuple[str, dict[str, Any]]] = []
        for trace_id in queue.trace_ids:
            votes, settled = _votes(by_trace.get(trace_id, []), label_field.name)
            if len(votes) < 2:
                continue
            shared += 1
            if len({json.dumps(v, sort_keys=True) for v in votes.values()}) == 1:
                agreed += 1
            elif settled:
                resolved += 1
            else:
                open_ones.append((trace_id, votes))
        results.append(FieldAgreement(label_field.name, shared, agreed, resolved, tuple(open_ones)))
    return results


def _votes(assessments: Sequence[Assessment], name: str) -> tuple[dict[str, Any], bool]:
    """Each labeller's current value of `name`, and whether a resolution label settled it."""
    latest: dict[str, Assessment] = {}
    settled = False
    for a in assessments:
        if a.assessment_type != "feedback" or a.source_type != HUMAN or a.name != name:
            continue
        if a.valid is False:
            continue
        if (a.metadata or {}).get(RESOLUTION_KEY):
            settled = True  # and it is the resolver's own vote as well
        who = normalize_user(a.source_id or "")
        old = latest.get(who)
        if old is None or (a.last_update_time_ms or 0) >= (old.last_update_time_ms or 0):
            latest[who] = a
    return {who: a.value for who, a in sorted(latest.items())}, settled
