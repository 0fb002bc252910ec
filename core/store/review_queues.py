"""Labelling queues in MLflow 3.18's review-queue tables, and who labelled what (issue 22).

The rows are those of MLflow's `SqlAlchemyStore.create_label_schema`, `create_review_queue`
(a `custom` queue), `update_review_queue(users=...)`, `add_items_to_review_queue` and
`set_review_queue_item_status`, so MLflow lists our queues and we list its:

* a label schema is one `label_schemas` row per experiment and name: id `ls-<32 hex>`, type
  `feedback`, `input_type` `pass_fail` | `numeric` | `categorical` | `text` with its JSON
  `input_config`; its name is the name of the feedback a labeller writes.
* a queue is one `review_queues` row (id `rq-<32 hex>`, `name_key` the lowercased name), a
  `review_queue_label_schemas` row per schema, a `review_queue_users` row per labeller
  (lowercased) and a `review_queue_items` row per trace (`pending`, then `complete` with
  `completed_by` once someone labelled every field).

The labels themselves are feedback assessments, source `HUMAN`, source id the labeller: two
people never touch each other's rows, and a person changing a label overrides only their own.
The tables are in `core.store.schema`; agreement between labellers in `label_agreement`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Connection, func, insert, select, update

from core.entities import Assessment
from core.errors import NotFoundError
from core.store import assessment_edits
from core.store import schema as t

if TYPE_CHECKING:
    from core.store.label_agreement import FieldAgreement
    from core.store.store import Store

queue_users, queue_items = t.review_queue_users, t.review_queue_items
queue_schemas = t.review_queue_label_schemas

PASS_FAIL, NUMERIC, CATEGORICAL, TEXT = "pass_fail", "numeric", "categorical", "text"
KINDS = (PASS_FAIL, NUMERIC, CATEGORICAL, TEXT)
PENDING, COMPLETE = "pending", "complete"
HUMAN = "HUMAN"
#: Metadata key of a label that settles a disagreement between other labellers.
RESOLUTION_KEY = "tracedesk.resolution"


@dataclass(frozen=True)
class LabelField:
    """One question of a queue: a feedback name and how it is answered."""

    PASS_FAIL: ClassVar[str] = PASS_FAIL
    NUMERIC: ClassVar[str] = NUMERIC
    CATEGORICAL: ClassVar[str] = CATEGORICAL
    TEXT: ClassVar[str] = TEXT

    name: str
    kind: str = PASS_FAIL
    options: tuple[str, ...] = ()  # categorical
    maximum: int = 5  # numeric: 1 to maximum

    def config(self) -> dict[str, Any]:
        """MLflow's `input_config` for this kind (`_input_to_dict`)."""
        if self.kind == PASS_FAIL:
            return {"positive_label": "Pass", "negative_label": "Fail"}
        if self.kind == CATEGORICAL:
            return {"options": list(self.options), "multi_select": False}
        if self.kind == NUMERIC:
            return {"min_value": 1, "max_value": self.maximum}
        return {"max_length": None}

    def choices(self) -> list[Any]:
        """The values keys 1-9 pick (pass/fail: True, False; text: none)."""
        if self.kind == PASS_FAIL:
            return [True, False]
        if self.kind == CATEGORICAL:
            return list(self.options)
        if self.kind == NUMERIC:
            return list(range(1, self.maximum + 1))
        return []


@dataclass(frozen=True)
class ReviewQueue:
    """A queue as stored: its questions and its traces, in trace time order."""

    queue_id: str
    experiment_id: str
    name: str
    fields: tuple[LabelField, ...]
    trace_ids: tuple[str, ...]
    users: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueSummary:
    """A queue in the start dialog's list."""

    queue_id: str
    name: str
    items: int
    created_by: str | None


class ReviewQueues:
    """The store's labelling queues: what the app calls (the functions of this module)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        experiment_id: str,
        name: str,
        fields: Sequence[LabelField],
        trace_ids: Sequence[str],
        user: str,
    ) -> str:
        return create_queue(self._store, experiment_id, name, fields, trace_ids, user)

    def join(self, queue_id: str, user: str) -> None:
        join_queue(self._store, queue_id, user)

    def of_experiment(self, experiment_id: str) -> list[QueueSummary]:
        return list_queues(self._store, experiment_id)

    def load(self, queue_id: str) -> ReviewQueue:
        return load_queue(self._store, queue_id)

    def labelled_by(self, queue: ReviewQueue, user: str) -> set[str]:
        return labelled_by(self._store, queue, user)

    def save(
        self,
        queue: ReviewQueue,
        trace_id: str,
        values: Mapping[str, Any],
        user: str,
        *,
        resolution: bool = False,
    ) -> list[Assessment]:
        return save_labels(self._store, queue, trace_id, values, user, resolution=resolution)

    def agreement(self, queue: ReviewQueue) -> list[FieldAgreement]:
        from core.store import label_agreement  # it builds on this module

        return label_agreement.agreement(self._store, queue)

    @staticmethod
    def own_labels(
        assessments: Sequence[Assessment], fields: Sequence[LabelField], user: str
    ) -> dict[str, Assessment]:
        return own_labels(assessments, fields, user)

    @staticmethod
    def same_user(a: str | None, b: str | None) -> bool:
        """Whether two names are the same labeller (MLflow compares them lowercased)."""
        return normalize_user(a or "") == normalize_user(b or "")


def normalize_user(user: str) -> str:
    """A labeller as MLflow stores queue users (`normalize_user`: stripped, lowercase)."""
    return user.strip().lower()


def field_of(name: str, input_type: str, config_text: str | None) -> LabelField:
    """A `LabelField` from a `label_schemas` row (MLflow's own schemas too)."""
    try:
        config = json.loads(config_text or "{}")
    except ValueError:
        config = {}
    if not isinstance(config, dict):
        config = {}
    if input_type == CATEGORICAL:
        return LabelField(name, CATEGORICAL, tuple(str(o) for o in config.get("options") or ()))
    if input_type == NUMERIC:
        top = config.get("max_value")
        return LabelField(name, NUMERIC, maximum=int(top) if isinstance(top, int | float) else 5)
    return LabelField(name, input_type if input_type in KINDS else TEXT)


def create_queue(
    store: Store,
    experiment_id: str,
    name: str,
    fields: Sequence[LabelField],
    trace_ids: Sequence[str],
    user: str,
) -> str:
    """Create the queue `name` (or join it when someone made it first); returns its id.

    Existing schemas of the same name are reused; the traces are added (already there: kept).
    """
    if not name.strip() or name.strip().lower() == "default":
        raise ValueError("A queue needs a name other than 'default'.")
    if not fields:
        raise ValueError("A queue needs at least one field to label.")

    def work(connection: Connection) -> str:
        q = t.review_queues
        now = _now_ms()
        found = connection.execute(
            select(q.c.queue_id).where(
                q.c.experiment_id == int(experiment_id), q.c.name_key == name.strip().lower()
            )
        ).scalar()
        if found is not None:
            queue_id = str(found)
        else:
            queue_id = f"rq-{uuid.uuid4().hex}"
            connection.execute(
                insert(q).values(
                    queue_id=queue_id,
                    experiment_id=int(experiment_id),
                    name=name.strip(),
                    name_key=name.strip().lower(),
                    queue_type="custom",
                    created_by=user,
                    creation_time_ms=now,
                    last_update_time_ms=now,
                )
            )
            for schema_id in _schema_ids(connection, experiment_id, fields, user, now):
                connection.execute(
                    insert(queue_schemas).values(queue_id=queue_id, schema_id=schema_id)
                )
        _join(connection, queue_id, user)
        _add_items(connection, queue_id, trace_ids, now)
        return queue_id

    return store.writer.transaction(work)


def join_queue(store: Store, queue_id: str, user: str) -> None:
    """Add `user` to the queue's labellers (MLflow's assigned users) if not there yet."""
    store.writer.transaction(lambda connection: _join(connection, queue_id, user))


def list_queues(store: Store, experiment_id: str) -> list[QueueSummary]:
    """The experiment's queues, newest first, with their number of traces."""
    q, i = t.review_queues, queue_items
    if "review_queues" not in store.layout.tables:
        return []
    counts = select(i.c.queue_id, func.count().label("n")).group_by(i.c.queue_id).subquery("counts")
    statement = (
        select(q.c.queue_id, q.c.name, q.c.created_by, func.coalesce(counts.c.n, 0))
        .select_from(q.outerjoin(counts, counts.c.queue_id == q.c.queue_id))
        .where(q.c.experiment_id == int(experiment_id))
        .order_by(q.c.creation_time_ms.desc(), q.c.queue_id)
    )
    return [QueueSummary(r[0], r[1], int(r[3]), r[2]) for r in store.reader.rows(statement)]


def load_queue(store: Store, queue_id: str) -> ReviewQueue:
    """The queue `queue_id` with its fields and traces (oldest trace first)."""
    q, s, i, ti = t.review_queues, t.label_schemas, queue_items, t.trace_info
    rows = store.reader.rows(select(q.c.experiment_id, q.c.name).where(q.c.queue_id == queue_id))
    if not rows:
        raise NotFoundError(f"There is no review queue {queue_id}.")
    experiment_id, name = rows[0]
    schema_rows = store.reader.rows(
        select(s.c.name, s.c.input_type, s.c.input_config)
        .select_from(
            s.join(
                queue_schemas,
                queue_schemas.c.schema_id == s.c.schema_id,
            )
        )
        .where(queue_schemas.c.queue_id == queue_id)
        .order_by(s.c.created_time, s.c.name)
    )
    items = store.reader.rows(
        select(i.c.item_id)
        .select_from(i.outerjoin(ti, ti.c.request_id == i.c.item_id))
        .where(i.c.queue_id == queue_id)
        .order_by(ti.c.timestamp_ms, i.c.item_id)
    )
    users = store.reader.rows(
        select(queue_users.c.user_id)
        .where(queue_users.c.queue_id == queue_id)
        .order_by(queue_users.c.user_id)
    )
    return ReviewQueue(
        queue_id=queue_id,
        experiment_id=str(experiment_id),
        name=str(name),
        fields=tuple(field_of(r[0], r[1], r[2]) for r in schema_rows),
        trace_ids=tuple(r[0] for r in items),
        users=tuple(r[0] for r in users),
    )


def labelled_by(store: Store, queue: ReviewQueue, user: str) -> set[str]:
    """The queue's traces on which `user` has a current feedback for every field (in SQL)."""
    a = t.assessments
    names = [f.name for f in queue.fields]
    if not names:
        return set()
    statement = (
        select(a.c.trace_id)
        .where(
            a.c.trace_id.in_(
                select(queue_items.c.item_id).where(queue_items.c.queue_id == queue.queue_id)
            ),
            a.c.assessment_type == "feedback",
            a.c.source_type == HUMAN,
            func.lower(a.c.source_id) == normalize_user(user),
            a.c.valid.is_(True),
            a.c.name.in_(names),
        )
        .group_by(a.c.trace_id)
        .having(func.count(func.distinct(a.c.name)) == len(set(names)))
    )
    return {r[0] for r in store.reader.rows(statement)}


def own_labels(
    assessments: Sequence[Assessment], fields: Sequence[LabelField], user: str
) -> dict[str, Assessment]:
    """`user`'s current feedback per field name among a trace's assessments (the newest)."""
    names = {f.name for f in fields}
    mine: dict[str, Assessment] = {}
    for a in assessments:
        if (
            a.assessment_type == "feedback"
            and a.source_type == HUMAN
            and a.valid is not False
            and a.name in names
            and normalize_user(a.source_id or "") == normalize_user(user)
        ):
            old = mine.get(a.name)
            if old is None or (a.last_update_time_ms or 0) >= (old.last_update_time_ms or 0):
                mine[a.name] = a
    return mine


def save_labels(
    store: Store,
    queue: ReviewQueue,
    trace_id: str,
    values: Mapping[str, Any],
    user: str,
    *,
    resolution: bool = False,
) -> list[Assessment]:
    """Write `user`'s `values` (field name -> value) on a trace; its assessments as now stored.

    A field `user` labelled before is overridden only when the value changed; other people's
    labels are never touched. With every field labelled, the queue item turns `complete`.
    `resolution` marks the labels as settling a disagreement (in their metadata).
    """
    edits = store.trace_edits
    current = list(store.reader.assessments([trace_id]).get(trace_id, []))
    mine = own_labels(current, queue.fields, user)
    metadata = {RESOLUTION_KEY: "true"} if resolution else None
    for label_field in queue.fields:
        if label_field.name not in values:
            continue
        value = values[label_field.name]
        old = mine.get(label_field.name)
        if old is not None and _unchanged(old, value, resolution):
            continue
        if old is not None and old.assessment_id is not None:
            assessment_edits.override_feedback(
                store,
                trace_id,
                old.assessment_id,
                value,
                source_type=HUMAN,
                source_id=user,
                metadata=metadata,
            )
        else:
            edits.log_feedback(
                trace_id,
                label_field.name,
                value,
                source_type=HUMAN,
                source_id=user,
                metadata=metadata,
            )
    stored = list(store.reader.assessments([trace_id]).get(trace_id, []))
    if len(own_labels(stored, queue.fields, user)) == len({f.name for f in queue.fields}):
        _set_status(store, queue.queue_id, trace_id, user)
    return stored


def _unchanged(old: Assessment, value: Any, resolution: bool) -> bool:
    """The same value (and type: True is no 1), and no resolution mark to add."""
    same = old.value == value and type(old.value) is type(value)
    return same and (not resolution or bool((old.metadata or {}).get(RESOLUTION_KEY)))


def _schema_ids(
    connection: Connection,
    experiment_id: str,
    fields: Sequence[LabelField],
    user: str,
    now: int,
) -> list[str]:
    s = t.label_schemas
    ids = []
    for index, label_field in enumerate(fields):
        found = connection.execute(
            select(s.c.schema_id).where(
                s.c.experiment_id == int(experiment_id), s.c.name == label_field.name
            )
        ).scalar()
        if found is None:
            found = f"ls-{uuid.uuid4().hex}"
            connection.execute(
                insert(s).values(
                    schema_id=found,
                    experiment_id=int(experiment_id),
                    name=label_field.name,
                    type="feedback",
                    instruction=None,
                    enable_comment=False,
                    input_type=label_field.kind,
                    input_config=json.dumps(label_field.config()),
                    created_by=user,
                    created_time=now + index,  # a queue lists its fields in this order
                    last_update_time=now + index,
                    is_default=False,
                )
            )
        if found not in ids:
            ids.append(str(found))
    return ids


def _join(connection: Connection, queue_id: str, user: str) -> None:
    u = queue_users
    who = normalize_user(user)
    if not who:
        return
    there = connection.execute(
        select(u.c.user_id).where(u.c.queue_id == queue_id, u.c.user_id == who)
    ).first()
    if there is None:
        connection.execute(insert(u).values(queue_id=queue_id, user_id=who))


def _add_items(connection: Connection, queue_id: str, trace_ids: Sequence[str], now: int) -> None:
    i = queue_items
    there = {r[0] for r in connection.execute(select(i.c.item_id).where(i.c.queue_id == queue_id))}
    for trace_id in dict.fromkeys(trace_ids):
        if trace_id in there:
            continue
        connection.execute(
            insert(i).values(
                queue_id=queue_id,
                item_type="trace",
                item_id=trace_id,
                status=PENDING,
                completed_by=None,
                completed_time_ms=None,
                creation_time_ms=now,
                last_update_time_ms=now,
            )
        )


def _set_status(store: Store, queue_id: str, trace_id: str, user: str) -> None:
    i = queue_items
    now = _now_ms()

    def work(connection: Connection) -> None:
        connection.execute(
            update(i)
            .where(i.c.queue_id == queue_id, i.c.item_id == trace_id, i.c.status == PENDING)
            .values(
                status=COMPLETE,
                completed_by=normalize_user(user),
                completed_time_ms=now,
                last_update_time_ms=now,
            )
        )

    store.writer.transaction(work)


def _now_ms() -> int:
    return int(time.time() * 1000)
