"""Logging a model: the rows of a logged model, its link to the active run and its registered
version, written in one transaction as MLflow 3.18 writes them (see
`core.store.registered_models`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update

from core.entities.logged_model import NewLoggedModel
from core.errors import NotFoundError, StoreError
from core.mlflow_keys import MODEL_VERSIONS_TAG
from core.store import schema as t
from core.store.dialect import lock_versions
from core.store.registered import is_prompt_clause

#: A logged model's status once its files are written (MLflow's `LoggedModelStatus.READY`).
LOGGED_MODEL_READY = 2


def write_logged_model(
    connection: Connection, new: NewLoggedModel, registered_model_name: str | None
) -> int | None:
    """Write the rows of `new` (see `RegisteredModels.log_model`); the new version, if any."""
    if new.run_id is not None:
        _check_source_run(connection, new)
    _insert_logged_model(connection, new)
    if new.run_id is not None:
        _copy_run_params_and_metrics(connection, new)
    if registered_model_name is None:
        return None
    return _register_version(connection, registered_model_name, new)


def _check_source_run(connection: Connection, new: NewLoggedModel) -> None:
    """The existing run must be there, not deleted, and in the model's experiment."""
    r = t.runs
    row = connection.execute(
        select(r.c.experiment_id, r.c.lifecycle_stage).where(r.c.run_uuid == new.run_id)
    ).first()
    if row is None:
        raise NotFoundError(f"Run {new.run_id} does not exist.")
    if row.lifecycle_stage == "deleted":
        raise ValueError(f"Run {new.run_id} is deleted: a model cannot be logged into it.")
    if str(row.experiment_id) != str(new.experiment_id):
        raise ValueError(
            f"Run {new.run_id} belongs to experiment {row.experiment_id}, not "
            f"{new.experiment_id}: a model logged in a run belongs to the run's experiment."
        )


def _copy_run_params_and_metrics(connection: Connection, new: NewLoggedModel) -> None:
    """What MLflow's `Model.log` copies from the active run onto the model: every param, and
    the step-0 points of every metric's history (INSERT ... SELECT: the database copies)."""
    p, m = t.params, t.metrics
    experiment_id = int(new.experiment_id)
    connection.execute(
        insert(t.logged_model_params).from_select(
            ["model_id", "experiment_id", "param_key", "param_value"],
            select(literal(new.model_id), literal(experiment_id), p.c.key, p.c.value).where(
                p.c.run_uuid == new.run_id
            ),
        )
    )
    columns = ["model_id", "metric_name", "metric_timestamp_ms", "metric_step", "metric_value"]
    points = (
        select(literal(new.model_id), m.c.key, m.c.timestamp, m.c.step, m.c.value)
        .add_columns(literal(experiment_id), literal(new.run_id))
        .where(m.c.run_uuid == new.run_id, m.c.step == 0)
        .distinct()
    )
    connection.execute(
        insert(t.logged_model_metrics).from_select([*columns, "experiment_id", "run_id"], points)
    )


def _insert_logged_model(connection: Connection, new: NewLoggedModel) -> None:
    experiment_id = int(new.experiment_id)
    connection.execute(
        insert(t.logged_models).values(
            model_id=new.model_id,
            experiment_id=experiment_id,
            name=new.name,
            artifact_location=new.artifact_location,
            creation_timestamp_ms=new.start_ms,
            last_updated_timestamp_ms=new.end_ms,
            status=LOGGED_MODEL_READY,
            lifecycle_stage="active",
            model_type=None,
            source_run_id=new.run_id,
            status_message=None,
        )
    )
    _set_logged_model_tags(connection, new.model_id, experiment_id, new.tags)
    if new.run_id is None:
        return
    connection.execute(
        insert(t.inputs).values(
            input_uuid=uuid.uuid4().hex,
            source_type="RUN_OUTPUT",
            source_id=new.run_id,
            destination_type="MODEL_OUTPUT",
            destination_id=new.model_id,
            step=0,
        )
    )


def _set_logged_model_tags(
    connection: Connection, model_id: str, experiment_id: int, tags: Mapping[str, str]
) -> None:
    lt = t.logged_model_tags
    connection.execute(delete(lt).where(lt.c.model_id == model_id, lt.c.tag_key.in_(list(tags))))
    connection.execute(
        insert(lt),
        [
            {"model_id": model_id, "experiment_id": experiment_id, "tag_key": k, "tag_value": v}
            for k, v in tags.items()
        ],
    )


def _register_version(connection: Connection, name: str, new: NewLoggedModel) -> int:
    """The next version of `name` (created when missing), linked to the logged model."""
    lock_versions(connection, t.model_versions.name, name)  # before reading max()
    _ensure_registered_model(connection, name, new.end_ms)
    mv, rm = t.model_versions, t.registered_models
    current = connection.execute(select(func.max(mv.c.version)).where(mv.c.name == name)).scalar()
    version = int(current or 0) + 1
    connection.execute(insert(mv).values(**_version_row(name, version, new)))
    connection.execute(update(rm).where(rm.c.name == name).values(last_updated_time=new.end_ms))
    link = json.dumps([{"name": name, "version": version}])
    _set_logged_model_tags(
        connection, new.model_id, int(new.experiment_id), {MODEL_VERSIONS_TAG: link}
    )
    return version


def _version_row(name: str, version: int, new: NewLoggedModel) -> dict[str, Any]:
    """A `model_versions` row as MLflow 3.18's `create_model_version` writes it."""
    return {
        "name": name,
        "version": version,
        "creation_time": new.end_ms,
        "last_updated_time": new.end_ms,
        "description": None,
        "user_id": None,
        "current_stage": "None",
        "source": f"models:/{new.model_id}",
        "run_id": new.run_id,
        "status": "READY",
        "status_message": None,
        "run_link": None,
        "storage_location": new.artifact_location,
        "workspace": "default",
    }


def _ensure_registered_model(connection: Connection, name: str, now: int) -> None:
    rm = t.registered_models
    found = connection.execute(
        select(rm.c.name, is_prompt_clause(rm.c.name)).where(rm.c.name == name)
    ).first()
    if found is None:
        connection.execute(
            insert(rm).values(
                name=name,
                creation_time=now,
                last_updated_time=now,
                description=None,
                workspace="default",
            )
        )
    elif found[1]:
        raise StoreError(f"{name!r} is a prompt, not a registered model; choose another name.")
