"""Read queries over a tracking store: experiments, trace pages, trace infos, spans.

All SQL is SQLAlchemy Core with bound parameters. The trace list's page query is
`core.store.trace_pages` (keyset, never OFFSET).
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import DBAPIError

from core import jsonutil
from core.entities import (
    Assessment,
    Experiment,
    Span,
    TokenUsage,
    Trace,
    TraceData,
    TraceInfo,
    TraceListKeys,
    TraceLocation,
    TraceRowExtras,
)
from core.errors import NotFoundError, StoreError
from core.mlflow_keys import (
    ARTIFACT_LOCATION_TAG,
    INPUTS_KEY,
    OUTPUTS_KEY,
    SPANS_LOCATION_TAG,
    TOKEN_USAGE_KEY,
)
from core.store import schema as t
from core.store.artifacts import ArtifactResolver, read_traces_json
from core.store.assessment_codec import assessment_from_row
from core.store.columns import checked_number, restore_column_facts
from core.store.connection import database_errors, is_undecodable_text, lenient_text
from core.store.dialect import (
    insertion_order,
    json_valid,
    spans_of_trace,
)
from core.store.filter_sql import database_limits
from core.store.order_sql import compile_order_by
from core.store.schema import Layout
from core.store.span_codec import (
    checked_times,
    field_set,
    span_from_row,
    spans_from_rows,
    spans_from_traces_json,
    tree_order,
)
from core.store.span_payloads import attribute_of, payloads_of
from core.store.span_search import matching_spans, spans_holding
from core.store.trace_pages import (
    PageQuery,
    TracePage,
    list_keys,
    read_page,
    trace_filter,
    with_extras,
)

SPANS_IN_DB = frozenset({"TRACKING_STORE", "ARCHIVE_REPO"})
_SPAN_ID = attrgetter("span_id")
_PARENT_ID = attrgetter("parent_id")
#: How many ids go into one `IN (...)` list (SQLite's default limit is far above this).
BATCH = 500


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoreReader:
    """The read side of a store. Thread-safe: every call uses its own pooled connection."""

    def __init__(self, engine: Engine, layout: Layout, location: str, db_dir: Any) -> None:
        self._engine = engine
        self.layout = layout
        self._location = location
        self._db_dir = db_dir
        self._resolver: ArtifactResolver | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def rows(self, statement: Any) -> list[Any]:
        """Run `statement`; rows are SQLAlchemy `Row`s (typed Any: their arity varies)."""
        return self._fetch(lambda connection: list(connection.execute(statement).fetchall()))

    def _fetch(self, read: Callable[[Connection], list[Any]]) -> list[Any]:
        """`read` on a pooled connection. A query that meets text which is not UTF-8 is read
        again with U+FFFD for the bad bytes: one bad row must not hide all the others."""
        with database_errors(self._location), self._engine.connect() as connection:
            try:
                return read(connection)
            except (DBAPIError, sqlite3.Error) as exc:
                if not is_undecodable_text(exc):
                    raise
            with lenient_text(connection):
                return read(connection)

    @property
    def artifacts(self) -> ArtifactResolver:
        if self._resolver is None:
            rows = self.rows(
                select(t.experiments.c.experiment_id, t.experiments.c.artifact_location)
            )
            self._resolver = ArtifactResolver.for_experiments(
                self._db_dir, ((str(r[0]), r[1]) for r in rows)
            )
        return self._resolver

    # -- experiments ------------------------------------------------------------------------

    def experiments(self, include_deleted: bool = False) -> list[Experiment]:
        """Experiments, newest first (MLflow's `search_experiments` order)."""
        e = t.experiments
        statement = select(*self.layout.existing_columns(e)).order_by(
            e.c.creation_time.desc(), e.c.experiment_id.desc()
        )
        if not include_deleted:
            statement = statement.where(
                or_(e.c.lifecycle_stage.is_(None), e.c.lifecycle_stage != "deleted")
            )
        rows = self.rows(statement)
        tags: dict[str, dict[str, str]] = {}
        for key, value, experiment_id in self.rows(select(t.experiment_tags)):
            tags.setdefault(str(experiment_id), {})[key] = value
        return [
            Experiment(
                experiment_id=str(r.experiment_id),
                name=r.name,
                artifact_location=r.artifact_location,
                lifecycle_stage=r.lifecycle_stage or "active",
                creation_time=r.creation_time,
                last_update_time=r.last_update_time,
                tags=tags.get(str(r.experiment_id), {}),
                workspace=r._mapping.get("workspace") or "default",
            )
            for r in rows
        ]

    def experiment_by_name(self, name: str) -> Experiment | None:
        return next((e for e in self.experiments(include_deleted=True) if e.name == name), None)

    def trace_counts(self) -> dict[str, int]:
        """Number of traces per experiment id."""
        return {experiment: count for experiment, (count, _newest) in self.trace_activity().items()}

    def trace_activity(self) -> dict[str, tuple[int, int | None]]:
        """Per experiment id: its number of traces and the request time of its newest one."""
        ti = t.trace_info
        statement = select(ti.c.experiment_id, func.count(), func.max(ti.c.timestamp_ms)).group_by(
            ti.c.experiment_id
        )
        return {
            str(exp): (int(n), newest if isinstance(newest, int) else None)
            for exp, n, newest in self.rows(statement)
        }

    # -- the trace list ---------------------------------------------------------------------

    def trace_page(
        self,
        experiment_ids: Sequence[str] | None,
        *,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        after: Sequence[Any] | None = None,
        limit: int = 100,
        extras: TraceRowExtras | None = None,
    ) -> TracePage:
        """One page of trace rows in order; pass the previous page's `next_key` as `after`.
        The tags, metadata and assessments `extras` names take one more query per page."""
        query = PageQuery(
            self.layout, experiment_ids, filter_string, compile_order_by(order_by, self.layout)
        )
        statement = query.statement(after, limit, self._engine.dialect.name)
        with database_limits(filter_string):
            rows = self.rows(statement)
        page = read_page(rows, len(query.keys), limit)
        return with_extras(page, extras, self.layout, self.rows)

    def trace_list_keys(self, experiment_ids: Sequence[str] | None) -> TraceListKeys:
        """The tag keys (of the newest traces) and assessment names of `experiment_ids`' traces:
        the columns a trace list can add."""
        return list_keys(self.layout, experiment_ids, self.rows)

    def count_traces(
        self, experiment_ids: Sequence[str] | None, filter_string: str | None = None
    ) -> int:
        statement = (
            select(func.count())
            .select_from(t.trace_info)
            .where(trace_filter(self.layout, experiment_ids, filter_string))
        )
        with database_limits(filter_string):
            return int(self.rows(statement)[0][0])

    def search_trace_ids(
        self,
        experiment_ids: Sequence[str] | None,
        *,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int | None = None,
    ) -> list[str]:
        """Ids of the matching traces in MLflow's order (exact ties by ascending id), up to
        `max_results` (all when None)."""
        ti = t.trace_info
        keys = compile_order_by(order_by, self.layout, ids_ascending=True)
        statement = (
            select(ti.c.request_id)
            .where(trace_filter(self.layout, experiment_ids, filter_string))
            .order_by(*(k.expression.desc() if k.descending else k.expression.asc() for k in keys))
        )
        if max_results is not None:
            statement = statement.limit(max_results)
        with database_limits(filter_string):
            return [r[0] for r in self.rows(statement)]

    # -- trace infos ------------------------------------------------------------------------

    def trace_info(self, trace_id: str) -> TraceInfo:
        return self._checked_info(trace_id)[0]

    def _checked_info(self, trace_id: str) -> tuple[TraceInfo, list[str]]:
        found = self._checked_infos([trace_id])
        if not found:
            raise NotFoundError(f"Trace {trace_id} does not exist in {self._location}.")
        return found[0]

    def _checked_infos(self, trace_ids: Sequence[str]) -> list[tuple[TraceInfo, list[str]]]:
        """Full infos (tags, metadata, assessments) of `trace_ids` in the order given, each with
        what in its rows could not be read (shown as unknown instead), in words."""
        infos: dict[str, tuple[TraceInfo, list[str]]] = {}
        for chunk in _chunks(list(trace_ids)):
            infos.update(self._trace_info_chunk(chunk))
        return [infos[i] for i in trace_ids if i in infos]

    def _trace_info_chunk(self, trace_ids: Sequence[str]) -> dict[str, tuple[TraceInfo, list[str]]]:
        ti = t.trace_info
        rows = self.rows(
            select(*self.layout.existing_columns(ti)).where(ti.c.request_id.in_(trace_ids))
        )
        tags, metadata = self._tags_and_metadata(trace_ids)
        assessments, assessment_problems = self._checked_assessments(trace_ids)
        out = {}
        for row in rows:
            values = row._mapping
            trace_id = values["request_id"]
            trace_tags = tags.get(trace_id, {})
            trace_metadata = metadata.get(trace_id, {})
            problems = restore_column_facts(values, trace_tags, trace_metadata)
            time = checked_number(
                values["timestamp_ms"], "timestamp_ms", problems, "read as 0 (1970-01-01)"
            )
            duration = checked_number(values["execution_time_ms"], "execution_time_ms", problems)
            problems += assessment_problems.get(trace_id, [])
            info = TraceInfo(
                trace_id=trace_id,
                trace_location=TraceLocation.from_experiment_id(str(values["experiment_id"])),
                request_time=time or 0,
                execution_duration=duration,
                state=values["status"],
                client_request_id=values.get("client_request_id"),
                request_preview=values.get("request_preview"),
                response_preview=values.get("response_preview"),
                trace_metadata=trace_metadata,
                tags=trace_tags,
                assessments=assessments.get(trace_id),
            )
            out[trace_id] = (info, problems)
        return out

    def _tags_and_metadata(
        self, trace_ids: Sequence[str]
    ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
        """Tags and metadata of the traces, in one query (one round trip, one compile)."""
        tags, meta = t.trace_tags, t.trace_request_metadata
        statement = union_all(
            select(literal(0).label("kind"), tags.c.request_id, tags.c.key, tags.c.value).where(
                tags.c.request_id.in_(trace_ids)
            ),
            select(literal(1), meta.c.request_id, meta.c.key, meta.c.value).where(
                meta.c.request_id.in_(trace_ids)
            ),
        )
        found: tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]] = ({}, {})
        for kind, request_id, key, value in self._plain_rows(statement):
            found[kind].setdefault(request_id, {})[key] = value
        return found

    def _key_values(self, table: Any, trace_ids: Sequence[str]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        statement = select(table.c.request_id, table.c.key, table.c.value).where(
            table.c.request_id.in_(trace_ids)
        )
        for request_id, key, value in self.rows(statement):
            out.setdefault(request_id, {})[key] = value
        return out

    def assessments(self, trace_ids: Sequence[str]) -> dict[str, list[Assessment]]:
        """Assessments of the given traces (all of them, overridden ones with valid=False)."""
        return self._checked_assessments(trace_ids)[0]

    def _checked_assessments(
        self, trace_ids: Sequence[str]
    ) -> tuple[dict[str, list[Assessment]], dict[str, list[str]]]:
        """`assessments`, and per trace what in their rows could not be read, in words."""
        if not self.layout.has_assessments:
            return {}, {}
        a = t.assessments
        statement = (
            select(*self.layout.existing_columns(a))
            .where(a.c.trace_id.in_(trace_ids))
            .order_by(insertion_order(a))  # MLflow reads them unordered: in scan order
        )
        out: dict[str, list[Assessment]] = {}
        problems: dict[str, list[str]] = {}
        for row in self.rows(statement):
            found: list[str] = []
            out.setdefault(row.trace_id, []).append(assessment_from_row(row._mapping, found))
            if found:
                problems.setdefault(row.trace_id, []).extend(found)
        return out, problems

    # -- spans ------------------------------------------------------------------------------

    def spans(
        self,
        trace_id: str,
        tags: dict[str, str] | None = None,
        *,
        payloads_per_span_over: int | None = None,
    ) -> tuple[list[Span], list[str]]:
        """The spans of one trace in tree order, and what could not be read, in words.

        Their JSON stays in the database until a span's payload is first read: then the whole
        trace's in one query, or, for a trace of more than `payloads_per_span_over` spans, only
        that span's (see `load_payloads`)."""
        spans, problems, _in_db = self._read_spans(trace_id, tags, payloads_per_span_over)
        return spans, problems

    def _read_spans(
        self, trace_id: str, tags: dict[str, str] | None, per_span_over: int | None
    ) -> tuple[list[Span], list[str], bool]:
        """`spans`, and whether they were read from `spans` rows (none is parsed yet then)."""
        if tags is None:
            tags = self._key_values(t.trace_tags, [trace_id]).get(trace_id, {})
        location = tags.get(SPANS_LOCATION_TAG)
        if self.layout.spans_in_db and (location in SPANS_IN_DB or location is None):
            with no_gc_pause():
                spans = self._spans_from_db(trace_id, per_span_over)
                problems = checked_times(spans)
                ordered = tree_order(spans)
                if spans or location in SPANS_IN_DB:
                    return ordered, problems + self._missing(spans), True
        try:
            document = read_traces_json(self.artifacts, tags.get(ARTIFACT_LOCATION_TAG))
        except StoreError as exc:
            return [], [f"No spans could be read: {exc}."], False
        spans, problems = spans_from_traces_json(trace_id, document)
        return tree_order(spans), problems + self._missing(spans), False

    def _spans_from_db(self, trace_id: str, per_span_over: int | None = None) -> list[Span]:
        """The trace's spans, their JSON left in the database until a payload is first read."""
        s = t.spans
        statement = select(*_span_columns()[:-1]).where(spans_of_trace(s, trace_id))
        payloads = _TracePayloads(self, trace_id)
        spans = spans_from_rows(trace_id, self._plain_rows(statement), payloads)
        payloads.per_span = per_span_over is not None and len(spans) > per_span_over
        return spans

    def span_payloads(self, trace_id: str, span_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Span id → stored span JSON, for every span of one trace or for `span_ids` only (by
        primary key, up to `BATCH` ids per query)."""
        s = t.spans
        if span_ids is None:
            statement = select(s.c.span_id, s.c.content).where(spans_of_trace(s, trace_id))
            return {span_id: content or "" for span_id, content in self._plain_rows(statement)}
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(span_ids))):
            rows = self._plain_rows(payloads_of(trace_id, chunk))
            found.update((span_id, content or "") for span_id, content in rows)
        return found

    def load_payloads(self, spans: Sequence[Span]) -> None:
        """Give those of `spans` still without their JSON their stored JSON now, a batch of
        primary-key lookups per trace (nothing is decoded): e.g. in a worker thread, for the
        spans a view is about to show. A span with no row gets empty JSON (read as unreadable).
        """
        waiting: dict[str, list[Span]] = {}
        for span in spans:
            if not span.payload_loaded:
                waiting.setdefault(span.trace_id, []).append(span)
        for trace_id, group in waiting.items():
            found = self.span_payloads(trace_id, [span.span_id for span in group])
            for span in group:
                span.document = found.get(span.span_id, "")

    def token_usages(self, trace_id: str, span_ids: Sequence[str]) -> dict[str, TokenUsage]:
        """The token usage (`mlflow.chat.tokenUsage`) of those of `span_ids` that recorded one,
        extracted from their JSON by the database: the rest of the JSON stays there."""
        texts: dict[str, Any] = {}
        for chunk in _chunks(list(dict.fromkeys(span_ids))):
            try:
                rows = self._plain_rows(attribute_of(trace_id, chunk, TOKEN_USAGE_KEY))
            except StoreError:  # PostgreSQL 15 meets malformed JSON: read the spans instead
                rows = self._usage_from_payloads(trace_id, chunk)
            texts.update(rows)
        usages = {}
        for span_id, text in texts.items():
            usage = TokenUsage.from_value(jsonutil.decode_attribute(text))
            if usage is not None:
                usages[span_id] = usage
        return usages

    def _usage_from_payloads(self, trace_id: str, span_ids: Sequence[str]) -> list[Any]:
        found = []
        for span_id, content in self.span_payloads(trace_id, span_ids).items():
            span = span_from_row(trace_id, (span_id, None, "", None, "OK", 0, None, content))
            if span.decode_error is None and TOKEN_USAGE_KEY in span.raw_attributes:
                found.append((span_id, span.raw_attributes[TOKEN_USAGE_KEY]))
        return found

    def search_spans(self, trace_id: str, text: str, *, limit: int | None = None) -> list[str]:
        """Ids of the trace's spans whose stored JSON holds `text`, ignoring case (inputs,
        outputs, attributes, events, names: all are in it), in the order the spans started;
        the first `limit` of them when given. The database searches its `spans` rows; spans
        kept in a `traces.json` (older layouts) are read and searched here. No text, no ids."""
        if not text:
            return []
        tags = self._key_values(t.trace_tags, [trace_id]).get(trace_id, {})
        location = tags.get(SPANS_LOCATION_TAG)
        if self.layout.spans_in_db and (location in SPANS_IN_DB or location is None):
            found = [row[0] for row in self._plain_rows(matching_spans(trace_id, text, limit))]
            any_row = select(t.spans.c.span_id).where(t.spans.c.trace_id == trace_id).limit(1)
            if found or location in SPANS_IN_DB or self.rows(any_row):
                return found  # else no rows: an older writer's trace, its spans in traces.json
        spans, _problems = self.spans(trace_id, tags)
        return spans_holding(spans, text, limit)

    def _plain_rows(self, statement: Any) -> list[tuple[Any, ...]]:
        """Run `statement` and return the driver's own tuples: for thousands of rows this skips
        building a SQLAlchemy `Row` per row (a fifth of the time of reading a large trace)."""

        def read(connection: Connection) -> list[tuple[Any, ...]]:
            result = connection.execute(statement)
            cursor = result.cursor
            if cursor is None:
                return []
            rows = cursor.fetchall()
            result.close()
            return list(rows)

        return self._fetch(read)

    def malformed_spans(self, trace_id: str) -> list[str]:
        """Ids of the trace's spans whose JSON is malformed, checked by the database (SQLite).

        What the database refuses is parsed once more here: SQLite also refuses JSON nested
        deeper than it allows (2,000 levels), which `jsonutil` decodes.
        """
        s = t.spans
        if not self.layout.spans_in_db:
            return []
        statement = select(s.c.span_id, s.c.content).where(
            s.c.trace_id == trace_id, json_valid(s.c.content) == 0
        )
        return [span_id for span_id, content in self.rows(statement) if not _is_json(content)]

    @staticmethod
    def _missing(spans: Sequence[Span]) -> list[str]:
        if not spans:
            return ["No spans were recorded for this trace (the writer may have dropped them)."]
        problems = []
        parents = field_set(spans, _PARENT_ID)  # sets built in C: cheap for 100,000 spans
        if None not in parents:
            problems.append(
                "The root span is missing; spans are shown under their recorded parents."
            )
        unknown = parents - field_set(spans, _SPAN_ID) - {None}
        orphans = sum(1 for s in spans if s.parent_id in unknown) if unknown else 0
        if orphans and None in parents:
            problems.append(f"{orphans} span(s) name a parent that was never recorded.")
        return problems

    def get_trace(self, trace_id: str, *, payloads_per_span_over: int | None = None) -> Trace:
        """The trace with its spans; their JSON is read when first needed (see `spans`)."""
        info, problems = self._checked_info(trace_id)
        spans, span_problems, in_db = self._read_spans(
            trace_id, dict(info.tags), payloads_per_span_over
        )
        problems += span_problems
        if not in_db:  # spans from rows are not parsed yet: none knows of a decode error
            problems += [
                f"Span {s.name!r}: {s.known_decode_error}" for s in spans if s.known_decode_error
            ]
        data = TraceData(spans)
        if not self.layout.has_trace_column("request_preview"):
            info = _previews_from_root(info, data)
        return Trace(info=info, data=data, problems=tuple(problems))

    def traces(self, trace_ids: Sequence[str], include_spans: bool = True) -> list[Trace]:
        """Whole traces for many ids, loading their spans in batches."""
        infos = self._checked_infos(trace_ids)
        if not include_spans:
            return [Trace(info, TraceData(), tuple(problems)) for info, problems in infos]
        by_trace: dict[str, list[Span]] = {}
        if self.layout.spans_in_db:
            by_trace = self._spans_for_many([i.trace_id for i, _ in infos])
        out = []
        for info, info_problems in infos:
            location = info.tags.get(SPANS_LOCATION_TAG)
            if info.trace_id in by_trace and location in SPANS_IN_DB | {None}:
                found = by_trace[info.trace_id]
                problems = checked_times(found)
                spans = tree_order(found)
                problems += self._missing(spans)
            else:
                spans, problems = self.spans(info.trace_id, dict(info.tags))
            data = TraceData(spans)
            shown = info
            if not self.layout.has_trace_column("request_preview"):
                shown = _previews_from_root(info, data)
            out.append(Trace(info=shown, data=data, problems=(*info_problems, *problems)))
        return out

    def _spans_for_many(self, trace_ids: Sequence[str]) -> dict[str, list[Span]]:
        s = t.spans
        out: dict[str, list[Span]] = {}
        for chunk in _chunks(list(trace_ids)):
            statement = select(s.c.trace_id, *_span_columns()).where(s.c.trace_id.in_(chunk))
            with no_gc_pause():
                for row in self.rows(statement):
                    out.setdefault(row[0], []).append(span_from_row(row[0], row[1:]))
        return out


class _TracePayloads:
    """A trace's span JSON, read in one query the first time any of its spans needs it; with
    `per_span` (a huge trace), only the span asked for, by primary key, kept by that span only.

    Building the tree needs only the columns; the payloads are most of the bytes. Thread-safe:
    whichever thread asks first reads them (the app asks in its database thread).
    """

    def __init__(self, reader: StoreReader, trace_id: str) -> None:
        self._reader = reader
        self._trace_id = trace_id
        self._lock = threading.Lock()
        self._by_span: dict[str, str] | None = None
        self.per_span = False

    def payload(self, span_id: str) -> str:
        if self.per_span:
            return self._reader.span_payloads(self._trace_id, [span_id]).get(span_id, "")
        with self._lock:
            if self._by_span is None:
                self._by_span = self._reader.span_payloads(self._trace_id)
            return self._by_span.get(span_id, "")


@contextlib.contextmanager
def no_gc_pause() -> Iterator[None]:
    """Build thousands of spans without the cyclic GC walking every object of the process.

    Spans hold no reference cycles; a full collection triggered midway cost a 5,000-span trace
    more time than reading it. The app reads and indexes a trace inside one as well.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _span_columns() -> list[Any]:
    """What `span_from_row` reads: the tree's columns and the (still undecoded) JSON."""
    s = t.spans
    return [
        s.c.span_id,
        s.c.parent_span_id,
        s.c.name,
        s.c.type,
        s.c.status,
        s.c.start_time_unix_nano,
        s.c.end_time_unix_nano,
        s.c.content,
    ]


def _is_json(text: str | None) -> bool:
    try:
        jsonutil.loads(text or "")
    except ValueError:
        return False
    return True


def _previews_from_root(info: TraceInfo, data: TraceData) -> TraceInfo:
    """Older layouts keep no previews: MLflow shows the root span's raw inputs and outputs."""
    from dataclasses import replace

    root = data.root_span
    if root is None:
        return info
    request = root.raw_attributes.get(INPUTS_KEY)
    response = root.raw_attributes.get(OUTPUTS_KEY)
    return replace(
        info,
        request_preview=request if isinstance(request, str) else None,
        response_preview=response if isinstance(response, str) else None,
    )
