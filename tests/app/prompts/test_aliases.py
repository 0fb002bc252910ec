"""Aliases on the Prompts page: every alias as a chip in the list (with "+N" and a tooltip
when they do not fit), and the real Move Alias dialog saying where an alias is now."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QColor, QFontMetrics, QHelpEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QToolTip
from pytestqt.qtbot import QtBot

import core
from app.chips import CHIPS_ROLE, MORE_COLORS, fit_chips
from app.main_window import MainWindow
from app.prompts import dialogs
from app.prompts.models import PromptListModel
from app.prompts.page import PromptsPage
from core import tracking
from core.store.store import Store
from tests.app.helpers import WAIT_MS
from tests.app.prompts.conftest import (
    OpenPrompts,
    Registry,
    select_prompt,
    select_version,
    shot_path,
)

REAL_MOVE_DIALOG = dialogs.ask_move_alias


def add_aliases(path: Path, aliases: dict[str, list[tuple[str, int]]]) -> None:
    """Point more aliases with core, as a user's code would (before the window opens it)."""
    core.set_tracking_uri(path)
    try:
        for name, pairs in aliases.items():
            for alias, version in pairs:
                core.set_prompt_alias(name, alias, version)
    finally:
        tracking.reset()


@pytest.fixture
def several_aliases(registry_db: Registry) -> Registry:
    add_aliases(
        registry_db.path,
        {
            "qa": [("champion", 1), ("staging", 3)],  # production -> 2 is already there
            "summary": [("production", 1), ("staging", 1)],
        },
    )
    return registry_db


def shown_window(qtbot: QtBot, window: MainWindow, width: int) -> None:
    window.resize(width, 760)
    window.show()
    qtbot.waitExposed(window)


def cell_tooltip(qtbot: QtBot, page: PromptsPage, row: int) -> str:
    """Hover the aliases cell of `row` and return the tooltip the view shows ("" for none)."""
    view = page.list_panel.view
    rect = view.visualRect(page.list_panel.model.index(row, PromptListModel.ALIASES))
    local = rect.center()
    event = QHelpEvent(QEvent.Type.ToolTip, local, view.viewport().mapToGlobal(local))
    QToolTip.hideText()  # the tooltip of the last hover fades out first
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=WAIT_MS)
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text() if QToolTip.isVisible() else ""


def cell_colors(page: PromptsPage, row: int) -> set[str]:
    """The colours painted in the aliases cell of `row`."""
    view = page.list_panel.view
    rect = view.visualRect(page.list_panel.model.index(row, PromptListModel.ALIASES))
    image = view.viewport().grab(rect).toImage()
    return {
        QColor(image.pixel(x, y)).name()
        for x in range(image.width())
        for y in range(image.height())
    }


def test_the_list_shows_every_alias_and_counts_what_does_not_fit(
    qtbot: QtBot,
    several_aliases: Registry,
    open_prompts: OpenPrompts,
    page_window: tuple[MainWindow, PromptsPage],
    tmp_path: Path,
) -> None:
    window, _ = page_window
    shown_window(qtbot, window, 1280)
    page = open_prompts(several_aliases.path)
    select_prompt(qtbot, page, "summary")
    model, view = page.list_panel.model, page.list_panel.view
    qa, summary = model.row_of("qa"), model.row_of("summary")
    assert qa is not None and summary is not None
    chips = model.index(qa, PromptListModel.ALIASES).data(CHIPS_ROLE)
    assert chips == ["champion → v1", "production → v2", "staging → v3"]
    metrics = QFontMetrics(view.font())
    width = view.columnWidth(PromptListModel.ALIASES)
    summary_chips = model.index(summary, PromptListModel.ALIASES).data(CHIPS_ROLE)
    assert summary_chips == ["production → v1", "staging → v1"]
    assert fit_chips(metrics, summary_chips, width) == summary_chips  # both shown, no "+N"
    shown = fit_chips(metrics, chips, width)
    assert 1 <= len(shown) < 3 and shown == chips[: len(shown)]
    more = MORE_COLORS[False][0]
    assert more in cell_colors(page, qa) and more not in cell_colors(page, summary)
    tip = cell_tooltip(qtbot, page, qa)
    assert all(chip in tip for chip in chips)  # the hidden ones are listed
    assert cell_tooltip(qtbot, page, summary) == ""  # nothing hidden: no tooltip
    page.list_panel.grab().save(shot_path(tmp_path, "list_narrow"))
    window.grab().save(shot_path(tmp_path, "list_window"))
    page.view.splitter.setSizes([900, 900])  # a wider list: all three chips fit
    shown_window(qtbot, window, 1800)
    qtbot.waitUntil(
        lambda: fit_chips(metrics, chips, view.columnWidth(PromptListModel.ALIASES)) == chips,
        timeout=WAIT_MS,
    )
    assert more not in cell_colors(page, qa) and cell_tooltip(qtbot, page, qa) == ""
    page.list_panel.grab().save(shot_path(tmp_path, "list_wide"))


def test_a_narrow_cell_cuts_the_first_chip_short_and_counts_the_rest(qtbot: QtBot) -> None:
    metrics = QFontMetrics(QApplication.font())
    chips = ["production → v2", "staging → v3"]
    shown = fit_chips(metrics, chips, 100)
    assert len(shown) == 1 and shown[0].endswith("…") and shown[0] != chips[0]
    assert fit_chips(metrics, chips, 30) == []  # room for "+2" only
    assert fit_chips(metrics, ["production → v2"], 60)[0].endswith("…")  # no "+0"


def test_move_alias_says_where_the_alias_is_now(
    qtbot: QtBot,
    several_aliases: Registry,
    open_prompts: OpenPrompts,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(dialogs, "ask_move_alias", REAL_MOVE_DIALOG)
    page = open_prompts(several_aliases.path, writable=True)
    select_prompt(qtbot, page, "qa")
    select_version(page, 3)
    said: dict[str, list[str]] = {}
    enabled: dict[str, bool] = {}

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, dialogs.MoveAliasDialog)
        move = dialog._buttons.button(QDialogButtonBox.StandardButton.Ok)
        for alias in ("staging", "canary", "production"):
            dialog.alias.setCurrentText(alias)
            said[alias] = dialog.said().splitlines()
            enabled[alias] = move.isEnabled()
        dialog.grab().save(shot_path(tmp_path, "move_alias"))
        move.click()

    QTimer.singleShot(0, answer)
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        page.versions.move_button.click()
    assert said["production"] == [
        "Point an alias of “qa” at a version",
        "Alias: production",
        "Now: “production” is now at version 2 — shorter",
        "Move to: v3",
        "“production” will move from version 2 to version 3.",
    ]
    assert said["staging"][2:] == [
        "Now: “staging” is now at version 3",
        "Move to: v3",
        "“staging” already points at version 3: nothing to move.",
    ]
    assert said["canary"][2:] == [
        "Now: “canary” is not set: a new alias.",
        "Move to: v3",
        "“canary” will be created at version 3.",
    ]
    assert enabled == {"staging": False, "canary": True, "production": True}
    with Store.open(several_aliases.path) as store:
        assert store.prompt_registry.aliases("qa") == {
            "champion": 1,
            "production": 3,
            "staging": 3,
        }


def test_names_fit_when_the_page_is_shown_after_it_was_read(
    qtbot: QtBot,
    several_aliases: Registry,
    open_prompts: OpenPrompts,
    page_window: tuple[MainWindow, PromptsPage],
) -> None:
    """Read while another tab showed, the list had no width to fit its names into: shown,
    the Name column takes each name's width (not 80 px of "knowledg…")."""
    core.set_tracking_uri(several_aliases.path)
    try:
        core.genai.register_prompt(name="knowledge_prompt", template="Hi")
    finally:
        tracking.reset()
    window, _ = page_window
    window.modes.setCurrentWidget(window.workspace)  # the Traces tab, as at start
    shown_window(qtbot, window, 1280)
    page = open_prompts(several_aliases.path)
    window.modes.setCurrentWidget(page)
    view, model = page.list_panel.view, page.list_panel.model
    widest = max(
        view.fontMetrics().horizontalAdvance(str(model.index(r, PromptListModel.NAME).data()))
        for r in range(model.rowCount())
    )
    qtbot.waitUntil(lambda: view.columnWidth(PromptListModel.NAME) >= widest, timeout=WAIT_MS)
