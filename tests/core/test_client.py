"""`core.Client`: one store, its active experiment and run, its own trace writer; several side by
side in one process; the module-level API as a thin layer over a default client."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import core
from core import context, tracking
from core.client import Client
from core.errors import NotFoundError, QuerySyntaxError, ReadOnlyStoreError, StoreNotFoundError
from core.store.store import Store


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[list[Client]]:
    made: list[Client] = []
    yield made
    for client in made:
        client.close()
    tracking.reset()


def new_client(clients: list[Client], path: Path) -> Client:
    client = Client(f"sqlite:///{path}")
    clients.append(client)
    return client


def trace_names(client: Client, experiment_ids: list[str]) -> list[str]:
    client.flush_traces()
    frame = client.search_traces(experiment_ids)
    assert isinstance(frame, pd.DataFrame)
    return sorted(frame.tags.map(lambda t: t["mlflow.traceName"]))


def test_two_clients_on_two_stores_trace_side_by_side(
    clients: list[Client], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a = new_client(clients, tmp_path / "a.db")
    b = new_client(clients, tmp_path / "b.db")
    a_exp = a.set_experiment("alpha").experiment_id
    b_exp = b.set_experiment("beta").experiment_id
    barrier = threading.Barrier(4)

    def work(client: Client, label: str) -> None:
        barrier.wait()
        for n in range(25):
            with client.start_span(f"{label}-{n}") as span:
                span.set_inputs({"n": n})
                with core.start_span("child"):  # nests: joins the client's trace
                    pass

    threads = [
        threading.Thread(target=work, args=(client, label))
        for client, label in ((a, "a"), (b, "b"), (a, "a2"), (b, "b2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    in_a, in_b = trace_names(a, [a_exp]), trace_names(b, [b_exp])
    assert len(in_a) == len(in_b) == 50
    assert all(n.startswith("a") for n in in_a) and all(n.startswith("b") for n in in_b)
    trace = a.get_trace(
        a.search_traces([a_exp], max_results=1, return_type="list")[0].info.trace_id
    )
    assert trace is not None and [s.name for s in trace.data.spans][1:] == ["child"]
    assert not (tmp_path / "mlflow.db").exists()  # the default client was never touched
    assert b.get_trace(trace.info.trace_id) is None


def test_the_module_api_is_the_default_client(tmp_path: Path, clients: list[Client]) -> None:
    core.set_tracking_uri(tmp_path / "default.db")
    assert context.default_client().tracking_uri == str(tmp_path / "default.db")
    experiment = core.set_experiment("fluent")
    assert core.tracking.active_experiment_id() == experiment.experiment_id
    assert context.default_client().experiment_id == experiment.experiment_id
    with core.start_span("root"):
        pass
    core.flush_trace_async_logging()
    assert core.get_last_active_trace_id() is not None
    (trace,) = core.search_traces(return_type="list")
    assert trace.info.trace_id == core.get_last_active_trace_id()
    assert trace.info.experiment_id == experiment.experiment_id
    # An explicit client on the same file sees the same data, with its own active experiment.
    other = new_client(clients, tmp_path / "default.db")
    assert other.experiment_id == "0"
    assert other.get_trace(trace.info.trace_id) is not None


def test_a_new_uri_keeps_writing_what_the_old_one_had_pending(tmp_path: Path) -> None:
    core.set_tracking_uri(tmp_path / "first.db")
    try:
        with core.start_span("outer") as span:
            core.set_tracking_uri(tmp_path / "second.db")  # mid-trace
            with core.start_span("inner"):
                pass
        with core.start_span("after"):
            pass
        core.flush_trace_async_logging()
        with Store.open(tmp_path / "first.db") as first:
            found = first.reader.get_trace(span.trace_id)
            assert [s.name for s in found.data.spans] == ["outer", "inner"]
        assert [t.info.name for t in core.search_traces(return_type="list")] == ["after"]
    finally:
        tracking.reset()


def test_reading_a_database_that_does_not_exist_gives_empty_results(
    tmp_path: Path, clients: list[Client]
) -> None:
    client = new_client(clients, tmp_path / "nothing-yet.db")
    frame = client.search_traces()
    assert isinstance(frame, pd.DataFrame) and frame.empty
    assert list(frame.columns)[:4] == ["trace_id", "trace", "client_request_id", "state"]
    assert client.search_traces(return_type="list") == []
    assert client.get_trace("tr-0") is None
    assert client.search_experiments() == [] and client.search_prompts() == []
    assert client.get_experiment_by_name("Default") is None
    with pytest.raises(StoreNotFoundError):
        client.store()
    assert not (tmp_path / "nothing-yet.db").exists()  # reading writes nothing


def test_a_read_only_store_is_never_written(db318: Path, clients: list[Client]) -> None:
    before = db318.read_bytes()
    with Store.open(db318) as store:
        client = Client(store=store)
        clients.append(client)
        assert client.store() is store and client.tracking_uri == f"sqlite:///{db318}"
        with pytest.raises(ReadOnlyStoreError):
            client.set_trace_tag("tr-x", "k", "v")
        with pytest.raises(ReadOnlyStoreError):
            client.register_prompt("qa", "Answer {{ q }}")
        with client.start_span("not written") as span:
            pass
        client.flush_traces()
        reason = client.trace_failure(span.trace_id)
        assert reason is not None and "read-only" in reason
    assert db318.read_bytes() == before


def test_experiments_are_created_found_and_searched(tmp_path: Path, clients: list[Client]) -> None:
    client = new_client(clients, tmp_path / "mlflow.db")
    a = client.create_experiment("alpha", tags={"team": "nlp"})
    b = client.create_experiment("beta", tags={"team": "vision"})
    with pytest.raises(ValueError, match="already exists"):
        client.create_experiment("alpha")
    assert client.get_experiment(a).tags == {"team": "nlp"}
    assert client.get_experiment_by_name("beta").experiment_id == b  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        client.get_experiment("9999")
    with pytest.raises(NotFoundError):
        client.set_experiment(experiment_id="9999")
    names = [e.name for e in client.search_experiments()]
    assert names == ["beta", "alpha", "Default"]  # newest first
    assert [e.name for e in client.search_experiments(filter_string="tags.team = 'nlp'")] == [
        "alpha"
    ]
    found = client.search_experiments(filter_string="name LIKE '%a' AND tags.team LIKE 'vis%'")
    assert [e.name for e in found] == ["beta"]
    assert [e.name for e in client.search_experiments(order_by=["name ASC"])] == [
        "Default",
        "alpha",
        "beta",
    ]
    assert len(client.search_experiments(max_results=1)) == 1
    assert [e.name for e in client.search_experiments(filter_string="name ILIKE 'ALPHA'")] == [
        "alpha"
    ]
    assert client.search_experiments(filter_string="creation_time > 0", max_results=5)
    assert client.search_experiments(view_type="DELETED_ONLY") == []
    with pytest.raises(QuerySyntaxError, match="unknown attribute"):
        client.search_experiments(filter_string="colour = 'red'")
    with pytest.raises(QuerySyntaxError):
        client.search_experiments(filter_string="name = 'a' OR name = 'b'")


def test_runs_link_their_traces_and_end_as_the_block_ends(
    tmp_path: Path, clients: list[Client]
) -> None:
    client = new_client(clients, tmp_path / "mlflow.db")
    experiment = client.set_experiment("runs").experiment_id
    with client.start_run(run_name="outer", tags={"k": "v"}) as run:
        assert client.active_run_id() == run.info.run_id
        with client.start_span("in the run") as span:
            pass
        with pytest.raises(ValueError, match="already active"):
            client.start_run()
        with client.start_run(nested=True, description="child") as child:
            assert client.active_run_id() == child.info.run_id
        assert client.active_run_id() == run.info.run_id
    assert client.active_run() is None
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED" and stored.info.end_time is not None
    assert stored.info.run_name == "outer" and stored.data.tags["k"] == "v"
    nested = client.get_run(child.info.run_id).data.tags
    assert nested["mlflow.parentRunId"] == run.info.run_id
    assert nested["mlflow.note.content"] == "child"
    client.flush_traces()
    trace = client.get_trace(span.trace_id)
    assert trace is not None
    assert trace.info.trace_metadata["mlflow.sourceRun"] == run.info.run_id
    linked = client.search_traces([experiment], run_id=run.info.run_id, return_type="list")
    assert [t.info.trace_id for t in linked] == [span.trace_id]
    with client.start_span("after the run") as later:
        pass
    client.flush_traces()
    after = client.get_trace(later.trace_id)
    assert after is not None and "mlflow.sourceRun" not in after.info.trace_metadata
    with pytest.raises(RuntimeError), client.start_run() as failing:
        raise RuntimeError("boom")
    assert client.get_run(failing.info.run_id).info.status == "FAILED"
    with pytest.raises(KeyboardInterrupt), client.start_run() as stopped:
        raise KeyboardInterrupt
    assert client.get_run(stopped.info.run_id).info.status == "FAILED"  # as MLflow
    client.start_run()
    client.end_run("KILLED")
    assert client.active_run() is None


def test_tags_and_assessments_logged_on_a_trace(tmp_path: Path, clients: list[Client]) -> None:
    client = new_client(clients, tmp_path / "mlflow.db")
    with client.start_span("answer") as span:
        span.set_outputs("42")
    client.flush_traces()
    client.set_trace_tag(span.trace_id, "env", "prod")
    client.set_trace_tag(span.trace_id, "drop", "me")
    client.delete_trace_tag(span.trace_id, "drop")
    feedback = client.log_feedback(
        trace_id=span.trace_id,
        name="correct",
        value=True,
        rationale="It is 42.",
        source=core.AssessmentSource(source_type="HUMAN", source_id="alice"),
    )
    expectation = client.log_expectation(
        trace_id=span.trace_id, name="expected_response", value="42"
    )
    trace = client.get_trace(span.trace_id)
    assert trace is not None
    assert trace.info.tags["env"] == "prod" and "drop" not in trace.info.tags
    by_name = {a.name: a for a in trace.info.assessments}
    assert by_name["correct"].value is True and by_name["correct"].rationale == "It is 42."
    assert by_name["correct"].source.source_id == "alice"
    assert by_name["expected_response"].value == "42"
    assert feedback.assessment_id == by_name["correct"].assessment_id
    assert expectation.assessment_id == by_name["expected_response"].assessment_id
    with pytest.raises(NotFoundError):
        client.delete_trace_tag(span.trace_id, "never-set")


def test_search_traces_options(tmp_path: Path, clients: list[Client]) -> None:
    client = new_client(clients, tmp_path / "mlflow.db")
    with client.start_span("one"):
        pass
    # flush=True writes what is pending before searching.
    assert len(client.search_traces(flush=True)) == 1
    with client.start_span("two"):
        pass
    (only,) = client.search_traces(
        filter_string="trace.name = 'two'", flush=True, return_type="list"
    )
    assert only.info.name == "two"
    frame = client.search_traces(include_spans=False)
    assert all(spans == [] for spans in frame.spans)
    with pytest.raises(ValueError, match="extract_fields"):
        client.search_traces(extract_fields=["one.inputs"])
    with pytest.raises(ValueError, match="return_type"):
        client.search_traces(return_type="polars")  # type: ignore[arg-type]
    assert client.search_traces(model_id="m-none", return_type="list") == []


def test_a_client_needs_exactly_one_place(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one of them"):
        Client()
    with (
        Store.open(tmp_path / "x.db", read_only=False, create=True) as store,
        pytest.raises(ValueError, match="one of them"),
    ):
        Client("sqlite:///elsewhere.db", store=store)


def test_the_default_experiment_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'env.db'}")
    try:
        experiment = core.create_experiment("from-env")
        monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment)
        tracking.reset()
        assert core.get_tracking_uri() == os.environ["MLFLOW_TRACKING_URI"]
        assert core.tracking.active_experiment_id() == experiment
    finally:
        tracking.reset()


def test_live_spans_take_mlflow_events_and_statuses(tmp_path: Path, clients: list[Client]) -> None:
    from core.entities import SpanEvent, SpanStatus, SpanStatusCode

    client = new_client(clients, tmp_path / "mlflow.db")
    with client.start_span("answer") as span:
        span.add_event(SpanEvent("retrieved", attributes={"documents": 3}))
        span.add_event("plain", {"k": "v"}, timestamp_ns=5)
        span.set_status(SpanStatus(SpanStatusCode.ERROR, "no answer"))
        assert span.status.status_code is SpanStatusCode.ERROR
        assert span.status.description == "no answer"
    client.flush_traces()
    trace = client.get_trace(span.trace_id)
    assert trace is not None
    (stored,) = trace.data.spans
    assert [(e.name, e.attributes) for e in stored.events] == [
        ("retrieved", {"documents": 3}),
        ("plain", {"k": "v"}),
    ]
    assert stored.events[1].timestamp == 5
    assert stored.status == SpanStatus(SpanStatusCode.ERROR, "no answer")
    assert trace.info.state.value == "ERROR"


def test_tags_of_a_trace_still_being_recorded_and_mlflow_s_own_tags(
    tmp_path: Path, clients: list[Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = new_client(clients, tmp_path / "mlflow.db")
    with client.start_span("answer") as span:
        client.set_trace_tag(span.trace_id, "stage", "draft")
        client.set_trace_tag(span.trace_id, "gone", "soon")
        client.delete_trace_tag(span.trace_id, "gone")
        with pytest.raises(NotFoundError):
            client.delete_trace_tag(span.trace_id, "gone")
    client.flush_traces()
    client.set_trace_tag(span.trace_id, "mlflow.artifactLocation", "/elsewhere")
    assert "is MLflow's own" in caplog.text
    trace = client.get_trace(span.trace_id)
    assert trace is not None
    assert trace.info.tags["stage"] == "draft" and "gone" not in trace.info.tags
    assert trace.info.tags["mlflow.artifactLocation"] != "/elsewhere"


def test_the_last_active_trace_in_the_process_and_in_a_thread(
    tmp_path: Path, clients: list[Client]
) -> None:
    client = new_client(clients, tmp_path / "mlflow.db")
    with client.start_span("here") as here:
        pass
    seen: list[str | None] = []

    def elsewhere() -> None:
        seen.append(core.get_last_active_trace_id(thread_local=True))
        with client.start_span("there"):
            pass

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [None]  # nothing ended in that thread before
    assert core.get_last_active_trace_id(thread_local=True) == here.trace_id
    assert core.get_last_active_trace_id() != here.trace_id  # the thread's ended later


def test_traces_of_the_same_millisecond_come_in_mlflow_s_order(
    tmp_path: Path, clients: list[Client]
) -> None:
    """MLflow breaks exact `timestamp_ms` ties by ascending trace id."""
    client = new_client(clients, tmp_path / "mlflow.db")
    started = 1_700_000_000_000_000_000
    for _ in range(6):
        span = client.start_span_no_context("tie", start_time_ns=started)
        span.end(end_time_ns=started + 1_000_000)
    with client.start_span("newer"):
        pass
    traces = client.search_traces(return_type="list")
    ids = [t.info.trace_id for t in traces]
    assert traces[0].info.name == "newer"
    assert ids[1:] == sorted(ids[1:])
    assert [t.info.trace_id for t in client.search_traces(max_results=3, return_type="list")] == (
        ids[:3]
    )
