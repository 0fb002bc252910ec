"""The trace summary header: facts, assessments (pass/fail, rationale, source, error), chips."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.explorer.assessments import (
    FAIL_COLOR,
    NEUTRAL_COLOR,
    PASS_COLOR,
    SHOWN,
    AssessmentList,
    details,
    remark_text,
    source_text,
    value_text,
)
from app.explorer.header import TraceHeader
from core.entities import AssessmentSource, Feedback, TraceInfo


def assessment(value: object, **extra: object) -> Feedback:
    fields: dict[str, object] = {
        "name": "correctness",
        "trace_id": "tr-1",
        "value": value,
        "source": AssessmentSource(source_type="LLM_JUDGE", source_id="gpt-judge"),
        "create_time_ms": 0,
        "last_update_time_ms": 0,
    }
    fields.update(extra)
    feedback = Feedback(**fields)  # type: ignore[arg-type]
    feedback.assessment_id = "a-1"
    return feedback


def info(**extra: object) -> TraceInfo:
    fields: dict[str, object] = {
        "trace_id": "tr-abc",
        "experiment_id": "1",
        "request_time": 1_795_677_585_718,
        "execution_duration": 1500,
        "state": "IN_PROGRESS",
    }
    fields.update(extra)
    return TraceInfo(**fields)  # type: ignore[arg-type]


def test_values_are_colored_by_verdict() -> None:
    assert value_text(True) == ("Pass", PASS_COLOR)
    assert value_text(False) == ("Fail", FAIL_COLOR)
    assert value_text("yes") == ("yes", PASS_COLOR) and value_text("No")[1] == FAIL_COLOR
    assert value_text(0.75) == ("0.75", NEUTRAL_COLOR)
    assert value_text({"k": [1]}) == ('{"k": [1]}', NEUTRAL_COLOR)
    assert value_text(None) == ("—", NEUTRAL_COLOR)


def test_rationale_source_and_error() -> None:
    judged = assessment(True, rationale="Because <b>it</b> matches.")
    assert remark_text(judged) == "Because <b>it</b> matches."
    assert source_text(judged) == "feedback · LLM judge · gpt-judge"
    failed = assessment(None, error={"error_code": "TIMEOUT", "error_message": "judge timed out"})
    assert remark_text(failed) == "Error: judge timed out"
    text = details(failed)
    assert "Source: LLM judge · gpt-judge" in text and "(feedback)" in text and "TIMEOUT" in text
    assert "Overridden" in details(assessment(1, valid=False))
    assert source_text(assessment(1, valid=False)).endswith(" · overridden")  # issue 22


def test_assessment_rows_are_plain_text(qtbot: QtBot) -> None:
    rows = AssessmentList()
    qtbot.addWidget(rows)
    hostile = assessment(False, name="<img src=x>", rationale="<script>x</script>")
    rows.show_assessments([hostile] + [assessment(True)] * (SHOWN + 2))
    name, value, _origin, remark = rows.rows[0]
    assert (name.text(), value.text(), remark.text()) == (
        "<img src=x>",
        "Fail",
        "<script>x</script>",
    )
    assert all(label.textFormat().name == "PlainText" for label in rows.rows[0])
    assert "&lt;script&gt;" in remark.toolTip()
    assert len(rows.rows) == SHOWN


def test_fact_parts() -> None:
    parts = TraceHeader.fact_parts(
        info(
            trace_metadata={
                "mlflow.trace.session": "s-1",
                "mlflow.user": "os-user",
                "mlflow.trace.user": "alice",
                "mlflow.trace.tokenUsage": '{"input_tokens": 3, "output_tokens": 4}',
            }
        ),
        span_count=1,
        duration_ns=123_000,
    )
    assert parts[1] == "Duration 1.50 s"  # still running: the stored duration, not the spans'
    assert "Tokens 3 in · 4 out · — total" in parts
    assert "Session s-1" in parts and "User alice" in parts and "1 span" in parts
    done = TraceHeader.fact_parts(info(state="OK"), duration_ns=123_000)
    assert done[1] == "Duration 123 µs" and not any(p.startswith("Tokens") for p in done)


def test_header_states_and_chips(qtbot: QtBot) -> None:
    header = TraceHeader()
    qtbot.addWidget(header)
    header.show_info(info(tags={"mlflow.traceName": "<b>x</b>", "k": "v" * 200}))
    assert header.state.text() == "In progress"
    assert header.name.text() == "<b>x</b>"
    assert header.tags_section.toggle.text() == "Tags and metadata (2)"
    assert not header.assessment_section.isVisibleTo(header)
    long_chip = header.chips.itemAt(0).widget()
    assert long_chip.text().endswith("…") and "v" * 200 in long_chip.toolTip()
    header.show_info(None)
    assert not header.name.isVisibleTo(header)


def test_a_narrow_header_keeps_the_trace_name_readable(qtbot: QtBot) -> None:
    """Replay…, Labels… and ⋯ share the top row with the name: the trace id is elided in the
    middle to leave the name its first words (it was squeezed to "…" at 510 px)."""
    header = TraceHeader()
    qtbot.addWidget(header)
    header.resize(510, 160)
    header.show()
    header.show_info(
        info(
            trace_id="tr-3fc3c1f6fc1002602e254065efa2afbf",
            tags={"mlflow.traceName": "agent.run checkout turn"},
        )
    )
    qtbot.waitUntil(lambda: header.name.width() > 0)
    shown = header.name.shown_text()
    assert shown.startswith("agent.") and len(shown.rstrip("…")) >= 8, shown
    assert "…" in header.trace_id.text()
