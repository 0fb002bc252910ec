"""MLflow 3.18's label-schema and review-queue tables, as its migration b7e4c1a90f23 and
89d3d66ed43f make them (see `core.store.review_queues` for the rows written in them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text

_metadata = MetaData()
label_schemas = Table(
    "label_schemas",
    _metadata,
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
    _metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(250), nullable=False),
    Column("name_key", String(250), nullable=False),
    Column("queue_type", String(16), nullable=False),
    Column("created_by", String(255)),
    Column("creation_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
)
queue_users = Table(
    "review_queue_users",
    _metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("user_id", String(250), primary_key=True),
)
queue_items = Table(
    "review_queue_items",
    _metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("item_type", String(16), nullable=False),
    Column("item_id", String(50), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("completed_by", String(250)),
    Column("completed_time_ms", BigInteger),
    Column("creation_time_ms", BigInteger, nullable=False),
    Column("last_update_time_ms", BigInteger, nullable=False),
)
queue_schemas = Table(
    "review_queue_label_schemas",
    _metadata,
    Column("queue_id", String(36), primary_key=True),
    Column("schema_id", String(36), primary_key=True),
)
