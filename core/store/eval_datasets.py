"""Managed evaluation datasets (`mlflow.genai.datasets`) in MLflow 3.18's tables.

The rows are those of MLflow's `SqlAlchemyStore.create_dataset` and `upsert_dataset_records`:

* a dataset is one `evaluation_datasets` row: id `d-<32 hex>`, the name, `digest` the first 8
  hex of sha256(`"<name>:<last_update_time>"`), times now (ms), `created_by` /
  `last_updated_by` the `mlflow.user` tag or NULL, `schema` / `profile` NULL until records are
  added; its tags are `evaluation_dataset_tags` rows, and each experiment it belongs to an
  `entity_associations` row (`evaluation_dataset` → `experiment`).
* a record is one `evaluation_dataset_records` row: id `dr-<32 hex>`, `inputs` JSON,
  `outputs` JSON wrapped as `{"mlflow_wrapped": ...}` (NULL when None), `expectations`,
  `tags`, `source` JSON, `source_type` / `source_id` (a trace's id for a TRACE source),
  `input_hash` the sha256 of the inputs' JSON with sorted keys. A record whose inputs are
  already in the dataset is merged into that one instead: its expectations and tags updated
  key by key, its outputs replaced when given.
* after a merge the dataset's `schema` gains the new keys' types, `profile` is
  `{"num_records": n}`, and `digest` / `last_update_time` / `last_updated_by` change.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    func,
    insert,
    select,
    update,
)

from core.errors import NotFoundError
from core.mlflow_keys import USER_TAG
from core.store import schema as t

if TYPE_CHECKING:
    from core.store.store import Store

datasets, dataset_tags = t.evaluation_datasets, t.evaluation_dataset_tags
records = t.evaluation_dataset_records

DATASET_ENTITY, EXPERIMENT_ENTITY = "evaluation_dataset", "experiment"
WRAPPED_OUTPUT_KEY = "mlflow_wrapped"  # MLflow's DATASET_RECORD_WRAPPED_OUTPUT_KEY
SOURCE_TYPES = ("UNSPECIFIED", "TRACE", "HUMAN", "DOCUMENT", "CODE")


@dataclass(frozen=True)
class DatasetRow:
    """One `evaluation_datasets` row with its tags (what `EvaluationDataset` shows)."""

    dataset_id: str
    name: str
    digest: str | None
    created_time: int | None
    last_update_time: int | None
    created_by: str | None
    last_updated_by: str | None
    schema: str | None
    profile: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordRow:
    """One stored record, decoded (MLflow's `DatasetRecord`)."""

    dataset_record_id: str
    dataset_id: str
    inputs: Any
    outputs: Any
    expectations: dict[str, Any] | None
    tags: dict[str, str] | None
    source: dict[str, Any] | None
    source_id: str | None
    source_type: str | None
    created_time: int | None
    last_update_time: int | None
    created_by: str | None
    last_updated_by: str | None


@dataclass(frozen=True)
class MergeCount:
    """How many records a merge added and how many it updated."""

    inserted: int
    updated: int


class EvaluationDatasets:
    """The managed evaluation datasets of one store (one short transaction per write)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def available(self) -> bool:
        """Whether this database has the dataset tables (MLflow ≥ 3.4 layouts)."""
        return {
            datasets.name,
            records.name,
        } <= self._store.layout.tables

    def create(
        self,
        name: str,
        *,
        tags: Mapping[str, str] | None = None,
        experiment_ids: Sequence[str] = (),
    ) -> DatasetRow:
        """A new, empty dataset (names need not be unique, as in MLflow)."""
        if not name:
            raise ValueError("A dataset needs a name.")
        self._check_available()
        tags = {str(k): str(v) for k, v in (tags or {}).items()}
        now = _now_ms()
        dataset_id = f"d-{uuid.uuid4().hex}"
        user = tags.get(USER_TAG)

        def work(connection: Connection) -> None:
            row: dict[str, Any] = {
                "dataset_id": dataset_id,
                "name": name,
                "schema": None,
                "profile": None,
                "digest": digest(name, now),
                "created_time": now,
                "last_update_time": now,
                "created_by": user,
                "last_updated_by": user,
            }
            if self._store.layout.has_workspaces:
                row["workspace"] = "default"
            connection.execute(insert(datasets).values(**row))
            for key, value in tags.items():
                connection.execute(
                    insert(dataset_tags).values(dataset_id=dataset_id, key=key, value=value)
                )
            for experiment_id in dict.fromkeys(map(str, experiment_ids)):
                connection.execute(
                    insert(t.entity_associations).values(
                        association_id=str(uuid.uuid4()),
                        source_type=DATASET_ENTITY,
                        source_id=dataset_id,
                        destination_type=EXPERIMENT_ENTITY,
                        destination_id=experiment_id,
                        created_time=now,
                    )
                )

        self._store.writer.transaction(work)
        return self.get(dataset_id)

    def get(self, dataset_id: str) -> DatasetRow:
        """One dataset; NotFoundError when there is none with this id."""
        found = self.search(dataset_ids=[dataset_id])
        if not found:
            raise NotFoundError(f"Evaluation dataset with id '{dataset_id}' not found")
        return found[0]

    def search(
        self,
        *,
        name: str | None = None,
        name_like: str | None = None,
        experiment_ids: Sequence[str] | None = None,
        dataset_ids: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[DatasetRow]:
        """Datasets, newest first: by exact name, SQL LIKE pattern, experiment or id."""
        if not self.available:
            return []
        statement = select(datasets).order_by(datasets.c.created_time.desc(), datasets.c.dataset_id)
        if name is not None:
            statement = statement.where(datasets.c.name == name)
        if name_like is not None:
            statement = statement.where(datasets.c.name.like(name_like))
        if dataset_ids is not None:
            statement = statement.where(datasets.c.dataset_id.in_(list(dataset_ids)))
        if experiment_ids:
            ea = t.entity_associations
            linked = select(ea.c.source_id).where(
                ea.c.source_type == DATASET_ENTITY,
                ea.c.destination_type == EXPERIMENT_ENTITY,
                ea.c.destination_id.in_([str(e) for e in experiment_ids]),
            )
            statement = statement.where(datasets.c.dataset_id.in_(linked))
        reader = self._store.reader
        rows = [r._mapping for r in reader.rows(statement.limit(limit))]
        tags: dict[str, dict[str, str]] = {r["dataset_id"]: {} for r in rows}
        if tags:
            for tag in reader.rows(
                select(dataset_tags).where(dataset_tags.c.dataset_id.in_(list(tags)))
            ):
                tags[tag.dataset_id][tag.key] = tag.value
        return [
            DatasetRow(
                dataset_id=r["dataset_id"],
                name=r["name"],
                digest=r["digest"],
                created_time=r["created_time"],
                last_update_time=r["last_update_time"],
                created_by=r["created_by"],
                last_updated_by=r["last_updated_by"],
                schema=r["schema"],
                profile=r["profile"],
                tags=tags[r["dataset_id"]],
            )
            for r in rows
        ]

    def experiment_ids(self, dataset_id: str) -> list[str]:
        """The experiments a dataset belongs to."""
        ea = t.entity_associations
        statement = select(ea.c.destination_id).where(
            ea.c.source_type == DATASET_ENTITY,
            ea.c.source_id == dataset_id,
            ea.c.destination_type == EXPERIMENT_ENTITY,
        )
        return [str(row.destination_id) for row in self._store.reader.rows(statement)]

    def records(self, dataset_id: str) -> list[RecordRow]:
        """The records of a dataset, oldest first (MLflow's order)."""
        self.get(dataset_id)
        statement = (
            select(records)
            .where(records.c.dataset_id == dataset_id)
            .order_by(
                records.c.created_time,
                records.c.dataset_record_id,
            )
        )
        return [_record(r._mapping) for r in self._store.reader.rows(statement)]

    def merge(self, dataset_id: str, new_records: Sequence[Mapping[str, Any]]) -> MergeCount:
        """Add `new_records` (dicts with `inputs` and optionally `outputs`, `expectations`,
        `tags`, `source`) to a dataset, merging those whose inputs it already holds."""
        self._check_available()
        prepared = [_checked(r) for r in new_records]
        now = _now_ms()

        def work(connection: Connection) -> MergeCount:
            head = (
                connection.execute(
                    select(datasets.c.name, datasets.c.schema).where(
                        datasets.c.dataset_id == dataset_id
                    )
                )
                .mappings()
                .first()
            )
            if head is None:
                raise NotFoundError(f"Evaluation dataset with id '{dataset_id}' not found")
            inserted = updated = 0
            updated_by: str | None = None
            for record in prepared:
                tags = record.get("tags") or None
                if tags and USER_TAG in tags:
                    updated_by = tags[USER_TAG]
                hashed = input_hash(record["inputs"])
                existing = (
                    connection.execute(
                        select(records).where(
                            records.c.dataset_id == dataset_id,
                            records.c.input_hash == hashed,
                        )
                    )
                    .mappings()
                    .first()
                )
                if existing is not None:
                    connection.execute(
                        update(records)
                        .where(records.c.dataset_record_id == existing["dataset_record_id"])
                        .values(**_merged(dict(existing), record, now))
                    )
                    updated += 1
                else:
                    connection.execute(
                        insert(records).values(**_new_row(dataset_id, record, hashed, now))
                    )
                    inserted += 1
            count = connection.execute(
                select(func.count()).where(records.c.dataset_id == dataset_id)
            ).scalar_one()
            values: dict[str, Any] = {
                "last_update_time": now,
                "last_updated_by": updated_by,
                "digest": digest(head["name"], now),
            }
            schema = updated_schema(head["schema"], prepared)
            if schema:
                values["schema"] = json.dumps(schema)
            if count:
                values["profile"] = json.dumps({"num_records": count})
            connection.execute(
                update(datasets).where(datasets.c.dataset_id == dataset_id).values(**values)
            )
            return MergeCount(inserted, updated)

        return self._store.writer.transaction(work)

    def _check_available(self) -> None:
        if not self.available:
            raise ValueError(
                f"{self._store.display_name} has no evaluation dataset tables "
                f"({self._store.layout.label}); upgrade it to MLflow 3.18's layout first."
            )


def digest(name: str, last_update_time: int) -> str:
    """MLflow's dataset digest: it changes with every write."""
    return hashlib.sha256(f"{name}:{last_update_time}".encode()).hexdigest()[:8]


def input_hash(inputs: Any) -> str:
    """The key records are merged by: sha256 of the inputs' JSON, keys sorted."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def field_type(value: Any) -> str:
    """MLflow's `_infer_field_type`: the schema's name for a value's type."""
    if value is None:
        return "null"
    for kind, name in ((bool, "boolean"), (int, "integer"), (float, "float"), (str, "string")):
        if isinstance(value, kind):
            return name
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "unknown"


def updated_schema(stored: str | None, added: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The dataset schema with the keys of `added` (first type seen wins), as MLflow keeps it."""
    if not added and not stored:
        return None
    schema: dict[str, Any] = (
        json.loads(stored)
        if stored
        else {"inputs": {}, "outputs": {}, "expectations": {}, "version": "1.0"}
    )
    for record in added:
        for key, value in (record.get("inputs") or {}).items():
            schema["inputs"].setdefault(key, field_type(value))
        outputs = record.get("outputs")
        if isinstance(outputs, dict):
            for key, value in outputs.items():
                schema["outputs"].setdefault(key, field_type(value))
        elif outputs is not None and not schema["outputs"]:
            schema["outputs"] = field_type(outputs)
        for key, value in (record.get("expectations") or {}).items():
            schema["expectations"].setdefault(key, field_type(value))
    return schema


def _checked(record: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise ValueError("Each record must be a dictionary")
    if "inputs" not in record:
        raise ValueError("Each record must have an 'inputs' field")
    if not isinstance(record["inputs"], Mapping):
        raise ValueError(f"A record's 'inputs' must be a dictionary, not {record['inputs']!r}.")
    checked = dict(record)
    source = checked.get("source")
    if isinstance(source, Mapping):
        kind = str(source.get("source_type", "UNSPECIFIED")).upper()
        if kind not in SOURCE_TYPES:
            raise ValueError(f"Invalid dataset record source type: {kind}.")
        checked["source"] = {
            "source_type": kind,
            "source_data": dict(source.get("source_data") or {}),
        }
    return checked


def _new_row(dataset_id: str, record: Mapping[str, Any], hashed: str, now: int) -> dict[str, Any]:
    tags = record.get("tags") or None
    user = tags.get(USER_TAG) if tags else None
    source = record.get("source")
    source_type = source_id = None
    if isinstance(source, Mapping):
        source_type = source["source_type"]
        data = source["source_data"]
        source_id = data.get("trace_id") if source_type == "TRACE" else data.get("source_id")
    outputs = record.get("outputs", {})  # MLflow's default: a record without outputs has {}
    return {
        "dataset_record_id": f"dr-{uuid.uuid4().hex}",
        "dataset_id": dataset_id,
        "inputs": dict(record["inputs"]),
        "outputs": {WRAPPED_OUTPUT_KEY: outputs} if outputs is not None else None,
        "expectations": record.get("expectations"),
        "tags": tags or {},
        "source": source,
        "source_id": source_id,
        "source_type": source_type,
        "created_time": now,
        "last_update_time": now,
        "created_by": user,
        "last_updated_by": user,
        "input_hash": hashed,
    }


def _merged(existing: Mapping[str, Any], record: Mapping[str, Any], now: int) -> dict[str, Any]:
    """MLflow's `SqlEvaluationDatasetRecord.merge`: the changed columns of a stored record."""
    values: dict[str, Any] = {"last_update_time": now}
    if "outputs" in record:
        outputs = record["outputs"]
        values["outputs"] = {WRAPPED_OUTPUT_KEY: outputs} if outputs is not None else None
    if record.get("expectations"):
        values["expectations"] = {**(existing["expectations"] or {}), **record["expectations"]}
    tags = record.get("tags")
    if tags:
        values["tags"] = {**(existing["tags"] or {}), **tags}
        if USER_TAG in tags:
            values["last_updated_by"] = tags[USER_TAG]
    return values


def _record(row: Mapping[str, Any]) -> RecordRow:
    outputs = row["outputs"]
    return RecordRow(
        dataset_record_id=row["dataset_record_id"],
        dataset_id=row["dataset_id"],
        inputs=row["inputs"],
        outputs=outputs.get(WRAPPED_OUTPUT_KEY) if isinstance(outputs, dict) else None,
        expectations=row["expectations"],
        tags=row["tags"],
        source=row["source"],
        source_id=row["source_id"],
        source_type=row["source_type"],
        created_time=row["created_time"],
        last_update_time=row["last_update_time"],
        created_by=row["created_by"],
        last_updated_by=row["last_updated_by"],
    )


def _now_ms() -> int:
    return int(time.time() * 1000)
