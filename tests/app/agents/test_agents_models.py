"""The Agents page's lists: registered models (not prompts), versions with aliases and files,
the details of a version (folder found, moved or missing), and Set Alias."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from app import settings
from app.agents.details import version_facts
from app.agents.dialogs import SetAliasDialog
from app.agents.models import ALIASES_COLUMN, ALIASES_ROLE, FILES_COLUMN, VERSION_COLUMN
from app.main_window import MainWindow
from app.theme import ThemeApplier
from tests.app.agents.conftest import choose, open_page
from tests.app.helpers import WAIT_MS

TUTORIAL_V2 = "m-866fdbfcfdf347319958a800541833d7"


def cell(page: object, row: int, column: int) -> str:
    table = page.version_table  # type: ignore[attr-defined]
    return str(table.data(table.index(row, column)))


def test_models_and_versions_of_the_tutorial(
    qtbot: QtBot, window: MainWindow, db318: Path, qtmodeltester: object
) -> None:
    page = open_page(qtbot, window, db318)
    names = [page.model_list.item(r).name for r in range(page.model_list.rowCount())]  # type: ignore[union-attr]
    assert names == ["agent"]  # knowledge_prompt is a prompt, not a model
    assert page.version_table.model_name == "agent"
    assert [cell(page, r, VERSION_COLUMN) for r in range(2)] == ["Version 2", "Version 1"]
    assert cell(page, 0, FILES_COLUMN) == "moved"  # the fixture was copied: re-based
    qtmodeltester.check(page.model_list)  # type: ignore[attr-defined]
    qtmodeltester.check(page.version_table)  # type: ignore[attr-defined]
    row = page.selected_version
    assert row is not None and row.number == 2
    facts = version_facts(row)
    assert facts["Source"] == f"models:/{TUTORIAL_V2}"
    assert facts["Run"] == "6786c3af9e8143d7bb834718849f14c8"
    assert (
        "found beside the database; recorded as /home/user/tracing-tutorial-3.18"
        in (facts["Artifact folder"])
    )
    assert str(db318.parent / "mlruns" / "2" / "models" / TUTORIAL_V2) in facts["Artifact folder"]
    assert facts["Code file"].endswith(f"{TUTORIAL_V2}/artifacts/some_code.py")
    assert facts["Task"] == "agent/v1/responses"
    assert facts["Logged with"] == "MLflow 3.18.0"
    assert facts["Requirements"].startswith("mlflow==3.18.0, cloudpickle==3.1.3")
    assert page.details.values["Task"].text() == "agent/v1/responses"
    assert page.details.code_button.isEnabled()


def test_a_missing_artifact_folder_is_said_and_nothing_runs(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    shutil.rmtree(db318.parent / "mlruns" / "2" / "models" / TUTORIAL_V2)
    page = open_page(qtbot, window, db318)
    assert cell(page, 0, FILES_COLUMN) == "missing"
    assert (
        page.version_table.data(
            page.version_table.index(0, FILES_COLUMN), Qt.ItemDataRole.ForegroundRole
        )
        is not None
    )
    folder = page.details.values["Artifact folder"].text()
    assert folder.startswith("The model's files are missing: nothing at")
    assert "/home/user/tracing-tutorial-3.18/mlruns/2/models" in folder
    assert "Copy the mlruns folder" in folder
    page.bar.load_button.click()
    assert page.bar.problem.startswith("Version 2 cannot be loaded. Its files are missing")
    assert page.controller.session.runner is None  # nothing was prepared, nothing runs
    assert cell(page, 1, FILES_COLUMN) == "moved"  # version 1 is still there


def test_the_agents_database_lists_every_agent_and_alias(
    qtbot: QtBot, window: MainWindow, agents_db: Path, qtmodeltester: object
) -> None:
    page = open_page(qtbot, window, agents_db)
    names = [page.model_list.item(r).name for r in range(page.model_list.rowCount())]  # type: ignore[union-attr]
    assert names == ["crashing", "hanging", "junk", "simple", "streaming", "tools"]
    choose(qtbot, page, "simple")
    qtmodeltester.check(page.version_table)  # type: ignore[attr-defined]
    assert [cell(page, r, ALIASES_COLUMN) for r in range(2)] == ["", "@champion"]
    assert page.version_table.data(page.version_table.index(1, ALIASES_COLUMN), ALIASES_ROLE) == (
        "champion",
    )
    assert page.select_version(1)
    chips = [c.text() for c in page.details.findChildren(QLabel, "aliasChip")]
    assert chips == ["@champion"]
    tooltip = page.model_list.data(page.model_list.index(3), Qt.ItemDataRole.ToolTipRole)
    assert "@champion → v1" in tooltip


def test_set_alias_asks_for_editing_then_writes(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    choose(qtbot, page, "simple", 2)
    signals = [window.store_opened, page.editing_requested]
    with qtbot.waitSignals(signals, timeout=WAIT_MS):
        page.details.alias_button.click()  # read-only: the window reopens it for writing
    assert window.store is not None and not window.store.read_only
    dialog = page.findChild(SetAliasDialog)
    assert isinstance(dialog, SetAliasDialog) and dialog.isVisible()
    assert dialog.version_box.currentData() == 2
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    dialog.alias_edit.setText("latest")
    ok.click()
    assert "cannot be an alias" in dialog.message.text() and dialog.isVisible()
    dialog.alias_edit.setText("champion")
    with qtbot.waitSignal(page.version_table.loaded, timeout=WAIT_MS):
        ok.click()
    assert [cell(page, r, ALIASES_COLUMN) for r in range(2)] == ["@champion", ""]
    assert page.selected_version is not None and page.selected_version.number == 2


def test_view_code_shows_the_file_without_running_it(
    qtbot: QtBot, window: MainWindow, agents_db: Path
) -> None:
    page = open_page(qtbot, window, agents_db)
    choose(qtbot, page, "tools")
    page.details.code_button.click()
    qtbot.waitUntil(lambda: page.findChild(QDialog, "codeDialog") is not None, timeout=WAIT_MS)
    dialog = page.findChild(QDialog, "codeDialog")
    text = dialog.findChild(type(page.chat.transcript), "codeText").toPlainText()  # type: ignore[union-attr]
    assert "class ToolAgent(core.ResponsesAgent):" in text
    assert page.controller.session.runner is None
    dialog.close()  # type: ignore[union-attr]


def test_an_open_code_window_takes_a_theme_switch(
    qtbot: QtBot, window: MainWindow, agents_db: Path, qapp: QApplication
) -> None:
    """View Code's window is not modal: a theme switched while it is open redraws its code."""
    look = ThemeApplier(qapp)
    window.theme = look
    try:
        settings.set_theme("light")
        window.apply_settings()
        page = open_page(qtbot, window, agents_db)
        choose(qtbot, page, "tools")
        page.details.code_button.click()
        qtbot.waitUntil(lambda: page.findChild(QDialog, "codeDialog") is not None, timeout=WAIT_MS)
        dialog = page.findChild(QDialog, "codeDialog")
        view = dialog.findChild(type(page.chat.transcript), "codeText")  # type: ignore[union-attr]

        def colors() -> set[str]:
            return set(re.findall(r"color:(#[0-9a-f]{6})", view.toHtml()))  # type: ignore[union-attr]

        light = colors()
        assert light
        settings.set_theme("dark")
        window.apply_settings()
        qtbot.waitUntil(lambda: colors() != light, timeout=WAIT_MS)
        assert not colors() & light - {"#000000"}
        dialog.close()  # type: ignore[union-attr]
    finally:
        look.apply("system", None)


def test_the_interpreter_is_chosen_and_remembered(
    qtbot: QtBot, window: MainWindow, db318: Path, tmp_path: Path
) -> None:
    page = open_page(qtbot, window, db318)
    assert page.bar.python_label.text() == sys.executable  # this program's own by default
    page.bar.python_button.click()
    dialog = page.findChild(QFileDialog, "interpreterDialog")
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    chosen = str(tmp_path / "venv" / "bin" / "python")
    dialog.fileSelected.emit(chosen)
    dialog.close()
    assert settings.agents_python() == chosen and page.bar.python_label.text() == chosen
    page.bar.timeout.setValue(42.0)
    assert settings.agents_timeout_s() == 42.0
    assert page.bar.tracing.isEnabled() and page.bar.tracing.isChecked()
