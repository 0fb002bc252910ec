"""Untrusted span content stays inert: literal text, no resource loads, nothing opened."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QTextCursor
from PySide6.QtWidgets import QLabel, QTextBrowser, QWidget
from pytestqt.qtbot import QtBot

from app.explorer import TraceExplorer
from app.messages.browser import SafeTextBrowser
from app.spans.detail import ATTRIBUTES, CHAT, EVENTS, INPUTS, OUTPUTS, RAW
from app.spans.model import Column
from core.store.store import Store
from tests.app.explorer.data import HOSTILE

ShowTrace = Callable[[Store, str], TraceExplorer]
OpenStore = Callable[[Path], Store]
DANGEROUS_TAGS = ("<script", "<img", '<a href="javascript', '<a href="file')


@pytest.fixture
def opened_urls(monkeypatch: pytest.MonkeyPatch) -> list[QUrl]:
    calls: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(calls.append))
    return calls


@pytest.fixture
def hostile(
    show: ShowTrace, open_store: OpenStore, hostile_trace: tuple[Path, str]
) -> TraceExplorer:
    path, trace_id = hostile_trace
    explorer = show(open_store(path), trace_id)
    for tab in (CHAT, INPUTS, OUTPUTS, ATTRIBUTES, EVENTS, RAW):
        explorer.detail.show_tab(tab)  # render every tab
    explorer.detail.show_tab(CHAT)
    return explorer


def browsers(explorer: TraceExplorer) -> list[QTextBrowser]:
    found = explorer.findChildren(QTextBrowser)
    assert len(found) >= 6
    return found


def test_markup_renders_as_literal_text(hostile: TraceExplorer) -> None:
    chat = hostile.detail.chat
    assert chat.isVisible()
    text = chat.toPlainText()
    for sample in HOSTILE:
        assert sample in text
    assert "<img src=x onerror=alert(1)>" in text  # the tool's name, literally
    for browser in browsers(hostile):
        markup = browser.toHtml()
        for tag in DANGEROUS_TAGS:
            assert tag not in markup, (browser.objectName(), tag)


def test_no_resource_is_ever_requested(hostile: TraceExplorer) -> None:
    for browser in browsers(hostile):
        assert isinstance(browser, SafeTextBrowser)
        assert browser.blocked_resources == []
        assert not browser.openLinks() and not browser.openExternalLinks()


def test_a_resource_request_would_be_refused(qtbot: QtBot) -> None:
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    browser.setHtml('<img src="file:///etc/passwd"><img src="https://example.com/x.png">')
    browser.resize(300, 200)
    browser.show()
    browser.grab()
    assert "file:///etc/passwd" in browser.blocked_resources
    assert "https://example.com/x.png" in browser.blocked_resources


def test_only_internal_anchors_exist(hostile: TraceExplorer) -> None:
    for browser in browsers(hostile):
        block = browser.document().begin()
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                href = fragment.charFormat().anchorHref()
                assert not href or href.startswith(("#call-", "#expand-")), href
                iterator += 1
            block = block.next()


def test_clicking_opens_nothing(
    qtbot: QtBot, hostile: TraceExplorer, opened_urls: list[QUrl]
) -> None:
    chat = hostile.detail.chat
    for needle in ("[link](file:///etc/passwd)", "javascript:alert", "click me", "call_<script>"):
        cursor = chat.document().find(needle)
        assert not cursor.isNull(), needle
        chat.setTextCursor(QTextCursor(cursor.block()))
        chat.ensureCursorVisible()
        rect = chat.cursorRect(cursor)
        qtbot.mouseClick(
            chat.viewport(),
            Qt.MouseButton.LeftButton,
            pos=rect.center(),
        )
    for url in ("file:///etc/passwd", "javascript:alert(1)", "https://example.com", "page.html"):
        chat.anchorClicked.emit(QUrl(url))
    assert opened_urls == []
    assert chat.source().isEmpty()
    assert "[link](file:///etc/passwd)" in chat.toPlainText()  # still showing the same page


def test_labels_and_tooltips_never_interpret_markup(hostile: TraceExplorer) -> None:
    for label in hostile.findChildren(QLabel):
        if "<" in label.text():
            assert label.textFormat().name == "PlainText", label.objectName()
    for widget in hostile.findChildren(QWidget):
        tip = widget.toolTip()
        assert "<script" not in tip and "<img" not in tip and "<b>bold" not in tip
    model = hostile.spans.model
    name = model.index(0, Column.NAME)
    assert name.data() == "<b>bold</b> <img src=x onerror=alert(1)>"
    assert "&lt;img" in name.data(Qt.ItemDataRole.ToolTipRole)
    assert hostile.header.name.text() == "<b>bold</b> <img src=x onerror=alert(1)>"
