"""Prompts and traces link both ways: the trace header names the prompt versions a trace used,
and a prompt version lists the traces that used it."""

from __future__ import annotations

import json
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.explorer.header import TraceHeader, linked_prompts
from app.main_window import MainWindow
from app.prompts.page import PromptsPage
from core.entities import TraceInfo
from tests.app.helpers import WAIT_MS
from tests.app.prompts.conftest import OpenPrompts, Registry, select_prompt, select_version

Window = tuple[MainWindow, PromptsPage]


def info(tags: dict[str, str]) -> TraceInfo:
    return TraceInfo(
        "tr-1",
        experiment_id="0",
        request_time=1_795_677_607_970,
        execution_duration=5,
        state="OK",
        tags=tags,
    )


def test_linked_prompts_are_read_from_the_trace_tag() -> None:
    tag = json.dumps([{"name": "qa", "version": "3"}, {"name": "b&c", "version": 1}])
    assert linked_prompts({"mlflow.linkedPrompts": tag}) == [("qa", 3), ("b&c", 1)]
    broken = json.dumps([{"name": "x"}, "y", {"name": "z", "version": "two"}])
    assert linked_prompts({"mlflow.linkedPrompts": broken}) == []
    assert linked_prompts({"mlflow.linkedPrompts": "{not json"}) == []
    assert linked_prompts({}) == []


def test_the_header_shows_clickable_prompt_links(qtbot: QtBot) -> None:
    header = TraceHeader()
    qtbot.addWidget(header)
    tag = json.dumps([{"name": "b&c", "version": "2"}])
    header.show_info(info({"mlflow.linkedPrompts": tag}))
    assert header.prompts.isVisibleTo(header)
    (link,) = header.prompts.links
    assert link.text() == "b&&c v2"  # an ampersand in a name is no mnemonic
    with qtbot.waitSignal(header.prompt_requested) as requested:
        link.click()
    assert requested.args == ["b&c", 2]
    header.show_info(info({}))
    assert not header.prompts.isVisibleTo(header) and header.prompts.links == []


def test_from_a_trace_to_its_prompt_and_back(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts, page_window: Window
) -> None:
    window, _ = page_window
    page = open_prompts(registry_db.path)
    window.explorer.prompt_requested.connect(page.show_prompt)  # what the lead wires
    window.explorer.prompt_requested.connect(lambda *_: window.modes.setCurrentWidget(page))
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.open_trace(registry_db.linked_trace)
    (link,) = window.explorer.header.prompts.links
    assert link.text() == "qa v1"
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        link.click()
    assert window.modes.currentWidget() is page and page.versions.name.text() == "qa"
    current = page.versions.current_version()
    assert current is not None and current.version == 1
    traces = page.traces
    qtbot.waitUntil(lambda: traces.model.rowCount() == 1, timeout=WAIT_MS)
    assert traces.model.index(0, 0).data() == "answer question"
    assert "Traces that used qa version 1 (1, every experiment)" in traces.note.text()
    with qtbot.waitSignal(page.trace_requested) as requested:
        traces.view.doubleClicked.emit(traces.model.index(0, 0))
    assert requested.args == [registry_db.linked_trace]
    assert window.modes.currentWidget() is window.workspace
    assert window.shown_trace_id == registry_db.linked_trace


def test_versions_no_trace_used_say_so(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    select_version(page, 2)
    qtbot.waitUntil(lambda: page.traces.note.text() == "No trace used qa version 2.")


def test_an_older_layout_says_it_does_not_record_the_links(
    qtbot: QtBot, db31: Path, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(db31)
    qtbot.waitUntil(lambda: "cannot be listed" in page.traces.note.text(), timeout=WAIT_MS)
    assert "does not record which traces used a prompt version" in page.traces.note.text()


def test_show_prompt_finds_a_prompt_the_search_hides(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    with qtbot.waitSignal(page.list_panel.model.loaded, timeout=WAIT_MS):
        page.list_panel.search.setText("chat")
        page.list_panel.run_search()
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        assert page.show_prompt("qa", 2)
    qtbot.waitUntil(lambda: page.list_panel.selected_name() == "qa", timeout=WAIT_MS)
    assert page.list_panel.search.text() == ""
    current = page.versions.current_version()
    assert current is not None and current.version == 2
    assert page.show_prompt("qa", 1) and page.versions.current_version().version == 1
