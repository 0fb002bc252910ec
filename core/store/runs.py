"""Runs: the rows `mlflow.start_run` / `end_run` / `set_tag` write, and reading a run back.

What MLflow 3.18 writes (read from databases it made, and from `SqlAlchemyStore.create_run`):

* `start_run()` adds one `runs` row: `run_uuid` a uuid4 in 32 hex, `name` the run name (given,
  or generated as `adjective-animal-NNN`), `source_type='UNKNOWN'`, `source_name=''`,
  `entry_point_name=''`, `source_version=''`, `user_id` = the `mlflow.user` tag (`unknown`
  without one), `status='RUNNING'`, `start_time` now (ms), `end_time` NULL,
  `lifecycle_stage='active'`, `artifact_uri='<experiment artifact location>/<run id>/artifacts'`,
  `deleted_time` NULL. Its tags are the run context (`mlflow.user`, `mlflow.source.name`,
  `mlflow.source.type`, and `mlflow.source.git.*` inside a git work tree), then the caller's,
  then `mlflow.runName`. No params, metrics or inputs.
* `end_run(status)` sets `status` (`FINISHED` by default; `FAILED` when `with start_run()` is
  left by any exception, KeyboardInterrupt included; `KILLED` only when asked for) and
  `end_time`; nothing else.
* `MlflowClient.create_run` is the same row without the context tags (`context_tags=False`).
"""

from __future__ import annotations

import posixpath
import re
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, literal, select, union_all, update

from core.entities.run import RUN_STATUSES, Run, RunData, RunInfo
from core.errors import NotFoundError
from core.mlflow_keys import RUN_NAME_TAG, USER_TAG
from core.run_context import context_tags as process_context_tags
from core.run_context import run_name as random_run_name
from core.store import schema as t
from core.store.connection import database_errors
from core.store.writer import experiment_row

if TYPE_CHECKING:
    from core.store.store import Store

#: MLflow's limits for run tags: longer keys are refused, longer values cut.
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 8000
_TAG_KEY = re.compile(r"[/\w.\- :]*")


def _now_ms() -> int:
    return int(time.time() * 1000)


def check_tag(key: str, value: Any) -> tuple[str, str]:
    """MLflow's run tag rules (`_validate_tag`): the key is letters, digits, `_ - . / :` and
    spaces, a normalised relative path, at most 250 characters; the value is cut at 8,000."""
    if not isinstance(key, str) or not _TAG_KEY.fullmatch(key):
        raise ValueError(
            f"Invalid tag key {key!r}: names may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)."
        )
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise ValueError(f"Invalid tag key {key!r}: it must be a normalised relative path.")
    if len(key) > MAX_TAG_KEY_LENGTH:
        raise ValueError(f"Tag key {key[:40]!r}... is longer than {MAX_TAG_KEY_LENGTH} characters.")
    return key, str(value)[:MAX_TAG_VALUE_LENGTH]


def check_status(status: str) -> str:
    if status not in RUN_STATUSES:
        raise ValueError(f"{status!r} is not a run status: use one of {', '.join(RUN_STATUSES)}.")
    return status


def start_run_tags(
    tags: Mapping[str, Any] | None, run_name: str | None, user: str | None = None
) -> dict[str, str]:
    """The tags `mlflow.start_run(run_name=..., tags=...)` resolves: this process's run context
    (user, source, git), overridden by the caller's tags, then `mlflow.runName`."""
    resolved: dict[str, str] = dict(process_context_tags())
    if user is not None:
        resolved[USER_TAG] = user
    resolved.update({key: str(value) for key, value in (tags or {}).items()})
    if run_name:
        resolved[RUN_NAME_TAG] = run_name
    return resolved


class Runs:
    """Runs of one store: writes through its writer (one short transaction each), reads
    through its reader."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # -- writing ----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        run_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        start_time_ms: int | None = None,
        user: str | None = None,
        *,
        context_tags: bool = True,
    ) -> Run:
        """Add a RUNNING run to active experiment `experiment_id`, as `mlflow.start_run` does.

        With `context_tags` (the default) the tags are `start_run`'s: `mlflow.user`,
        `mlflow.source.name`, `mlflow.source.type` (and git facts) of this process, then `tags`,
        then `mlflow.runName`; `user` replaces the OS user in the tag and the `user_id` column.
        Without, they are `tags` alone (`MlflowClient.create_run`), `user_id` taken from `user`,
        else their `mlflow.user`, else `unknown`. A run name given both as `run_name` and as the
        `mlflow.runName` tag must agree; with neither, one is generated (`sassy-elk-4`).
        Raises NotFoundError for a missing experiment, ValueError for a deleted one.
        """
        given = {key: str(value) for key, value in (tags or {}).items()}
        resolved = start_run_tags(given, run_name, user) if context_tags else given
        named = resolved.get(RUN_NAME_TAG)
        if run_name and named and named != run_name:
            raise ValueError(
                f"Both run_name={run_name!r} and tag mlflow.runName={named!r} are given, with "
                "different values."
            )
        for key, value in list(resolved.items()):
            resolved[key] = check_tag(key, value)[1]
        name = run_name or named or random_run_name()
        resolved.setdefault(RUN_NAME_TAG, name)
        user_id = user if user is not None else resolved.get(USER_TAG, "unknown")
        run_id = uuid.uuid4().hex
        start = _now_ms() if start_time_ms is None else int(start_time_ms)

        def work(connection: Connection) -> Run:
            location = _active_experiment_location(connection, experiment_id)
            info = RunInfo(
                run_id=run_id,
                run_name=name,
                experiment_id=str(int(experiment_id)),
                status="RUNNING",
                start_time=start,
                end_time=None,
                user_id=user_id,
                artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                lifecycle_stage="active",
            )
            connection.execute(insert(t.runs).values(**_run_row(info)))
            connection.execute(
                insert(t.run_tags),
                [{"key": k, "value": v, "run_uuid": run_id} for k, v in resolved.items()],
            )
            return Run(info, RunData(tags=dict(resolved)))

        return self._store.writer.transaction(work)

    def end_run(self, run_id: str, status: str = "FINISHED", end_time_ms: int | None = None) -> Run:
        """Set the run's final `status` (FINISHED, FAILED, KILLED ...) and end time (now by
        default), as `mlflow.end_run` / `MlflowClient.set_terminated`; returns the run."""
        check_status(status)
        end = _now_ms() if end_time_ms is None else int(end_time_ms)

        def work(connection: Connection) -> Run:
            _check_active_run(connection, run_id)
            connection.execute(
                update(t.runs)
                .where(t.runs.c.run_uuid == run_id)
                .values(status=status, end_time=end)
            )
            return _load_run(connection, run_id)

        return self._store.writer.transaction(work)

    def resume_run(self, run_id: str, tags: Mapping[str, Any] | None = None) -> Run:
        """Make a stored run RUNNING again, keeping its end time (`mlflow.start_run(run_id=...)`
        does this), adding `tags`; returns the run."""
        checked = dict(check_tag(key, value) for key, value in (tags or {}).items())

        def work(connection: Connection) -> Run:
            _check_active_run(connection, run_id)
            connection.execute(
                update(t.runs).where(t.runs.c.run_uuid == run_id).values(status="RUNNING")
            )
            g = t.run_tags
            for key, text in checked.items():
                connection.execute(delete(g).where(g.c.run_uuid == run_id, g.c.key == key))
                connection.execute(insert(g).values(key=key, value=text, run_uuid=run_id))
            return _load_run(connection, run_id)

        return self._store.writer.transaction(work)

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set (or replace) a run tag, as `mlflow.set_tag` / `MlflowClient.set_tag`.

        Setting `mlflow.runName` renames the run (its `name` column too), as MLflow does.
        """
        key, text = check_tag(key, value)

        def work(connection: Connection) -> None:
            _check_active_run(connection, run_id)
            g = t.run_tags
            changed = connection.execute(
                update(g).where(g.c.run_uuid == run_id, g.c.key == key).values(value=text)
            ).rowcount
            if not changed:
                connection.execute(insert(g).values(key=key, value=text, run_uuid=run_id))
            if key == RUN_NAME_TAG:
                connection.execute(
                    update(t.runs).where(t.runs.c.run_uuid == run_id).values(name=text)
                )

        self._store.writer.transaction(work)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a run tag (`MlflowClient.delete_tag`); NotFoundError when the run has none."""

        def work(connection: Connection) -> None:
            _check_active_run(connection, run_id)
            g = t.run_tags
            gone = connection.execute(
                delete(g).where(g.c.run_uuid == run_id, g.c.key == key)
            ).rowcount
            if not gone:
                raise NotFoundError(f"Run {run_id} has no tag {key!r}.")

        self._store.writer.transaction(work)

    # -- reading ----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        """The run with its tags, params and latest metrics; NotFoundError when missing."""
        store = self._store
        with database_errors(store.display_name), store.engine.connect() as connection:
            return _load_run(connection, run_id)


def _run_row(info: RunInfo) -> dict[str, Any]:
    """A new `runs` row as MLflow's `SqlAlchemyStore.create_run` writes it."""
    return {
        "run_uuid": info.run_id,
        "name": info.run_name,
        "source_type": "UNKNOWN",
        "source_name": "",
        "entry_point_name": "",
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "source_version": "",
        "lifecycle_stage": info.lifecycle_stage,
        "artifact_uri": info.artifact_uri,
        "experiment_id": int(info.experiment_id),
        "deleted_time": None,
    }


def _active_experiment_location(connection: Connection, experiment_id: str) -> str:
    row = experiment_row(connection, experiment_id)
    if row.lifecycle_stage == "deleted":
        raise ValueError(
            f"Experiment {experiment_id} is deleted: a run can only be made in an active one."
        )
    if not row.artifact_location:
        raise ValueError(f"Experiment {experiment_id} has no artifact location.")
    return str(row.artifact_location)


def _check_active_run(connection: Connection, run_id: str) -> None:
    r = t.runs
    stage = connection.execute(select(r.c.lifecycle_stage).where(r.c.run_uuid == run_id)).first()
    if stage is None:
        raise NotFoundError(f"Run {run_id} does not exist.")
    if stage[0] == "deleted":
        raise ValueError(f"Run {run_id} is deleted: it must be active to change it.")


def _load_run(connection: Connection, run_id: str) -> Run:
    """The run, its tags and params (one query) and its latest metrics (another)."""
    r = t.runs
    row = connection.execute(select(r).where(r.c.run_uuid == run_id)).first()
    if row is None:
        raise NotFoundError(f"Run {run_id} does not exist.")
    g, p, m = t.run_tags, t.params, t.latest_metrics
    pairs = union_all(
        select(literal("tag").label("kind"), g.c.key, g.c.value).where(g.c.run_uuid == run_id),
        select(literal("param").label("kind"), p.c.key, p.c.value).where(p.c.run_uuid == run_id),
    )
    tags: dict[str, str] = {}
    params: dict[str, str] = {}
    for kind, key, value in connection.execute(pairs):
        (tags if kind == "tag" else params)[key] = value
    metrics = {
        key: float("nan") if is_nan else float(value)
        for key, value, is_nan in connection.execute(
            select(m.c.key, m.c.value, m.c.is_nan).where(m.c.run_uuid == run_id)
        )
    }
    info = RunInfo(
        run_id=row.run_uuid,
        run_name=row.name,
        experiment_id=str(row.experiment_id),
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        user_id=row.user_id,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=row.lifecycle_stage or "active",
    )
    return Run(info, RunData(tags=tags, params=params, metrics=metrics))
