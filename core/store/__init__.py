"""Everything that knows SQL and file layout: opening, layouts, reading and writing.

`Store` is the front door: `Store.open(uri)` gives the reader, the writer and the tables'
owners (`store.runs`, `store.evaluations`, `store.prompt_registry`, `store.models`, ...). The
app imports only what is named here; `core`'s own modules import the submodules they need.
"""

from core.store.changes import ChangeDetector
from core.store.connection import DEFAULT_BUSY_TIMEOUT_S, StoreLocation, parse_location
from core.store.evaluations import Evaluations
from core.store.insights import (
    ERROR_PREFIX_CHARS,
    SPAN_BREAKDOWNS,
    AssessmentBucket,
    ErrorStat,
    Insights,
    SessionRow,
    SpanStat,
    TraceBucket,
    bucket_ms_for,
)
from core.store.label_agreement import FieldAgreement  # issue 22: labelling queues
from core.store.model_uris import check_alias
from core.store.reader import StoreReader, no_gc_pause
from core.store.review_queues import (
    LabelField,
    QueueSummary,
    ReviewQueue,
    ReviewQueues,
)
from core.store.schema import Layout
from core.store.span_search import stored_forms
from core.store.store import Store

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "ERROR_PREFIX_CHARS",
    "SPAN_BREAKDOWNS",
    "AssessmentBucket",
    "ChangeDetector",
    "ErrorStat",
    "Evaluations",
    "FieldAgreement",
    "Insights",
    "LabelField",
    "Layout",
    "QueueSummary",
    "ReviewQueue",
    "ReviewQueues",
    "SessionRow",
    "SpanStat",
    "Store",
    "StoreLocation",
    "StoreReader",
    "TraceBucket",
    "bucket_ms_for",
    "check_alias",
    "no_gc_pause",
    "parse_location",
    "stored_forms",
]
