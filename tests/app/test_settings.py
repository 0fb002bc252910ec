"""Edit → Settings: values survive a restart, Test Connection lists Ollama's models, themes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import settings
from app.main_window import MainWindow
from app.settings_dialog import SettingsDialog
from app.theme import ThemeApplier
from tests.ollama_server import OllamaStandIn


def test_settings_survive_a_restart(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    dialog = SettingsDialog(window.tasks, window)
    qtbot.addWidget(dialog)
    dialog.ollama_url.setText("http://10.0.0.5:11434")
    dialog.ollama_model.setCurrentText("qwen2.5:7b")
    dialog.python.setText("/opt/venvs/agents/bin/python")
    dialog.user_id.setText("ada")
    dialog.timeout.setValue(42)
    dialog.theme.setCurrentIndex(settings.THEMES.index("dark"))
    dialog.font_size.setValue(11.5)
    dialog.read_only.setChecked(False)
    with qtbot.waitSignal(dialog.applied):
        dialog.accept()
    QSettings().sync()
    # what a new start reads (QSettings is re-read from disk by a new object)
    assert settings.ollama_url() == "http://10.0.0.5:11434"
    assert settings.ollama_model() == "qwen2.5:7b"
    assert settings.agents_python() == "/opt/venvs/agents/bin/python"
    assert settings.agents_user_id() == "ada"
    assert settings.agents_timeout_s() == 42
    assert settings.theme() == "dark" and settings.font_points() == 11.5
    assert settings.open_read_only() is False
    again = SettingsDialog(window.tasks, window)
    qtbot.addWidget(again)
    assert again.ollama_url.text() == "http://10.0.0.5:11434"
    assert again.theme.currentData() == "dark" and not again.read_only.isChecked()


def test_test_connection_lists_the_models(
    qtbot: QtBot, window: MainWindow, ollama_server: OllamaStandIn
) -> None:
    dialog = SettingsDialog(window.tasks, window)
    qtbot.addWidget(dialog)
    dialog.ollama_url.setText(ollama_server.url)
    with qtbot.waitSignal(dialog.test_connection().finished, timeout=10_000):
        pass
    assert dialog.test_result.text().startswith("Connected. Models:")
    assert dialog.ollama_model.count() > 0


def test_test_connection_says_when_nobody_answers(qtbot: QtBot, window: MainWindow) -> None:
    dialog = SettingsDialog(window.tasks, window)
    qtbot.addWidget(dialog)
    dialog.ollama_url.setText("http://127.0.0.1:9")  # the discard port: nothing listens
    with qtbot.waitSignal(dialog.test_connection().failed, timeout=10_000):
        pass
    assert "No Ollama server answered at http://127.0.0.1:9" in dialog.test_result.text()


@pytest.fixture
def restored_look(qapp: QApplication) -> Iterator[ThemeApplier]:
    applier = ThemeApplier(qapp)
    yield applier
    applier.apply("system", None)


def test_dark_and_light_themes_and_font_size(
    restored_look: ThemeApplier, qapp: QApplication
) -> None:
    restored_look.apply("dark", 13)
    base = qapp.palette().color(QPalette.ColorRole.Base)
    assert base.lightness() < 60 and qapp.font().pointSizeF() == 13
    restored_look.apply("light", None)
    assert qapp.palette().color(QPalette.ColorRole.Base).lightness() > 200


def test_about_names_the_versions_and_the_layout(
    qtbot: QtBot, window: MainWindow, db318: Path
) -> None:
    import PySide6
    import sqlalchemy

    from app.dialogs import about_text
    from tests.app.helpers import open_and_wait

    store = open_and_wait(qtbot, window, db318)
    text = about_text(store)
    for part in (PySide6.__version__, sqlalchemy.__version__, "MLflow 3.18 layout", "read-only"):
        assert part in text


def test_question_mark_opens_the_shortcut_sheet(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[bool] = []
    monkeypatch.setattr(window, "show_shortcuts", lambda: shown.append(True))
    window.menu_actions.shortcuts.triggered.disconnect()
    window.menu_actions.shortcuts.triggered.connect(window.show_shortcuts)
    keys = [k.toString() for k in window.menu_actions.shortcuts.shortcuts()]
    assert keys == ["F1", "?"]
    window.menu_actions.shortcuts.trigger()
    assert shown == [True]


def test_saved_agent_settings_show_on_the_open_agents_page(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.show_settings()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    dialog.python.setText("/opt/venvs/agents/bin/python")
    dialog.timeout.setValue(42)
    with qtbot.waitSignal(dialog.applied):
        dialog.accept()
    bar = window.agents_page.bar
    assert bar.timeout.value() == 42
    assert "/opt/venvs/agents/bin/python" in bar.python_label.text()
