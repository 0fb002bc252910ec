"""Evaluation runs in the tracking tables: the SQL that writes them and reads them back.

An evaluation run is a `runs` row tagged `mlflow.runType=genai_evaluate`, with its metrics in
`metrics` / `latest_metrics` and its data in `datasets` + `inputs` (DATASET → RUN). Its rows
are the traces linked to it by `entity_associations` (trace → run; in layouts without that table,
the traces whose metadata `mlflow.sourceRun` names it). A row's scores are the valid `feedback`
assessments whose metadata `mlflow.assessment.sourceRunId` is the run (SCHEMA.md §6, "More
complete"), its expectations the trace's valid `expectation` assessments.

Rows are paged by keyset on (trace timestamp, trace id); a page reads only its own traces'
assessments and root spans (whose JSON is decoded when `inputs`/`outputs` are first read), so
the first page of a 1,000-row run costs what a 10-row run's does.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from core import jsonutil
from core.entities.evaluation import (
    RUN_TYPE_EVALUATE,
    EvaluationColumns,
    EvaluationPage,
    EvaluationRow,
    EvaluationRun,
    Score,
)
from core.errors import NotFoundError
from core.mlflow_keys import ASSESSMENT_SOURCE_RUN_KEY, RUN_TYPE_TAG, SOURCE_RUN_METADATA
from core.store import schema as t
from core.store.columns import trace_columns
from core.store.dialect import insertion_order, json_member
from core.store.span_codec import span_from_row

if TYPE_CHECKING:
    from core.entities import Span
    from core.store.store import Store

TRACE, RUN = "trace", "run"
PAGE_SIZE = 100


def _now_ms() -> int:
    return int(time.time() * 1000)


class Evaluations:
    """Evaluation runs of one store: reads through its reader, writes through its writer."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._tables = store.layout.tables

    def _rows(self, statement: Any) -> list[Any]:
        return self._store.reader.rows(statement)

    # -- writing ----------------------------------------------------------------------------

    def create_run(
        self,
        *,
        run_id: str,
        name: str,
        experiment_id: str,
        user: str,
        tags: Mapping[str, str],
        dataset: Mapping[str, Any] | None = None,
        start_time: int | None = None,
    ) -> None:
        """Add a RUNNING run with its tags and (when given) its dataset input, atomically.

        `dataset` holds the `datasets` columns but the uuid and experiment: `name`, `digest`,
        `dataset_source_type`, `dataset_source`, `dataset_schema`, `dataset_profile`.
        """
        writer = self._store.writer
        location = writer.experiment_artifact_location(experiment_id)
        row = _run_row(run_id, name, experiment_id, user, start_time or _now_ms(), location)

        def work(connection: Connection) -> None:
            connection.execute(insert(t.runs).values(**row))
            if tags:
                connection.execute(
                    insert(t.run_tags),
                    [{"key": k, "value": v, "run_uuid": run_id} for k, v in tags.items()],
                )
            if dataset is not None:
                _log_dataset(connection, run_id, int(experiment_id), dataset)

        writer.transaction(work)

    def add_results(
        self,
        run_id: str,
        assessments: Sequence[Mapping[str, Any]],
        linked_trace_ids: Sequence[str] = (),
    ) -> None:
        """Store assessment rows, and link existing traces to the run (trace → run)."""

        def work(connection: Connection) -> None:
            if assessments:
                connection.execute(insert(t.assessments), [dict(a) for a in assessments])
            if linked_trace_ids:
                _link_traces(connection, run_id, linked_trace_ids)

        if assessments or linked_trace_ids:
            self._store.writer.transaction(work)

    def finish_run(
        self, run_id: str, status: str, metrics: Mapping[str, float] | None = None
    ) -> None:
        """Log the run's metrics and set its final status and end time in one transaction."""
        now = _now_ms()

        def work(connection: Connection) -> None:
            if metrics:
                _log_metrics(connection, run_id, metrics, now)
            connection.execute(
                update(t.runs)
                .where(t.runs.c.run_uuid == run_id)
                .values(status=status, end_time=now)
            )

        self._store.writer.transaction(work)

    # -- reading: runs ------------------------------------------------------------------------

    def runs(self, experiment_id: str) -> list[EvaluationRun]:
        """The experiment's evaluation runs, newest first (deleted runs left out)."""
        r, g = t.runs, t.run_tags
        statement = (
            select(r.c.run_uuid, r.c.name, r.c.experiment_id, r.c.status)
            .add_columns(r.c.start_time, r.c.end_time)
            .join(g, and_(g.c.run_uuid == r.c.run_uuid, g.c.key == RUN_TYPE_TAG))
            .where(g.c.value == RUN_TYPE_EVALUATE, r.c.experiment_id == int(experiment_id))
            .where(or_(r.c.lifecycle_stage.is_(None), r.c.lifecycle_stage != "deleted"))
            .order_by(r.c.start_time.desc(), r.c.run_uuid.desc())
        )
        return self._runs(self._rows(statement))

    def run(self, run_id: str) -> EvaluationRun:
        """One run (any run id; an evaluation run has tag `mlflow.runType=genai_evaluate`)."""
        r = t.runs
        statement = select(r.c.run_uuid, r.c.name, r.c.experiment_id, r.c.status).add_columns(
            r.c.start_time, r.c.end_time
        )
        found = self._runs(self._rows(statement.where(r.c.run_uuid == run_id)))
        if not found:
            raise NotFoundError(f"Run {run_id} does not exist in {self._store.display_name}.")
        return found[0]

    def _runs(self, rows: list[Any]) -> list[EvaluationRun]:
        ids = [row.run_uuid for row in rows]
        if not ids:
            return []
        tags, metrics, counts = self._tags(ids), self._metrics(ids), self._counts(ids)
        return [
            EvaluationRun(
                run_id=row.run_uuid,
                name=row.name,
                experiment_id=str(row.experiment_id),
                status=row.status,
                start_time=row.start_time,
                end_time=row.end_time,
                row_count=counts.get(row.run_uuid, 0),
                metrics=metrics.get(row.run_uuid, {}),
                tags=tags.get(row.run_uuid, {}),
            )
            for row in rows
        ]

    def _tags(self, run_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        g = t.run_tags
        out: dict[str, dict[str, str]] = {}
        statement = select(g.c.run_uuid, g.c.key, g.c.value).where(g.c.run_uuid.in_(run_ids))
        for run_id, key, value in self._rows(statement):
            out.setdefault(run_id, {})[key] = value
        return out

    def _metrics(self, run_ids: Sequence[str]) -> dict[str, dict[str, float]]:
        m = t.latest_metrics
        out: dict[str, dict[str, float]] = {}
        statement = (
            select(m.c.run_uuid, m.c.key, m.c.value, m.c.is_nan)
            .where(m.c.run_uuid.in_(run_ids))
            .order_by(m.c.key)
        )
        for run_id, key, value, is_nan in self._rows(statement):
            out.setdefault(run_id, {})[key] = float("nan") if is_nan else float(value)
        return out

    def _counts(self, run_ids: Sequence[str]) -> dict[str, int]:
        members = self._members(run_ids).subquery()
        statement = select(members.c.run_id, func.count()).group_by(members.c.run_id)
        return {run_id: int(n) for run_id, n in self._rows(statement)}

    def _members(self, run_ids: Sequence[str]) -> Any:
        """(run_id, trace_id) of every trace of the runs: the trace → run links.

        MLflow links every trace an evaluation scores (`batch_link_traces_to_run`); layouts
        older than `entity_associations` only have the trace metadata `mlflow.sourceRun`.
        """
        if "entity_associations" in self._tables:
            ea = t.entity_associations
            return select(
                ea.c.destination_id.label("run_id"), ea.c.source_id.label("trace_id")
            ).where(
                ea.c.destination_type == RUN,
                ea.c.destination_id.in_(run_ids),
                ea.c.source_type == TRACE,
            )
        md = t.trace_request_metadata
        return select(md.c.value.label("run_id"), md.c.request_id.label("trace_id")).where(
            md.c.key == SOURCE_RUN_METADATA, md.c.value.in_(run_ids)
        )

    def datasets(self, run_id: str) -> frozenset[tuple[str, str]]:
        """(name, digest) of every dataset the run evaluated (its DATASET → RUN inputs).

        Two runs that evaluated the same table share one: MLflow, like `create_run` here,
        reuses the experiment's `datasets` row of that name and digest.
        """
        if not {"datasets", "inputs"} <= self._tables:
            return frozenset()
        d, i = t.datasets, t.inputs
        statement = (
            select(d.c.name, d.c.digest)
            .join(i, i.c.source_id == d.c.dataset_uuid)
            .where(i.c.source_type == "DATASET", i.c.destination_type == "RUN")
            .where(i.c.destination_id == run_id)
        )
        return frozenset((str(name), str(digest)) for name, digest in self._rows(statement))

    # -- reading: rows ------------------------------------------------------------------------

    def count_rows(self, run_id: str) -> int:
        """How many traces the run evaluated."""
        return self._counts([run_id]).get(run_id, 0)

    def columns(self, run_id: str) -> EvaluationColumns:
        """The scorer and expectation names that occur in the run (the grid's value columns)."""
        if "assessments" not in self._tables:
            return EvaluationColumns((), ())
        a = t.assessments
        members = self._members([run_id]).subquery()
        statement = (
            select(a.c.assessment_type, a.c.name)
            .distinct()
            .where(a.c.trace_id.in_(select(members.c.trace_id)), a.c.valid.is_(true()))
            .where(_belongs_to(a, run_id))
        )
        found = self._rows(statement)
        scorers = sorted({n for kind, n in found if kind == "feedback"})
        expectations = sorted({n for kind, n in found if kind == "expectation"})
        return EvaluationColumns(tuple(scorers), tuple(expectations))

    def rows(
        self, run_id: str, *, after: Sequence[Any] | None = None, limit: int = PAGE_SIZE
    ) -> EvaluationPage:
        """One page of the run's rows, oldest trace first; pass `next_key` back as `after`."""
        ti, cols = t.trace_info, trace_columns(self._store.layout)
        members = self._members([run_id]).subquery()
        statement = (
            select(ti.c.request_id, ti.c.timestamp_ms, ti.c.status, ti.c.execution_time_ms)
            .add_columns(cols.request_preview.label("request_preview"))
            .add_columns(cols.response_preview.label("response_preview"))
            .where(ti.c.request_id.in_(select(members.c.trace_id)))
            .order_by(ti.c.timestamp_ms, ti.c.request_id)
            .limit(limit + 1)
        )
        if after is not None:
            stamp, trace_id = int(after[0]), str(after[1])
            statement = statement.where(
                or_(
                    ti.c.timestamp_ms > stamp,
                    and_(ti.c.timestamp_ms == stamp, ti.c.request_id > trace_id),
                )
            )
        found = self._rows(statement)
        page, more = found[:limit], len(found) > limit
        next_key = (int(page[-1].timestamp_ms), str(page[-1].request_id)) if more else None
        return EvaluationPage(self._page_rows(run_id, page), next_key)

    def _page_rows(self, run_id: str, page: list[Any]) -> tuple[EvaluationRow, ...]:
        ids = [row.request_id for row in page]
        scores, expectations = self._assessments(run_id, ids)
        roots = self._roots(ids)
        return tuple(
            EvaluationRow(
                trace_id=row.request_id,
                request_time=int(row.timestamp_ms),
                state=row.status,
                execution_duration=row.execution_time_ms,
                request_preview=row.request_preview,
                response_preview=row.response_preview,
                expectations=expectations.get(row.request_id, {}),
                scores=scores.get(row.request_id, {}),
                root=roots.get(row.request_id),
            )
            for row in page
        )

    def _assessments(
        self, run_id: str, trace_ids: Sequence[str]
    ) -> tuple[dict[str, dict[str, Score]], dict[str, dict[str, Any]]]:
        scores: dict[str, dict[str, Score]] = {}
        expectations: dict[str, dict[str, Any]] = {}
        if not trace_ids or "assessments" not in self._tables:
            return scores, expectations
        a = t.assessments
        statement = (
            select(a.c.assessment_id, a.c.trace_id, a.c.name, a.c.assessment_type, a.c.value)
            .add_columns(a.c.error, a.c.rationale, a.c.source_type, a.c.source_id)
            .where(a.c.trace_id.in_(trace_ids), a.c.valid.is_(true()), _belongs_to(a, run_id))
            .order_by(a.c.created_timestamp, insertion_order(a))
        )
        for row in self._rows(statement):
            value = jsonutil.decode_attribute(row.value)
            if row.assessment_type == "expectation":
                expectations.setdefault(row.trace_id, {})[row.name] = value
            elif row.assessment_type == "feedback":
                scores.setdefault(row.trace_id, {})[row.name] = _score(row, value)
        return scores, expectations

    def _roots(self, trace_ids: Sequence[str]) -> dict[str, Span]:
        """The root span of each trace, its JSON left undecoded until inputs/outputs are read."""
        if not trace_ids or "spans" not in self._tables:
            return {}
        s = t.spans
        statement = select(
            s.c.trace_id, s.c.span_id, s.c.parent_span_id, s.c.name, s.c.type, s.c.status
        ).add_columns(s.c.start_time_unix_nano, s.c.end_time_unix_nano, s.c.content)
        statement = statement.where(
            s.c.trace_id.in_(trace_ids), or_(s.c.parent_span_id.is_(None), s.c.parent_span_id == "")
        )
        return {row[0]: span_from_row(row[0], row[1:]) for row in self._rows(statement)}


def _belongs_to(a: Any, run_id: str) -> Any:
    """Expectations of the trace, feedback of this run only."""
    return or_(
        a.c.assessment_type == "expectation",
        and_(
            a.c.assessment_type == "feedback",
            json_member(a.c.assessment_metadata, ASSESSMENT_SOURCE_RUN_KEY) == run_id,
        ),
    )


def _score(row: Any, value: Any) -> Score:
    error = jsonutil.decode_attribute(row.error) if row.error else None
    if error is not None and not isinstance(error, Mapping):
        error = {"error_code": "ASSESSMENT_ERROR", "error_message": str(error)}
    return Score(
        name=row.name,
        value=value,
        assessment_id=row.assessment_id,
        source_type=row.source_type,
        source_id=row.source_id,
        rationale=row.rationale,
        error=error,
    )


def _run_row(
    run_id: str, name: str, experiment_id: str, user: str, start_time: int, location: str
) -> dict[str, Any]:
    """A new run as MLflow's `create_run` writes it (source fields empty, status RUNNING)."""
    return {
        "run_uuid": run_id,
        "name": name,
        "source_type": "UNKNOWN",
        "source_name": "",
        "entry_point_name": "",
        "user_id": user,
        "status": "RUNNING",
        "start_time": start_time,
        "end_time": None,
        "source_version": "",
        "lifecycle_stage": "active",
        "artifact_uri": f"{location}/{run_id}/artifacts",
        "experiment_id": int(experiment_id),
        "deleted_time": None,
    }


def _log_dataset(
    connection: Connection, run_id: str, experiment_id: int, dataset: Mapping[str, Any]
) -> None:
    """The dataset row (reused when the experiment has one of that name and digest) and the
    DATASET → RUN input."""
    d = t.datasets
    existing = connection.execute(
        select(d.c.dataset_uuid).where(
            d.c.experiment_id == experiment_id,
            d.c.name == dataset["name"],
            d.c.digest == dataset["digest"],
        )
    ).scalar()
    dataset_uuid = existing or uuid.uuid4().hex
    if existing is None:
        connection.execute(
            insert(d).values(dataset_uuid=dataset_uuid, experiment_id=experiment_id, **dataset)
        )
    connection.execute(
        insert(t.inputs).values(
            input_uuid=uuid.uuid4().hex,
            source_type="DATASET",
            source_id=dataset_uuid,
            destination_type="RUN",
            destination_id=run_id,
            step=0,
        )
    )


def _link_traces(connection: Connection, run_id: str, trace_ids: Sequence[str]) -> None:
    """trace → run associations MLflow's `link_traces_to_run` adds (none twice)."""
    ea = t.entity_associations
    present = set(
        connection.execute(
            select(ea.c.source_id).where(
                ea.c.source_type == TRACE,
                ea.c.destination_type == RUN,
                ea.c.destination_id == run_id,
                ea.c.source_id.in_(trace_ids),
            )
        ).scalars()
    )
    now = _now_ms()
    fresh = [i for i in dict.fromkeys(trace_ids) if i not in present]
    if fresh:
        connection.execute(
            insert(ea),
            [
                {
                    "association_id": uuid.uuid4().hex,
                    "source_type": TRACE,
                    "source_id": trace_id,
                    "destination_type": RUN,
                    "destination_id": run_id,
                    "created_time": now,
                }
                for trace_id in fresh
            ],
        )


def _log_metrics(
    connection: Connection, run_id: str, metrics: Mapping[str, float], now: int
) -> None:
    """`metrics` rows (step 0) and the matching `latest_metrics`."""
    rows = [
        {"key": k, "value": float(v), "timestamp": now, "run_uuid": run_id, "step": 0}
        for k, v in metrics.items()
    ]
    for row in rows:
        row["is_nan"] = False
    connection.execute(insert(t.metrics), rows)
    lm = t.latest_metrics
    connection.execute(delete(lm).where(lm.c.run_uuid == run_id, lm.c.key.in_(list(metrics))))
    connection.execute(insert(lm), rows)
