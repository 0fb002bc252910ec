"""SQLAlchemy tables of MLflow's tracking layout, and detection of which layout a database has.

The tables are MLflow 3.18's (SCHEMA.md §3), limited to those `core` reads or writes. Older
layouts lack some tables and columns; `Layout` records what exists so queries never touch a
column a database does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)

from core.store.revisions import HEAD_REVISION, MLFLOW_REVISIONS, RELEASE_HEADS

metadata = MetaData()

alembic_version = Table(
    "alembic_version", metadata, Column("version_num", String(32), primary_key=True)
)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True),
    Column("name", String(256), nullable=False),
    Column("artifact_location", String(256)),
    Column("lifecycle_stage", String(32)),
    Column("creation_time", BigInteger),
    Column("last_update_time", BigInteger),
    Column("workspace", String(63)),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", Text),
    Column("experiment_id", Integer, primary_key=True),
)

trace_info = Table(
    "trace_info",
    metadata,
    Column("request_id", String(50), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("execution_time_ms", BigInteger),
    Column("status", String(50), nullable=False),
    # Columns below exist from MLflow 3.2 on; `Layout.trace_info_columns` tells.
    Column("client_request_id", String(50)),
    Column("request_preview", String(1000)),
    Column("response_preview", String(1000)),
    Column("db_payload_generation", Integer),
    Column("trace_name", String(4096)),
    Column("session_id", String(250)),
    Column("input_tokens", BigInteger),
    Column("output_tokens", BigInteger),
    Column("total_tokens", BigInteger),
    Column("cache_read_input_tokens", BigInteger),
    Column("cache_creation_input_tokens", BigInteger),
    Column("input_cost", Float),
    Column("output_cost", Float),
    Column("total_cost", Float),
)

trace_tags = Table(
    "trace_tags",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", String(8000)),
    Column("request_id", String(50), primary_key=True),
)

trace_request_metadata = Table(
    "trace_request_metadata",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", String(8000)),
    Column("request_id", String(50), primary_key=True),
)

spans = Table(
    "spans",
    metadata,
    Column("trace_id", String(50), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("span_id", String(50), primary_key=True),
    Column("parent_span_id", String(50)),
    Column("name", Text),
    Column("type", String(500)),
    Column("status", String(50), nullable=False),
    Column("start_time_unix_nano", BigInteger, nullable=False),
    Column("end_time_unix_nano", BigInteger),
    Column("duration_ns", BigInteger),
    Column("content", Text, nullable=False),
    Column("input_cost", Float),
    Column("output_cost", Float),
    Column("total_cost", Float),
    Column("model_name", String(500)),
    Column("model_provider", String(500)),
)

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", String(50), primary_key=True),
    Column("trace_id", String(50), nullable=False),
    Column("name", String(250), nullable=False),
    Column("assessment_type", String(20), nullable=False),
    Column("value", Text, nullable=False),
    Column("error", Text),
    Column("created_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("source_type", String(50), nullable=False),
    Column("source_id", String(250)),
    Column("run_id", String(32)),
    Column("span_id", String(50)),
    Column("rationale", Text),
    Column("overrides", String(50)),
    Column("valid", Boolean, nullable=False),
    Column("assessment_metadata", Text),
    Column("experiment_id", Integer),
    Column("trace_timestamp_ms", BigInteger),
    Column("aggregate_value", Float),
    Column("is_numeric_value", Boolean),
)

entity_associations = Table(
    "entity_associations",
    metadata,
    Column("association_id", String(36), nullable=False),
    Column("source_type", String(36), primary_key=True),
    Column("source_id", String(36), primary_key=True),
    Column("destination_type", String(36), primary_key=True),
    Column("destination_id", String(36), primary_key=True),
    Column("created_time", BigInteger),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(250)),
    Column("source_type", String(20)),
    Column("source_name", String(500)),
    Column("entry_point_name", String(50)),
    Column("user_id", String(256)),
    Column("status", String(9)),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    Column("source_version", String(50)),
    Column("lifecycle_stage", String(20)),
    Column("artifact_uri", String(200)),
    Column("experiment_id", Integer),
    Column("deleted_time", BigInteger),
)

run_tags = Table(
    "tags",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", String(8000)),
    Column("run_uuid", String(32), primary_key=True),
)

params = Table(
    "params",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", String(8000), nullable=False),
    Column("run_uuid", String(32), primary_key=True),
)

metrics = Table(
    "metrics",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", Float, primary_key=True),
    Column("timestamp", BigInteger, primary_key=True),
    Column("run_uuid", String(32), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("is_nan", Boolean, primary_key=True),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", Float, nullable=False),
    Column("timestamp", BigInteger),
    Column("step", BigInteger, nullable=False),
    Column("is_nan", Boolean, nullable=False),
    Column("run_uuid", String(32), primary_key=True),
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("creation_time", BigInteger),
    Column("last_updated_time", BigInteger),
    Column("description", String(5000)),
    Column("workspace", String(63)),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", String(5000)),
    Column("name", String(256), primary_key=True),
    Column("workspace", String(63)),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("alias", String(256), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", String(256), primary_key=True),
    Column("workspace", String(63)),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("creation_time", BigInteger),
    Column("last_updated_time", BigInteger),
    Column("description", String(5000)),
    Column("user_id", String(256)),
    Column("current_stage", String(20)),
    Column("source", String(500)),
    Column("run_id", String(32)),
    Column("status", String(20)),
    Column("status_message", String(500)),
    Column("run_link", String(500)),
    Column("storage_location", String(500)),
    Column("workspace", String(63)),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("key", String(250), primary_key=True),
    Column("value", Text),
    Column("name", String(256), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("workspace", String(63)),
)

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("artifact_location", String(1000), nullable=False),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Column("status", Integer, nullable=False),
    Column("lifecycle_stage", String(32)),
    Column("model_type", String(500)),
    Column("source_run_id", String(32)),
    Column("status_message", String(1000)),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("tag_key", String(255), primary_key=True),
    Column("tag_value", Text, nullable=False),
)

# -- written by evaluations and logged models (datasets, their inputs, model copies of run data)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(36), nullable=False),
    Column("experiment_id", Integer, primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("digest", String(36), primary_key=True),
    Column("dataset_source_type", String(36), nullable=False),
    Column("dataset_source", Text, nullable=False),
    Column("dataset_schema", Text),
    Column("dataset_profile", Text),
)
inputs = Table(
    "inputs",
    metadata,
    Column("input_uuid", String(36), nullable=False),
    Column("source_type", String(36), primary_key=True),
    Column("source_id", String(36), primary_key=True),
    Column("destination_type", String(36), primary_key=True),
    Column("destination_id", String(36), primary_key=True),
    Column("step", BigInteger, nullable=False),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("param_key", String(255), primary_key=True),
    Column("param_value", Text, nullable=False),
)
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column("metric_name", String(500), primary_key=True),
    Column("metric_timestamp_ms", BigInteger, primary_key=True),
    Column("metric_step", BigInteger, primary_key=True),
    Column("metric_value", Float),
    Column("experiment_id", Integer, nullable=False),
    Column("run_id", String(32), primary_key=True),
    Column("dataset_uuid", String(36)),
    Column("dataset_name", String(500)),
    Column("dataset_digest", String(36)),
)

#: Tables without which a database is not an MLflow tracking store that holds traces.
REQUIRED_TABLES = frozenset({"experiments", "trace_info", "trace_tags", "trace_request_metadata"})


@dataclass(frozen=True)
class Layout:
    """Which MLflow storage layout a database has, detected from its revision and tables."""

    revision: str | None
    tables: frozenset[str]
    #: Column names of each table `core` knows (those in `metadata`) that the database has.
    columns: Mapping[str, frozenset[str]]

    @property
    def trace_info_columns(self) -> frozenset[str]:
        return self.columns.get("trace_info", frozenset())

    def existing_columns(self, table: Table) -> list[Column[Any]]:
        """The columns of `table` this database really has, in definition order."""
        present = self.columns.get(table.name, frozenset())
        return [c for c in table.c if c.name in present]

    @property
    def release(self) -> str:
        """The MLflow release this layout belongs to, as precisely as the revision tells."""
        if self.revision in RELEASE_HEADS:
            return RELEASE_HEADS[self.revision]
        if self.is_newer:
            return "newer than 3.18"
        if self.revision in MLFLOW_REVISIONS:
            return "3.x" if "logged_models" in self.tables else "2.x"
        return "unknown"

    @property
    def label(self) -> str:
        """A one-line description for the status bar and About dialog."""
        return f"MLflow {self.release} layout (alembic {self.revision or 'none'})"

    @property
    def is_newer(self) -> bool:
        """True when the revision is not one MLflow 3.18 knows: a newer MLflow wrote it."""
        return self.revision is not None and self.revision not in MLFLOW_REVISIONS

    @property
    def is_head(self) -> bool:
        """True for exactly the layout `core` writes (MLflow 3.18.0's)."""
        return self.revision == HEAD_REVISION

    @property
    def spans_in_db(self) -> bool:
        """Spans live in the `spans` table (MLflow ≥ 3.2); otherwise only in traces.json files."""
        return "spans" in self.tables

    @property
    def has_assessments(self) -> bool:
        return "assessments" in self.tables

    @property
    def has_workspaces(self) -> bool:
        return "workspaces" in self.tables

    @property
    def has_logged_models(self) -> bool:
        return "logged_models" in self.tables

    def has_trace_column(self, name: str) -> bool:
        return name in self.trace_info_columns

    @property
    def writable(self) -> bool:
        """Whether `core` may add rows: only to the layout it knows how to write."""
        return self.is_head


def detect_layout(connection: Connection) -> Layout:
    """Read the alembic revision and the table/column inventory of an open database."""
    inspector = inspect(connection)
    tables = frozenset(inspector.get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = connection.execute(select(alembic_version.c.version_num)).scalar()
    columns = {
        name: frozenset(c["name"] for c in inspector.get_columns(name))
        for name in metadata.tables
        if name in tables
    }
    return Layout(revision=revision, tables=tables, columns=columns)


# -- managed evaluation datasets (`mlflow.genai.datasets`; core.store.eval_datasets) ---------

evaluation_datasets = Table(
    "evaluation_datasets",
    metadata,
    Column("dataset_id", String(36), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("schema", Text),
    Column("profile", Text),
    Column("digest", String(64)),
    Column("created_time", BigInteger),
    Column("last_update_time", BigInteger),
    Column("created_by", String(255)),
    Column("last_updated_by", String(255)),
    Column("workspace", String(63)),
)
evaluation_dataset_tags = Table(
    "evaluation_dataset_tags",
    metadata,
    Column("dataset_id", String(36), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", String(5000)),
)
evaluation_dataset_records = Table(
    "evaluation_dataset_records",
    metadata,
    Column("dataset_record_id", String(36), primary_key=True),
    Column("dataset_id", String(36), nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("outputs", JSON),
    Column("expectations", JSON),
    Column("tags", JSON),
    Column("source", JSON),
    Column("source_id", String(36)),
    Column("source_type", String(255)),
    Column("created_time", BigInteger),
    Column("last_update_time", BigInteger),
    Column("created_by", String(255)),
    Column("last_updated_by", String(255)),
    Column("input_hash", String(64), nullable=False),
)

# -- label schemas and review queues (MLflow 3.18 migrations b7e4c1a90f23, 89d3d66ed43f;
# core.store.review_queues) ---------------------------------------------------------------

label_schemas = Table(
    "label_schemas",
    metadata,
    Column("schema_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(250), nullable=False),
    Column("type", String(16), nullable=False),
    Column("instruction", Text),
    Column("enable_comment", Boolean, nullable=False),
    Column("input_type", String(32), nullable=False),
    Column("input_config", Text, nullable=False),
    Column("created_by", String(255)),
    Column("created_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
    Column("is_default", Boolean, nullable=False),
)
review_queues = Table(
    "review_queues",
    metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(250), nullable=False),
    Column("name_key", String(250), nullable=False),
    Column("queue_type", String(16), nullable=False),
    Column("created_by", String(255)),
    Column("creation_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
)
review_queue_users = Table(
    "review_queue_users",
    metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("user_id", String(250), primary_key=True),
)
review_queue_items = Table(
    "review_queue_items",
    metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("item_type", String(16), nullable=False),
    Column("item_id", String(50), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("completed_by", String(250)),
    Column("completed_time_ms", BigInteger),
    Column("creation_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
)
review_queue_label_schemas = Table(
    "review_queue_label_schemas",
    metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("schema_id", String(36), primary_key=True),
)
