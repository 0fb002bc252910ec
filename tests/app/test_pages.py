"""Feature pages in the window's mode tabs: the store's client, experiment, requests, unsaved
work, editing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.pages import Page
from core.client import Client
from core.store.store import Store
from tests.app.helpers import open_and_wait, select_experiment


class RecordingPage(Page):
    title = "&Recording"

    def __init__(self) -> None:
        super().__init__()
        self.clients: list[Client | None] = []
        self.experiments: list[str | None] = []
        self.keep_unsaved = False

    def set_client(self, client: Client | None) -> None:
        self.clients.append(client)

    def set_experiment(self, experiment_id: str | None) -> None:
        self.experiments.append(experiment_id)

    def confirm_close(self) -> bool:
        return not self.keep_unsaved


def test_pages_follow_the_store_and_the_experiment(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    page = RecordingPage()
    window.add_page(page)
    last = window.modes.count() - 1
    assert window.modes.widget(last) is page and window.modes.tabText(last) == "&Recording"
    store = open_and_wait(qtbot, window, db318)
    client = page.clients[-1]
    assert client is window.client and client is not None
    assert client.store() is store  # one client per open store, wrapping it
    select_experiment(qtbot, window, "1")
    assert page.experiments[-1] == "1"
    window.close_database()
    assert page.clients[-1] is None and window.client is None


def test_a_page_can_open_a_trace_in_the_explorer(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    page = RecordingPage()
    window.add_page(page)
    open_and_wait(qtbot, window, db318)
    window.modes.setCurrentWidget(page)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=10_000):
        page.trace_requested.emit("tr-8994d05b63f61f086eee7e8a1d4106e8")
    assert window.modes.currentWidget() is window.workspace
    assert window.shown_trace_id == "tr-8994d05b63f61f086eee7e8a1d4106e8"


def test_unsaved_work_keeps_the_database_open(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    page = RecordingPage()
    window.add_page(page)
    open_and_wait(qtbot, window, db318)
    page.keep_unsaved = True
    window.close_database()
    assert window.store is not None
    page.keep_unsaved = False
    window.close_database()
    assert window.store is None


def test_enable_editing_reopens_the_database_for_writing(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    store = open_and_wait(qtbot, window, db318)
    assert store.read_only and window.menu_actions.enable_editing.isEnabled()
    with qtbot.waitSignal(window.store_opened, timeout=10_000) as opened:
        window.menu_actions.enable_editing.trigger()
    writable: Store = opened.args[0]
    assert not writable.read_only and writable.location.path == store.location.path
    assert not window.menu_actions.enable_editing.isEnabled()


def test_an_older_layout_cannot_be_edited(
    qtbot: QtBot, window: MainWindow, db31: Path, monkeypatch: object
) -> None:
    open_and_wait(qtbot, window, db31)
    assert not window.menu_actions.enable_editing.isEnabled()
    with qtbot.waitSignal(window.error_reported) as reported:
        window.enable_editing()
    assert "writes only the MLflow 3.18 layout" in reported.args[0]
    for box in window.findChildren(QMessageBox):
        box.close()


def test_editing_one_file_does_not_make_the_next_one_writable(
    qtbot: QtBot, window: MainWindow, db318: Path, db31: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    with qtbot.waitSignal(window.store_opened, timeout=10_000):
        window.enable_editing()
    assert window.store is not None and not window.store.read_only
    assert open_and_wait(qtbot, window, db31).read_only


def test_the_feature_pages_are_tabs_and_trace_commands_follow_the_traces_tab(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    titles = [window.modes.tabText(i).replace("&", "") for i in range(window.modes.count())]
    assert titles == ["Traces", "Evaluations", "Prompts", "Agents", "Insights"]
    open_and_wait(qtbot, window, db318)
    assert window.menu_actions.export_trace.isEnabled()
    window.modes.setCurrentWidget(window.prompts_page)
    assert not window.menu_actions.export_trace.isEnabled()  # Ctrl+E is the page's Edit there
    window.modes.setCurrentWidget(window.workspace)
    assert window.menu_actions.export_trace.isEnabled()


def test_a_trace_header_prompt_link_opens_the_prompt(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    open_and_wait(qtbot, window, db318)
    window.explorer.prompt_requested.emit("knowledge_prompt", 2)
    assert window.modes.currentWidget() is window.prompts_page


def test_unsaved_prompt_drafts_are_offered_back_when_the_database_opens(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    from app.prompts.drafts import save_draft

    save_draft(str(db318.resolve()), "knowledge_prompt", 2, "An edit left <b>unsaved</b>")
    open_and_wait(qtbot, window, db318)
    assert not window.notice_bar.isHidden()
    assert "Unsaved prompt edits from an earlier session: knowledge_prompt" in (
        window.notice_bar._label.text()
    )


def test_feature_pages_are_built_when_first_shown(qtbot: QtBot, window: MainWindow) -> None:
    """The Evaluations, Prompts and Agents tabs are there from the start, with their titles
    and mnemonics, but each page is built when its tab is first shown (a fifth of the start)."""
    from app.agents.page import AgentsPage
    from app.evaluations.page import EvaluationsPage
    from app.insights.page import InsightsPage
    from app.main_window import PAGE_TITLES
    from app.prompts.page import PromptsPage

    classes = {
        "evaluations": EvaluationsPage,
        "prompts": PromptsPage,
        "agents": AgentsPage,
        "insights": InsightsPage,
    }
    assert {key: cls.title for key, cls in classes.items()} == PAGE_TITLES
    tabs = [window.modes.tabText(i) for i in range(window.modes.count())]
    assert tabs == ["&Traces", *PAGE_TITLES.values()]
    assert window.pages == []  # nothing built yet
    window.modes.setCurrentIndex(2)  # as Alt+P does
    assert isinstance(window.modes.currentWidget(), PromptsPage)
    assert window.pages == [window.prompts_page] and window.modes.currentIndex() == 2
    assert [window.modes.tabText(i) for i in range(window.modes.count())] == tabs
    page = window.evaluations_page  # asked for by name: built in its place, not shown
    assert window.modes.widget(1) is page and window.modes.currentIndex() == 2
