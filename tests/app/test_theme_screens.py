"""Every tab of the window in the light and the dark theme (kept with TRACEDESK_SHOTS=dir).

TRACEDESK_SHOTS=shots QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/app -k theme_shot
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.theme import ThemeApplier
from tests.app.helpers import open_and_wait, select_experiment

NESTED = "tr-8994d05b63f61f086eee7e8a1d4106e8"


@pytest.fixture
def look(qapp: QApplication) -> Iterator[ThemeApplier]:
    applier = ThemeApplier(qapp)
    yield applier
    applier.apply("system", None)


def show_nested_trace(qtbot: QtBot, window: MainWindow, db: Path, size: tuple[int, int]) -> None:
    """Show `window` at `size` with the nested trace of `db` open in the explorer."""
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db)
    select_experiment(qtbot, window, "1")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=10_000):
        window.commands.go_to_trace(NESTED)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_theme_shot(
    qtbot: QtBot,
    make_window: Callable[..., MainWindow],
    db318: Path,
    look: ThemeApplier,
    theme: str,
) -> None:
    look.apply(theme, None)  # before the window, as `tracedesk` does
    window = make_window()
    dark = QApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
    assert dark == (theme == "dark")
    show_nested_trace(qtbot, window, db318, (1400, 860))
    folder = Path(os.environ.get("TRACEDESK_SHOTS") or db318.parent)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(window.modes.count()):
        window.modes.setCurrentIndex(index)
        qtbot.wait(150)
        name = window.modes.tabText(index).replace("&", "").lower()
        image = window.grab().toImage()
        assert not image.isNull()
        assert image.save(str(folder / f"theme-{theme}-{name}.png"))


def test_theme_changed_in_settings_applies_to_the_open_window(
    qtbot: QtBot,
    window: MainWindow,
    db318: Path,
    look: ThemeApplier,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import settings

    window.theme = look
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db318)
    settings.set_theme("dark")
    window.apply_settings()
    qtbot.wait(100)
    view = window.trace_view.viewport()
    assert view.palette().color(QPalette.ColorRole.Base).lightness() < 60
    folder = Path(os.environ.get("TRACEDESK_SHOTS") or db318.parent)
    assert window.grab().save(str(folder / "theme-switched-dark.png"))


def test_switching_the_theme_redraws_what_is_shown(
    qtbot: QtBot, window: MainWindow, db318: Path, look: ThemeApplier
) -> None:
    """Light → dark → light: a span's highlighted inputs are drawn again in the new colours,
    not left in the old ones (near-invisible punctuation on black)."""
    from app import settings

    window.theme = look

    def switch(theme: str) -> None:  # as the Settings dialog does
        settings.set_theme(theme)
        window.apply_settings()

    switch("light")
    show_nested_trace(qtbot, window, db318, (1280, 780))
    detail = window.explorer.detail
    detail.choose_tab("Raw JSON")
    raw = detail.values["Raw JSON"]
    qtbot.waitUntil(lambda: raw.is_highlighted and bool(raw.browser.toPlainText()), timeout=10_000)

    def colors() -> set[str]:
        return set(re.findall(r"color:(#[0-9a-f]{6})", raw.browser.toHtml()))

    light = colors()
    switch("dark")
    qtbot.waitUntil(lambda: colors() != light, timeout=10_000)
    dark = colors()
    assert dark and not dark & light - {"#000000"}  # every highlight colour changed
    switch("light")
    qtbot.waitUntil(lambda: colors() == light, timeout=10_000)


def test_every_tab_takes_a_theme_switch(
    qtbot: QtBot, window: MainWindow, db318: Path, look: ThemeApplier
) -> None:
    """Each tab shown, light → dark → light: every view that follows the palette redraws
    without an error (the crash handler would fail the test)."""
    from app import settings

    window.theme = look
    show_nested_trace(qtbot, window, db318, (1280, 780))
    for index in range(window.modes.count()):
        window.modes.setCurrentIndex(index)
        for theme in ("dark", "light"):
            settings.set_theme(theme)
            window.apply_settings()
            qtbot.wait(50)
            dark = window.modes.currentWidget().palette().base().color().lightness() < 128
            assert dark == (theme == "dark")
