"""`DiffDetail`: the selected row of a trace diff, both sides and what changed.

What changed is worked out on the job pool (it decodes the span's JSON); until it comes the
numbers show with "Reading what changed…". Only the newest row's answer is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.messages.browser import SafeTextBrowser, is_dark
from app.tasks import TaskRunner
from app.theme import follow_palette
from app.tracediff.detail_html import detail_html
from app.tracediff.loading import PairDetail, pair_detail
from core.tracediff import SpanPair

NOTHING = "Select a row to see both sides and what changed."


class DiffDetail(QWidget):
    """Shows one `SpanPair` (`show_pair`); `shown` says when its changes are on screen."""

    shown = Signal(int)  # the pair's row, once what changed is shown

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffDetail")
        self._jobs = tasks.group()
        self._pair: tuple[int, SpanPair] | None = None
        self._detail: PairDetail | None = None
        self.browser = SafeTextBrowser(self)
        self.browser.setObjectName("diffDetailText")
        self.browser.copy_all = self.browser.toPlainText
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.browser.setPlainText(NOTHING)
        follow_palette(self.browser, self._render)

    @property
    def row(self) -> int | None:
        return self._pair[0] if self._pair else None

    def show_pair(self, row: int | None, pair: SpanPair | None) -> None:
        self._jobs.drop()
        self._detail = None
        if row is None or pair is None:
            self._pair = None
            self.browser.setPlainText(NOTHING)
            return
        self._pair = (row, pair)
        self._render()
        task = self._jobs.submit_job(pair_detail, row, pair)
        task.on_finished(self._got)
        task.describe("Working out what changed in a span")

    def _got(self, detail: PairDetail) -> None:
        if self._pair is None or self._pair[0] != detail.row:
            return
        self._detail = detail
        self._render()
        self.shown.emit(detail.row)

    def _render(self) -> None:
        if self._pair is None:
            return
        bar = self.browser.verticalScrollBar()
        keep = bar.value() if self._detail is not None else 0
        self.browser.setHtml(detail_html(self._pair[1], self._detail, is_dark(self.palette())))
        bar.setValue(keep)
