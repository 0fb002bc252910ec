"""The Qt-free parts of the Agents page: the conversation and its requests, streamed events,
the transcript's escaping and trace links, folder states, code facts and the messages."""

from __future__ import annotations

from pathlib import Path

from app.agents.conversation import DONE, FAILED, PARTIAL, STOPPED, AgentConversation
from app.agents.data import FolderStatus, defines_predict_stream, mlflow_requirement, read_code
from app.agents.outcomes import call_failure, load_failure, traces_note, turn_failure
from app.agents.transcript import TranscriptHtml, trace_link
from core.agents.errors import AgentCallError, AgentCrashedError, AgentLoadError
from core.entities.mlmodel import MLmodelFacts

DELTA = "response.output_text.delta"
DONE_EVENT = "response.output_item.done"


def message(text: str, item_id: str = "msg_1") -> dict[str, object]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {"type": "message", "id": item_id, "role": "assistant", "content": [part]}


def test_requests_carry_the_conversation_and_its_context() -> None:
    conversation = AgentConversation("conv-1")
    conversation.ask("hi")
    assert conversation.request("ann") == {
        "input": [{"role": "user", "content": "hi"}],
        "context": {"conversation_id": "conv-1", "user_id": "ann"},
    }
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "c1", "output": "3"}
    conversation.answered({"output": [call, output, message("Hello")]}, "tr-1", 0.2)
    conversation.ask("this one fails")
    conversation.failed("boom")
    conversation.ask("again")
    assert conversation.request("ann")["input"] == [
        {"role": "user", "content": "hi"},
        call,
        output,
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "again"},  # a failed turn is left out
    ]
    assert [t.state for t in conversation.turns[:2]] == [DONE, FAILED]


def test_a_new_conversation_has_a_new_id() -> None:
    assert AgentConversation().conversation_id != AgentConversation().conversation_id


def test_streamed_events_fill_the_turn_in() -> None:
    conversation = AgentConversation()
    turn = conversation.ask("q")
    assert conversation.apply_event({"type": DELTA, "item_id": "m", "delta": "Hel"})
    assert conversation.apply_event({"type": DELTA, "item_id": "m", "delta": "lo"})
    assert turn.items == [{"type": "message", "id": "m", "role": "assistant", PARTIAL: "Hello"}]
    assert not conversation.apply_event({"type": "response.created"})
    assert conversation.apply_event({"type": DONE_EVENT, "item": message("Hello!", "m")})
    assert turn.answer_text() == "Hello!" and turn.events == 4
    conversation.answered({"output": [message("Hello!", "m")]}, None, 0.1)
    assert turn.state == DONE and conversation.current is None
    assert not conversation.apply_event({"type": DELTA, "item_id": "m", "delta": "late"})


def test_deltas_without_a_final_item_are_kept() -> None:
    conversation = AgentConversation()
    turn = conversation.ask("q")
    conversation.apply_event({"type": DELTA, "item_id": "m", "delta": "only deltas"})
    conversation.answered({"object": "response", "output": []}, "tr-2", 0.1)
    assert turn.items[0]["content"] == [{"type": "output_text", "text": "only deltas"}]
    assert turn.answer_text() == "only deltas"


def test_stopping_marks_the_turn() -> None:
    conversation = AgentConversation()
    turn = conversation.ask("q")
    conversation.failed("", stopped=True)
    assert turn.state == STOPPED and conversation.current is None
    conversation.ask("next")  # the conversation goes on


def test_the_transcript_escapes_and_links_only_safe_trace_ids() -> None:
    conversation = AgentConversation()
    conversation.ask("<script>alert(1)</script>")
    conversation.answered({"output": [message("<img src=x onerror=1>")]}, "tr-abc", 1.5)
    conversation.ask("second")
    conversation.answered({"output": [message("ok")]}, 'tr-"><a href="http://x">', 0.1)
    html = TranscriptHtml().render_turns(conversation.turns)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert 'href="#trace-tr-abc"' in html and "Answered in 1.50 s" in html
    assert "http://x" not in html.replace("&lt;a href=&quot;http://x&quot;&gt;", "")
    assert trace_link("tr-abc") == "trace-tr-abc" and trace_link("a b") is None


def test_the_transcript_shows_streaming_and_failures() -> None:
    conversation = AgentConversation()
    conversation.ask("q")
    conversation.apply_event({"type": DELTA, "item_id": "m", "delta": "Partial"})
    html = TranscriptHtml().render_turns(conversation.turns, "intro")
    assert "Partial ▍" in html and "Streaming… (1 event)" in html
    conversation.failed("It broke", trace_id="tr-err")
    conversation.turns[-1].detail = "Traceback (most recent call last)"
    html = TranscriptHtml(dark=True).render_turns(conversation.turns)
    assert "Failed" in html and "It broke" in html and "Traceback" in html
    assert 'href="#trace-tr-err"' in html
    assert "Waiting for the agent" in TranscriptHtml().render_turns([conversation.ask("x")])


def test_folder_states(tmp_path: Path) -> None:
    found = FolderStatus("/old/place/m-1", tmp_path, (tmp_path, Path("/old/place/m-1")))
    assert found.rebased and found.short_state == "moved"
    assert "found beside the database; recorded as /old/place/m-1" in found.describe()
    same = FolderStatus(f"file://{tmp_path}", tmp_path)
    assert not same.rebased and same.short_state == "found" and same.describe() == str(tmp_path)
    missing = FolderStatus("/old/place/m-1", None, (tmp_path / "m-1", Path("/old/place/m-1")))
    assert missing.missing and missing.short_state == "missing"
    assert f"nothing at {tmp_path / 'm-1'}, /old/place/m-1" in missing.describe()
    assert "records no artifact folder" in FolderStatus(None, None).describe()


def test_code_facts(tmp_path: Path) -> None:
    path = tmp_path / "agent.py"
    path.write_text("import mlflow\nclass A:\n    def predict_stream(self, r):\n        pass\n")
    code = read_code(path)
    assert code.imports_mlflow and code.streams and len(code.sha256) == 64
    assert not defines_predict_stream("def predict_stream(): pass\n")  # not a method
    assert not defines_predict_stream("class (")
    broken = tmp_path / "broken.py"
    broken.write_text("class (")
    assert "is not valid Python" in str(read_code(broken).error)
    assert "cannot be read" in str(read_code(tmp_path / "gone.py").error)


def test_mlflow_requirement(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("mlflow-skinny==1\nmlflow==3.18.0\n")
    assert mlflow_requirement(MLmodelFacts(tmp_path, {})) == "mlflow==3.18.0"
    facts = MLmodelFacts(tmp_path / "none", {"mlflow_version": "3.17.0"})
    assert mlflow_requirement(facts) == "mlflow==3.17.0"
    assert mlflow_requirement(None) == "mlflow"


def test_messages_say_what_to_do() -> None:
    missing = AgentLoadError(
        "AgentLoadError: /m/some_code.py imports mlflow, which is not installed for /py. "
        "Run it with an interpreter that has MLflow (AgentRunner(python=...))."
    )
    text = load_failure(missing, "/my venv/python", "mlflow==3.18.0")
    assert text.startswith("The agent could not be loaded: /m/some_code.py imports mlflow")
    assert "'/my venv/python' -m pip install mlflow==3.18.0" in text
    assert "AgentRunner" not in text
    absent = AgentCrashedError("/no/python cannot be started: [Errno 2] No such file")
    assert load_failure(absent, "/no/python", "mlflow").endswith(
        "Choose another interpreter with Interpreter…, then Restart."
    )
    crash = AgentCrashedError("The agent process exited with code 3.", exit_code=3, stderr=["x"])
    assert call_failure(crash).endswith("the conversation is kept.")
    assert turn_failure(crash) == "The agent process exited with code 3."
    raised = AgentCallError("ValueError: no", error_type="ValueError")
    assert call_failure(raised) == "The agent raised an error: ValueError: no"


def test_the_traces_note() -> None:
    written = "Traces are written to this database by the agent process."
    assert traces_note(None, {"traced": True, "experiment_id": "2"}, written) == (
        "Traces are written to this database (experiment 2) by the agent process."
    )
    assert "not traced" in traces_note(None, {"traced": False}, written)
