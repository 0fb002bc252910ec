"""The tracing API writes what MLflow 3.18 writes, and reads back through `core`."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import core
from core import tracking
from core.entities import Trace
from core.store.store import Store


@pytest.fixture
def tracking_db(tmp_path: Path) -> Iterator[Path]:
    """A fresh database that does not exist yet; the first write creates it."""
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    yield path
    core.flush_trace_async_logging()
    tracking.reset()


def traces(experiment: str | None = None) -> list[Trace]:
    core.flush_trace_async_logging()
    frame = core.search_traces(locations=[experiment] if experiment else None)
    return [t for t in (core.get_trace(i) for i in frame.trace_id) if t is not None]


def only_trace() -> Trace:
    found = traces()
    assert len(found) == 1
    return found[0]


def test_start_span_records_inputs_outputs_attributes_and_events(tracking_db: Path) -> None:
    with core.start_span(name="my_span", span_type=core.SpanType.LLM, attributes={"a": 1}) as span:
        span.set_inputs({"question": "why?"})
        span.set_attribute("hello", "new_value")
        span.set_attributes({"n": 3, "flag": True})
        span.add_event("retry", {"attempt": 2})
        span.set_outputs("because")
    trace = only_trace()
    (stored,) = trace.data.spans
    assert stored.name == "my_span"
    assert stored.span_type == "LLM"
    assert stored.status_code == "OK"
    assert stored.inputs == {"question": "why?"}
    assert stored.outputs == "because"
    assert stored.attributes["hello"] == "new_value"
    assert (
        stored.attributes["n"] == 3
        and stored.attributes["flag"] is True
        and stored.attributes["a"] == 1
    )
    assert stored.raw_attributes["hello"] == '"new_value"'  # JSON inside JSON, as MLflow
    assert [e.name for e in stored.events] == ["retry"]
    assert stored.events[0].attributes == {"attempt": 2}
    assert trace.info.request_preview == '{"question": "why?"}'
    assert trace.info.response_preview == '"because"'
    assert trace.info.tags["mlflow.traceName"] == "my_span"


def test_default_name_and_type(tracking_db: Path) -> None:
    with core.start_span():
        pass
    (span,) = only_trace().data.spans
    assert (span.name, span.span_type) == ("span", "UNKNOWN")


def test_nesting_builds_the_tree(tracking_db: Path) -> None:
    with core.start_span("outer") as outer:
        with core.start_span("inner") as inner:  # noqa: SIM117 -- the nesting is the test
            with core.start_span("innermost", span_type="custom span"):
                pass
        with core.start_span("sibling"):
            pass
    spans = {s.name: s for s in only_trace().data.spans}
    assert spans["outer"].parent_id is None
    assert spans["inner"].parent_id == outer.span_id
    assert spans["innermost"].parent_id == inner.span_id
    assert spans["innermost"].span_type == "custom span"
    assert spans["sibling"].parent_id == outer.span_id
    assert [s.name for s in only_trace().data.spans] == ["outer", "inner", "innermost", "sibling"]


class Calculator:
    @core.trace(name="calc.add", span_type=core.SpanType.TOOL, attributes={"unit": "cm"})
    def add(self, a: int, b: int = 2) -> int:
        return a + b


def test_trace_decorator_on_functions_and_methods(tracking_db: Path) -> None:
    @core.trace
    def some_tracing(inp: str) -> str:
        return f"<extra information>{inp}<the data>"

    @core.trace()
    def outer(x: int) -> int:
        some_tracing("hello")
        return Calculator().add(x)

    assert outer(1) == 3
    spans = {s.name: s for s in only_trace().data.spans}
    assert set(spans) == {"outer", "calc.add", "some_tracing"}
    assert spans["calc.add"].inputs == {"a": 1, "b": 2}  # self is left out, defaults bound
    assert spans["calc.add"].span_type == "TOOL"
    assert spans["calc.add"].attributes["unit"] == "cm"
    assert spans["calc.add"].attributes["mlflow.spanFunctionName"] == "add"
    assert spans["outer"].outputs == 3


def test_async_functions_and_tasks_nest(tracking_db: Path) -> None:
    @core.trace
    async def child(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    @core.trace
    async def parent() -> list[int]:
        return list(await asyncio.gather(child(1), child(2)))

    assert asyncio.run(parent()) == [2, 4]
    trace = only_trace()
    root = trace.data.root_span
    assert root is not None and root.outputs == [2, 4]
    children = [s for s in trace.data.spans if s.parent_id == root.span_id]
    assert sorted(s.outputs for s in children) == [2, 4]


def test_generators_record_what_they_yielded(tracking_db: Path) -> None:
    @core.trace
    def numbers(n: int) -> Iterator[int]:
        yield from range(n)

    @core.trace
    async def letters() -> object:
        for letter in "ab":
            yield letter

    async def collect() -> list[str]:
        return [x async for x in letters()]

    assert list(numbers(3)) == [0, 1, 2]
    assert asyncio.run(collect()) == ["a", "b"]
    outputs = sorted(str(t.data.spans[0].outputs) for t in traces())
    assert outputs == ["['a', 'b']", "[0, 1, 2]"]


def test_exception_marks_span_and_trace_error_and_reraises(tracking_db: Path) -> None:
    with pytest.raises(ValueError, match="bad input"), core.start_span("parent"):  # noqa: SIM117
        with core.start_span("child"):
            raise ValueError("bad input")
    trace = only_trace()
    assert trace.info.state == "ERROR"
    for span in trace.data.spans:
        assert span.status_code == "ERROR"
        assert span.status_message == "ValueError: bad input"
        (event,) = span.events
        assert event.name == "exception"
        assert event.attributes["exception.type"] == "ValueError"
        assert event.attributes["exception.message"] == "bad input"
        assert "Traceback" in event.attributes["exception.stacktrace"]


def test_update_current_trace(tracking_db: Path) -> None:
    with core.start_span("root"):
        core.update_current_trace(
            tags={"env": "test"}, metadata={"version": "7"}, session_id="s-1", user="ada"
        )
    info = only_trace().info
    assert info.tags["env"] == "test"
    assert info.trace_metadata["version"] == "7"
    assert info.trace_metadata["mlflow.trace.session"] == "s-1"
    assert info.trace_metadata["mlflow.trace.user"] == "ada"
    with Store.open(tracking_db) as store:
        (row,) = store.reader.trace_page(None).rows
    assert row.session_id == "s-1"


def test_update_current_trace_needs_a_span() -> None:
    with pytest.raises(RuntimeError, match="active span"):
        core.update_current_trace(tags={"a": "b"})


def test_set_experiment_creates_it_once(tracking_db: Path) -> None:
    first = core.set_experiment("custom_tracing")
    again = core.set_experiment("custom_tracing")
    assert first.experiment_id == again.experiment_id == "1"
    with core.start_span("in experiment"):
        pass
    assert [t.info.experiment_id for t in traces("1")] == ["1"]
    assert first.artifact_location == str(tracking_db.parent / "mlruns" / "1")


def test_chat_previews_and_token_usage(tracking_db: Path) -> None:
    with core.start_span("chat", span_type="CHAT_MODEL") as span:
        span.set_inputs(
            {
                "messages": [
                    {"role": "system", "content": "Be brief"},
                    {"role": "user", "content": "Hi " * 600},
                ]
            }
        )
        span.set_attribute(
            "mlflow.chat.tokenUsage", {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}
        )
        with core.start_span("nested call") as nested:
            nested.set_attribute(
                "mlflow.chat.tokenUsage",
                {"input_tokens": 100, "output_tokens": 1, "total_tokens": 101},
            )
        span.set_outputs({"choices": [{"message": {"role": "assistant", "content": "Hello!"}}]})
    trace = only_trace()
    assert trace.info.request_preview is not None
    assert len(trace.info.request_preview) == 1000 and trace.info.request_preview.endswith("...")
    assert trace.info.request_preview.startswith("Hi Hi")
    assert trace.info.response_preview == "Hello!"
    usage = json.loads(trace.info.trace_metadata["mlflow.trace.tokenUsage"])
    assert usage == {
        "input_tokens": 5,
        "output_tokens": 7,
        "total_tokens": 12,
    }  # child not double-counted
    assert len(trace.info.trace_metadata["mlflow.traceInputs"]) == 250


def test_threads_start_their_own_traces_unless_the_context_is_copied(tracking_db: Path) -> None:
    def work(label: str) -> None:
        with core.start_span(label):
            pass

    with core.start_span("main"):
        thread = threading.Thread(target=work, args=("plain thread",))
        thread.start()
        thread.join()
        context = contextvars.copy_context()
        with ThreadPoolExecutor(2) as pool:
            pool.submit(context.run, work, "copied context").result()
    by_root = {t.data.spans[0].name: t for t in traces()}
    assert set(by_root) == {"main", "plain thread"}
    assert [s.name for s in by_root["main"].data.spans] == ["main", "copied context"]


def test_start_span_no_context_with_explicit_times(tracking_db: Path) -> None:
    root = core.start_span_no_context("batch job", inputs={"n": 1}, start_time_ns=1_000_000_000_000)
    child = core.start_span_no_context("step", parent_span=root, start_time_ns=1_000_500_000_000)
    assert core.get_current_active_span() is None
    child.end(outputs="ok", end_time_ns=1_001_000_000_000)
    root.end(end_time_ns=1_002_000_000_000)
    trace = only_trace()
    assert trace.info.request_time == 1_000_000
    assert trace.info.execution_duration == 2_000
    assert [(s.name, s.parent_id is None) for s in trace.data.spans] == [
        ("batch job", True),
        ("step", False),
    ]
