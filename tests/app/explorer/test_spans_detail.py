"""The span detail: folded values with "Show all", lazy highlighting, events, and the texts
each tab shows (no silent truncation anywhere)."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextOption
from pytestqt.qtbot import QtBot

from app.messages.browser import LONG_LINE, has_long_line
from app.messages.render import size_text
from app.spans import detail_text, value_view
from app.spans.detail import EVENTS, INPUTS, RAW, SpanDetailPanel
from app.spans.value_view import FOLD_CHARS, FOLD_LINES, HIGHLIGHT_LIMIT, ValueView, fold_point
from core.entities import Span


def make_span(attributes: dict[str, object], events: list[dict[str, object]] | None = None) -> Span:
    document = {
        "span_id": "AAAAAAAAAAE=",
        "name": "s",
        "start_time_unix_nano": 1_000,
        "end_time_unix_nano": 2_000_000,
        "status": {"code": "STATUS_CODE_OK", "message": ""},
        "events": events or [],
        "attributes": {k: json.dumps(v) for k, v in attributes.items()},
    }
    return Span(
        "tr-1", "0000000000000001", None, "s", "TOOL", "OK", 1_000, 2_000_000, json.dumps(document)
    )


@pytest.fixture
def view(qtbot: QtBot) -> ValueView:
    widget = ValueView("nothing")
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.show()
    return widget


def test_fold_point() -> None:
    assert fold_point("short") == 5
    lines = "\n".join(str(i) for i in range(FOLD_LINES * 2))
    assert lines[: fold_point(lines)].count("\n") == FOLD_LINES - 1
    one_line = "x" * (FOLD_CHARS * 2)
    assert fold_point(one_line) == FOLD_CHARS


def test_long_values_fold_with_show_all(qtbot: QtBot, view: ValueView) -> None:
    text = json.dumps([{"n": i, "text": "value"} for i in range(2000)], indent=2)
    view.set_value(text, "json")
    with qtbot.waitSignal(view.rendered):
        view.ensure_rendered()
    assert view.is_folded and view.is_highlighted
    assert view.show_all_button.isVisible()
    assert view.show_all_button.text() == f"Show all ({size_text(text)})"
    assert "Showing the first 400 lines" in view.fold_label.text()
    assert len(view.browser.toPlainText()) < len(text)
    qtbot.mouseClick(view.show_all_button, Qt.MouseButton.LeftButton)
    assert not view.is_folded and not view.show_all_button.isVisible()
    assert view.browser.toPlainText() == text
    assert view.text == text


def test_huge_values_open_as_plain_text(qtbot: QtBot, view: ValueView) -> None:
    text = json.dumps({"blob": "y" * (HIGHLIGHT_LIMIT + 10)})
    view.set_value(text, "json")
    view.ensure_rendered()
    assert not view.is_highlighted and view.highlight_button.isVisible()
    assert "Plain text" in view.fold_label.text()
    with qtbot.waitSignal(view.rendered):
        qtbot.mouseClick(view.highlight_button, Qt.MouseButton.LeftButton)
    assert view.is_highlighted and not view.highlight_button.isVisible()


def test_ctrl_c_without_selection_copies_the_whole_value(qtbot: QtBot, view: ValueView) -> None:
    text = "line\n" * (FOLD_LINES + 50)
    view.set_value(text, "text")
    view.ensure_rendered()
    assert view.is_folded
    with qtbot.waitSignal(view.browser.copied):
        qtbot.keyClick(view.browser, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == text  # all of it, not the folded part
    view.browser.selectAll()
    qtbot.keyClick(view.browser, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text().count("line") == FOLD_LINES  # the selection


def test_value_texts() -> None:
    span = make_span(
        {
            "mlflow.spanInputs": {"q": "why"},
            "mlflow.spanOutputs": "plain answer",
            "mlflow.spanType": "TOOL",
            "nested": '{"a": 1}',
        }
    )
    assert detail_text.inputs_text(span) == ('{\n  "q": "why"\n}', "json")
    assert detail_text.outputs_text(span) == ("plain answer", "text")
    attributes = json.loads(detail_text.attributes_text(span))
    assert attributes == {"mlflow.spanType": "TOOL", "nested": '{"a": 1}'}
    assert detail_text.value_text(span, "missing") == ("", "text")
    raw = json.loads(detail_text.raw_json_text(span))
    assert raw["attributes"]["mlflow.spanOutputs"] == '"plain answer"'  # MLflow's JSON-in-JSON


def test_huge_stored_values_are_shown_as_stored() -> None:
    blob = {"data": "z" * (detail_text.PRETTY_LIMIT + 1)}
    span = make_span({"mlflow.spanInputs": blob})
    text, language = detail_text.inputs_text(span)
    assert language == "json" and text == json.dumps(blob)  # not re-indented, not cut


def test_events_fold_long_values_and_many_events() -> None:
    events = [
        {"name": "tick", "time_unix_nano": 1_000 + i, "attributes": {"v": "x" * 1000}}
        for i in range(detail_text.EVENTS_SHOWN + 5)
    ]
    events.append({"name": "early", "time_unix_nano": 0, "attributes": {}})
    span = make_span({}, events)
    out = detail_text.EventsHtml().render(span)
    assert out.count("Show all (1000 B)") == detail_text.EVENTS_SHOWN
    assert f"Show all {len(events)} events" in out
    everything = detail_text.EventsHtml(expanded={"all-events", "e0-0"}).render(span)
    assert "early" in everything and "-1.00 µs" in everything
    assert everything.count("Show all (1000 B)") == len(events) - 2
    assert "recorded no events" in detail_text.EventsHtml().render(make_span({}))


def test_detail_panel_events_expand_on_click(qtbot: QtBot) -> None:
    panel = SpanDetailPanel()
    qtbot.addWidget(panel)
    span = make_span(
        {}, [{"name": "tick", "time_unix_nano": 5_000, "attributes": {"v": "x" * 900}}]
    )
    panel.show_span(span, 0)
    assert panel.current_tab() == INPUTS
    panel.show_tab(EVENTS)
    assert "Show all" in panel.events.toPlainText()
    panel.events.action_requested.emit("expand-e0-0")
    assert "Show all" not in panel.events.toPlainText()
    assert "x" * 900 in panel.events.toPlainText()


def test_the_chosen_tab_is_kept_across_spans(qtbot: QtBot) -> None:
    panel = SpanDetailPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_span(make_span({"mlflow.spanInputs": 1}), 0)
    raw_index = panel.tabs.indexOf(panel.values[RAW])
    panel.tabs.tabBarClicked.emit(raw_index)  # as a click on the tab
    panel.tabs.setCurrentIndex(raw_index)
    panel.show_span(make_span({"mlflow.spanInputs": 2}), 0)
    assert panel.current_tab() == RAW
    panel.show_span(None)
    assert not panel.tabs.isVisible() and panel.empty.isVisible()


def test_huge_values_show_in_steps_and_wrap_anywhere(
    qtbot: QtBot, view: ValueView, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(value_view, "SHOW_MORE_CHARS", 100_000)
    text = "z" * 250_000  # one line without spaces: word wrapping it would take seconds
    view.set_value(text, "text")
    view.ensure_rendered()
    assert view.shown_chars == FOLD_CHARS
    assert view.browser.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere
    assert view.show_all_button.text() == "Show more (next 98 KB)"
    assert "of 244 KB); Ctrl+C copies all of it." in view.fold_label.text()
    view.show_all()
    assert view.shown_chars == FOLD_CHARS + 100_000
    view.show_all()
    assert view.show_all_button.text() == "Show all (244 KB)"
    view.show_all()
    assert view.shown_chars == len(text) and not view.is_folded
    view.set_value("short words only", "text")
    view.ensure_rendered()
    assert view.browser.wordWrapMode() == QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere


def test_has_long_line() -> None:
    assert not has_long_line("short\nlines")
    assert has_long_line("a\n" + "b" * (LONG_LINE + 1) + "\nc")
    assert has_long_line("b" * (LONG_LINE + 1))
    assert not has_long_line(("b" * LONG_LINE + "\n") * 3)


def test_a_span_with_a_huge_payload_opens_quickly(qtbot: QtBot) -> None:
    panel = SpanDetailPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    messages = [{"role": "user", "content": "q" * (detail_text.PRETTY_LIMIT + 1)}]
    span = make_span({"mlflow.spanInputs": {"messages": messages}})
    started = time.perf_counter()
    with qtbot.waitSignal(panel.rendered):
        panel.show_span(span, 0)
    assert time.perf_counter() - started < 2.0
    assert detail_text.conversation_of(span) is None  # too big to decode on the GUI thread
    inputs = panel.values[INPUTS]
    assert panel.current_tab() == INPUTS and inputs.is_folded and not inputs.is_highlighted
    assert len(inputs.text) > detail_text.PRETTY_LIMIT  # all of it is kept for Show all / copy


def test_long_json_strings_show_their_newlines_as_lines(qtbot: QtBot, view: ValueView) -> None:
    """A multi-line answer reads as lines; `\\n` stays visible, short strings and an escaped
    backslash before an n are left alone, and Ctrl+C still copies the JSON as it is."""
    answer = "The first line of a long answer goes on for quite a while\nsecond line\nthird line"
    value = {"answer": answer, "short": "a\nb", "path": "C:\\new"}
    text = json.dumps(value, indent=2)
    view.set_value(text, "json")
    view.ensure_rendered()
    lines = view.browser.toPlainText().splitlines()
    assert '  "answer": "The first line of a long answer goes on for quite a while\\n' in lines
    assert "second line\\n" in lines and 'third line",' in lines
    assert '  "short": "a\\nb",' in lines and '  "path": "C:\\\\new"' in lines
    assert json.loads(view.text) == value  # the value itself is untouched
