"""Replay over many traces, without the dialog: the edit applied to each target, the targets a
filter selects, and the two evaluation runs written against the stand-in Ollama server with the
real `langchain-ollama` client (on a copy of the MLflow 3.18 fixture), read back through the
store and compared as the Evaluations tab compares them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from app.evaluations.compare import compare_runs
from app.evaluations.rerun import ScorerChoice
from app.replay.batch import (
    BatchEdit,
    SourceFacts,
    count_matches,
    default_filter,
    edit_from,
    find_targets,
    source_facts,
    with_system,
)
from app.replay.batch_run import BatchPlan, BatchProgress, run_batch
from app.replay.request import ReplayMessage, request_from_span
from app.replay.run import ReplayRun
from core.client import Client
from core.entities import SpanType
from core.entities.evaluation import FINISHED, KILLED, EvaluationRow
from core.mlflow_keys import LINKED_PROMPTS_TAG
from core.store import Store
from tests.ollama_server import DEFAULT_MODEL, TUTORIAL_ANSWERS, OllamaStandIn

EXPERIMENT = "0"
TRACE_NAME = "support"
SPAN_NAME = "ChatOllama"
OLD_SYSTEM = "You are terse."
NEW_SYSTEM = "You are a kind support agent."
QUESTIONS = list(TUTORIAL_ANSWERS)  # the stand-in answers these with known texts


@dataclass(frozen=True)
class ChatDb:
    """A writable copy of the 3.18 fixture with support traces: `chats[i]` asked
    `QUESTIONS[i]`; `no_chat` is a support trace without a chat span; `other` is not support."""

    path: Path
    chats: tuple[str, ...]
    span_ids: tuple[str, ...]
    no_chat: str
    other: str


def recorded_answer(i: int) -> str:
    return f"Recorded answer {i}."


def write_chat_trace(
    client: Client, name: str, question: str | None, answer: str
) -> tuple[str, str | None]:
    """A trace `name` whose CHAIN root holds a ChatOllama span (none when `question` is None)."""
    with client.start_span(name, SpanType.CHAIN, experiment_id=EXPERIMENT) as root:
        root.set_inputs({"question": question or "?"})
        span_id = None
        if question is not None:
            with client.start_span(SPAN_NAME, SpanType.CHAT_MODEL) as chat:
                chat.set_inputs(
                    {
                        "messages": [
                            {"role": "system", "content": OLD_SYSTEM},
                            {"role": "user", "content": question},
                        ],
                        "model": "llama3.2:1b",
                    }
                )
                chat.set_outputs(
                    {"choices": [{"message": {"role": "assistant", "content": answer}}]}
                )
                span_id = chat.span_id
        root.set_outputs(answer)
    return root.trace_id, span_id


def build_chat_db(path: Path, count: int = 4) -> ChatDb:
    """Write the support traces into `path` (a copy of the fixture)."""
    with Store.open(path, read_only=False) as store:
        client = Client(store=store)
        try:
            chats = [
                write_chat_trace(client, TRACE_NAME, QUESTIONS[i], recorded_answer(i))
                for i in range(count)
            ]
            no_chat, _ = write_chat_trace(client, TRACE_NAME, None, "no chat")
            other, _ = write_chat_trace(client, "other", QUESTIONS[0], "other")
            assert client.flush_traces(10)
        finally:
            client.close()
    return ChatDb(path, tuple(c[0] for c in chats), tuple(str(c[1]) for c in chats), no_chat, other)


@pytest.fixture
def chat_db(db318: Path) -> ChatDb:
    return build_chat_db(db318)


@pytest.fixture
def writable(chat_db: ChatDb) -> Iterator[tuple[Store, Client]]:
    store = Store.open(chat_db.path, read_only=False)
    client = Client(store=store)
    yield store, client
    client.close()
    store.close()


class Token:
    """The job pool's token: progress kept; cancelled after `cancel_after` edited rows."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.cancelled = False
        self.progress: list[BatchProgress] = []
        self._cancel_after = cancel_after

    def report(self, done: int, total: int, payload: object = None) -> None:
        assert isinstance(payload, BatchProgress)
        self.progress.append(payload)
        edited = payload.phase == "edited" and done >= 1
        if self._cancel_after is not None and edited and done >= self._cancel_after:
            self.cancelled = True


def the_edit(store: Store, db: ChatDb, url: str) -> BatchEdit:
    """The playground's edit of the first support trace's chat span: a new system message."""
    trace = store.reader.get_trace(db.chats[0])
    span = next(s for s in trace.data.spans if s.name == SPAN_NAME)
    request = request_from_span(span, EXPERIMENT)
    edited = ReplayRun(
        url=url,
        model=DEFAULT_MODEL,
        messages=(ReplayMessage("system", NEW_SYSTEM), *request.messages[1:]),
        source_trace_id=request.source_trace_id,
        source_span_id=request.source_span_id,
        source_name=request.source_name,
        temperature=0.0,
    )
    return edit_from(request, edited, source_facts(store, request))


def all_rows(store: Store, run_id: str) -> list[EvaluationRow]:
    return list(store.evaluations.rows(run_id, limit=100).rows)


# -- the edit ---------------------------------------------------------------------------------


def test_the_edited_system_messages_replace_the_targets_own_or_go_on_top() -> None:
    user, answer = ReplayMessage("user", "Hi"), ReplayMessage("assistant", "Hello")
    old = ReplayMessage("system", "old")
    new = ("new one", "new two")
    assert [m.content for m in with_system(new, (user, old, answer, old))] == [
        "Hi",
        "new one",
        "new two",
        "Hello",
    ]
    assert [m.role for m in with_system(new, (user, answer))] == [
        "system",
        "system",
        "user",
        "assistant",
    ]
    assert with_system((), (old, user)) == (user,)


def test_the_default_filter_asks_for_the_prompt_version_the_trace_name_and_the_span() -> None:
    assert default_filter(SourceFacts("sup'port", ("qa/3",), False), "Chat") == (
        "trace.prompt = 'qa/3' AND trace.name = 'sup''port' AND span.name = 'Chat'"
    )
    assert default_filter(SourceFacts("support", (), True), "support") == (
        "trace.name = 'support'"  # the root was replayed: every trace of the name has one
    )
    assert default_filter(SourceFacts(None, (), True), "Chat") == "span.name = 'Chat'"


def test_targets_are_the_first_n_matches_and_those_without_the_span_are_skipped(
    chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    with Store.open(chat_db.path) as store:
        edit = the_edit(store, chat_db, ollama_server.url)
        facts = source_facts(
            store,
            request_from_span(
                next(
                    s
                    for s in store.reader.get_trace(chat_db.chats[0]).data.spans
                    if s.name == SPAN_NAME
                ),
                EXPERIMENT,
            ),
        )
        assert facts == SourceFacts(TRACE_NAME, (), False)
        assert count_matches(store, EXPERIMENT, default_filter(facts, SPAN_NAME)) == 4
        query = "trace.name = 'support'"  # also the support trace with no chat span
        assert count_matches(store, EXPERIMENT, query) == 5
        targets = find_targets(store, edit, query, 10)
        assert targets.skipped == (chat_db.no_chat,)
        assert {r.trace_id for r in targets.rows} == set(chat_db.chats)
        row = next(r for r in targets.rows if r.trace_id == chat_db.chats[2])
        assert row.span_id == chat_db.span_ids[2]
        assert row.inputs == {
            "messages": [
                {"role": "system", "content": NEW_SYSTEM},
                {"role": "user", "content": QUESTIONS[2]},
            ],
            "tools": [],
        }
        assert row.recorded == recorded_answer(2)
        assert len(find_targets(store, edit, query, 2).rows) <= 2


# -- the runs ---------------------------------------------------------------------------------


def test_the_edit_over_the_traces_is_written_as_a_baseline_and_an_edited_run(
    chat_db: ChatDb, writable: tuple[Store, Client], ollama_server: OllamaStandIn
) -> None:
    store, client = writable
    edit = the_edit(store, chat_db, ollama_server.url)
    targets = find_targets(store, edit, "trace.name = 'support'", 10)
    plan = BatchPlan(client, edit, targets, ScorerChoice(exact_match=True))
    token = Token()
    result = run_batch(token, plan)
    assert result.complete and (result.rows, result.skipped) == (4, 1)
    assert result.edited is not None
    baseline, edited = result.baseline, result.edited
    assert (baseline.status, edited.status) == (FINISHED, FINISHED)
    assert baseline.run_name == "replay of ChatOllama · llama3.2:1b · recorded"
    assert edited.run_name == "replay of ChatOllama · llama3.2:1b · edited"
    assert [p.phase for p in token.progress][-1] == "edited"
    assert token.progress[-1].done == token.progress[-1].total == 4

    sent = ollama_server.chat_requests
    assert len(sent) == 4
    assert all(b["messages"][0] == {"role": "system", "content": NEW_SYSTEM} for b in sent)
    assert sorted(b["messages"][1]["content"] for b in sent) == sorted(QUESTIONS[:4])
    assert all(b["options"].get("temperature") == 0.0 for b in sent)

    by_question = {QUESTIONS[i]: i for i in range(4)}
    new_answers = [TUTORIAL_ANSWERS[q] for q in QUESTIONS[:4]]
    recorded = [recorded_answer(i) for i in range(4)]
    for run_id, answers in ((baseline.run_id, recorded), (edited.run_id, new_answers)):
        rows = all_rows(store, run_id)
        assert len(rows) == 4
        for row in rows:
            i = by_question[row.inputs["messages"][1]["content"]]
            assert row.inputs["messages"][0]["content"] == NEW_SYSTEM
            assert row.outputs == answers[i]
            assert row.expectations == {"expected_response": recorded_answer(i)}
            assert "exact_match" in row.scores
    edited_rows = all_rows(store, edited.run_id)
    replayed = {
        store.reader.trace_info(r.trace_id).tags["tracedesk.replay_of.trace"] for r in edited_rows
    }
    assert replayed == set(chat_db.chats)
    assert store.reader.count_traces([EXPERIMENT], f"trace.replay_of = '{chat_db.chats[1]}'") == 1

    comparison = compare_runs(store.evaluations, baseline.run_id, edited.run_id)
    assert len(comparison.pairs) == 4
    assert all(p.a is not None and p.b is not None for p in comparison.pairs)
    assert {(p.a.output, p.b.output) for p in comparison.pairs if p.a and p.b} == {
        (recorded_answer(i), TUTORIAL_ANSWERS[QUESTIONS[i]]) for i in range(4)
    }


def test_a_cancel_midway_ends_the_edited_run_killed_and_keeps_the_baseline(
    chat_db: ChatDb, writable: tuple[Store, Client], ollama_server: OllamaStandIn
) -> None:
    store, client = writable
    ollama_server.configure(chunk_delay=0.02)
    edit = the_edit(store, chat_db, ollama_server.url)
    targets = find_targets(store, edit, "trace.name = 'support'", 10)
    result = run_batch(Token(cancel_after=1), BatchPlan(client, edit, targets, max_workers=1))
    assert not result.complete and result.edited is not None
    assert (result.baseline.status, result.edited.status) == (FINISHED, KILLED)
    assert len(all_rows(store, result.baseline.run_id)) == 4
    assert 1 <= len(all_rows(store, result.edited.run_id)) < 4
    assert store.evaluations.run(result.edited.run_id).status == KILLED


def test_a_model_that_fails_is_recorded_on_the_rows(
    chat_db: ChatDb, writable: tuple[Store, Client], ollama_server: OllamaStandIn
) -> None:
    store, client = writable
    ollama_server.configure(fail_status=500)
    edit = the_edit(store, chat_db, ollama_server.url)
    targets = find_targets(store, edit, "trace.name = 'support'", 2)
    result = run_batch(Token(), BatchPlan(client, edit, targets))
    assert result.edited is not None and result.edited.status == FINISHED
    assert token_errors(result.edited.result_df) == len(targets.rows)


def token_errors(frame: object) -> int:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    return int(frame["error_message"].notna().sum())


def test_a_source_replayed_through_its_root_replays_every_targets_root(
    chat_db: ChatDb, ollama_server: OllamaStandIn
) -> None:
    with Store.open(chat_db.path) as store:
        edit = replace(the_edit(store, chat_db, ollama_server.url), span_name=TRACE_NAME)
        assert len(find_targets(store, edit, "trace.name = 'support'", 10).skipped) == 5
        targets = find_targets(store, replace(edit, from_root=True), "trace.name = 'support'", 10)
    assert targets.skipped == ()
    row = next(r for r in targets.rows if r.trace_id == chat_db.no_chat)
    assert row.span_id is None  # the root's input, as one user message
    assert row.messages == (ReplayMessage("system", NEW_SYSTEM), ReplayMessage("user", "?"))
    assert row.recorded == "no chat"


def test_the_default_filter_finds_the_traces_of_the_source_prompt_version(
    chat_db: ChatDb, writable: tuple[Store, Client]
) -> None:
    store, client = writable
    client.register_prompt("support-system", OLD_SYSTEM, commit_message="First.")
    linked = json.dumps([{"name": "support-system", "version": "1"}])
    using = []
    for question in QUESTIONS[:2]:  # two traces that used the prompt version (MLflow links
        with client.start_span(TRACE_NAME, SpanType.CHAIN, experiment_id=EXPERIMENT) as root:
            with client.start_span(SPAN_NAME, SpanType.CHAT_MODEL) as chat:
                chat.set_inputs({"messages": [{"role": "user", "content": question}]})
            client.set_trace_tag(root.trace_id, LINKED_PROMPTS_TAG, linked)  # them on write)
        using.append(root.trace_id)
    assert client.flush_traces(10)
    trace = store.reader.get_trace(using[0])
    span = next(s for s in trace.data.spans if s.name == SPAN_NAME)
    facts = source_facts(store, request_from_span(span, EXPERIMENT))
    assert facts.prompts == ("support-system/1",)
    query = default_filter(facts, SPAN_NAME)
    assert query == (
        "trace.prompt = 'support-system/1' AND trace.name = 'support' AND span.name = 'ChatOllama'"
    )
    assert count_matches(store, EXPERIMENT, query) == 2
    assert count_matches(store, EXPERIMENT, "trace.name = 'support'") == 7


def write_agent_trace(client: Client, question: str, calls: int) -> tuple[str, list[str]]:
    """An agent turn: `calls` ChatOllama calls in a row, each with the conversation so far."""
    span_ids = []
    with client.start_span("agent", SpanType.CHAIN, experiment_id=EXPERIMENT) as root:
        messages = [
            {"role": "system", "content": OLD_SYSTEM},
            {"role": "user", "content": question},
        ]
        for call in range(calls):
            with client.start_span(SPAN_NAME, SpanType.CHAT_MODEL) as chat:
                chat.set_inputs({"messages": list(messages)})
                answer = {"role": "assistant", "content": f"step {call}"}
                chat.set_outputs(answer)
                span_ids.append(chat.span_id)
            messages += [answer, {"role": "user", "content": f"more {call}"}]
        root.set_outputs("done")
    return root.trace_id, span_ids


def test_the_same_call_of_an_agent_turn_is_replayed_in_each_target(
    chat_db: ChatDb, writable: tuple[Store, Client], ollama_server: OllamaStandIn
) -> None:
    store, client = writable
    turns = [write_agent_trace(client, QUESTIONS[i], calls) for i, calls in enumerate((2, 3, 1))]
    assert client.flush_traces(10)
    (source_trace, source_calls), (other, other_calls), (single, single_calls) = turns
    trace = store.reader.get_trace(source_trace)
    span = next(s for s in trace.data.spans if s.span_id == source_calls[1])  # the last call
    request = request_from_span(span, EXPERIMENT)
    facts = source_facts(store, request)
    assert (facts.occurrence, facts.from_root) == (-1, False)  # the call that answered
    edited = ReplayRun(
        url=ollama_server.url,
        model=DEFAULT_MODEL,
        messages=(ReplayMessage("system", NEW_SYSTEM), *request.messages[1:]),
        source_trace_id=source_trace,
        source_span_id=span.span_id,
        source_name=SPAN_NAME,
    )
    targets = find_targets(store, edit_from(request, edited, facts), "trace.name = 'agent'", 10)
    chosen = {r.trace_id: r for r in targets.rows}
    assert chosen[source_trace].span_id == source_calls[1]
    assert chosen[other].span_id == other_calls[2]  # its last of three
    assert chosen[single].span_id == single_calls[0]  # it made one call: that one
    roles = [m.role for m in chosen[other].messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert chosen[other].messages[0].content == NEW_SYSTEM
    assert chosen[other].recorded == "step 2"
    middle = next(
        s for s in store.reader.get_trace(other).data.spans if s.span_id == other_calls[1]
    )
    assert source_facts(store, request_from_span(middle, EXPERIMENT)).occurrence == 1
