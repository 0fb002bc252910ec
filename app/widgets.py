"""Small widgets the window shares: an eliding label, the non-modal notice bar, the setup of a
read-only table of rows, and the placeholder text of an empty view."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTableView,
    QToolButton,
    QWidget,
)


def set_up_row_table(
    view: QTableView,
    selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.SingleSelection,
) -> None:
    """A read-only table picked by whole rows: no editing, grid, word wrap or row numbers, and
    Tab leaves it (rather than walking its cells, which a row table has no use for)."""
    view.setTabKeyNavigation(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(selection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.installEventFilter(_FirstArrowSelects(view))


class _FirstArrowSelects(QObject):
    """Up or Down in a table with nothing selected selects the row the cursor is on: Qt puts
    the cursor on the first row when the table gets the focus, and the arrow would skip it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        if not isinstance(watched, QAbstractItemView) or not isinstance(event, QKeyEvent):
            return False
        arrow = event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        model, selection = watched.model(), watched.selectionModel()
        if not (event.type() == QEvent.Type.KeyPress and arrow and plain and model is not None):
            return False
        if selection is None or selection.hasSelection() or model.rowCount() == 0:
            return False
        index = model.index(max(watched.currentIndex().row(), 0), 0)
        flags = QItemSelectionModel.SelectionFlag
        selection.setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        return True


def paint_placeholder(view: QAbstractItemView, text: str, side: int = 24, top: int = 32) -> None:
    """From `paintEvent`: `text` in the placeholder colour, centred at the top of the viewport."""
    painter = QPainter(view.viewport())
    painter.setPen(view.palette().placeholderText().color())
    painter.drawText(
        view.viewport().rect().adjusted(side, top, -side, -side),
        Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
        text,
    )
    painter.end()


class ElidedLabel(QLabel):
    """A one-line label that elides its text to the width it gets (the full text is kept)."""

    def __init__(
        self,
        text: str = "",
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(text, parent)
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # QLabel.minimumSizeHint
        return QSize(
            self.fontMetrics().horizontalAdvance("…") * 4, super().minimumSizeHint().height()
        )

    def shown_text(self) -> str:
        """What is drawn: the text, elided to the label's width."""
        return self.fontMetrics().elidedText(self.text(), self._mode, self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:  # QLabel.paintEvent
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.shown_text()
        painter.setPen(self.palette().windowText().color())
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)
        painter.end()


class ReadOnlyBar(QFrame):
    """Above a view that writes, on a database open read-only: why it cannot save, and
    Enable Editing (`editing_requested`); amber, in light and dark alike."""

    editing_requested = Signal()

    def __init__(self, text: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setStyleSheet(
            f"QFrame#{name} {{ background: rgba(217, 119, 6, 0.16); border: 1px solid "
            "rgba(217, 119, 6, 0.55); border-radius: 4px; }"
        )
        self.text = QLabel(text, self)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.enable = QPushButton("E&nable Editing", self)
        self.enable.setAutoDefault(False)
        self.enable.clicked.connect(self.editing_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 5, 6, 5)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.enable)


class NoticeBar(QFrame):
    """A strip above the trace list with things the user should know; closed by its button.

    It never takes focus or blocks: a newer layout opened read-only, a list that failed to load.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._notices: list[str] = []
        self._icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._icon.setPixmap(icon.pixmap(size, size))
        self._label = QLabel(self)
        self._label.setObjectName("noticeText")
        self._label.setTextFormat(Qt.TextFormat.PlainText)  # notices quote database content
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("noticeClose")
        close.setAutoRaise(True)
        close.setText("✕")
        close.setToolTip("Hide this notice")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text()

    @property
    def notices(self) -> list[str]:
        """The notices shown now (empty once dismissed)."""
        return list(self._notices)

    def show_notices(self, notices: list[str]) -> None:
        """Show `notices`, one per line; hide the bar when there are none."""
        self._notices = list(notices)
        self._label.setText("\n".join(self._notices))
        self.setHidden(not self._notices)

    def add_notice(self, notice: str) -> None:
        if notice not in self._notices:
            self.show_notices([*self._notices, notice])

    def dismiss(self) -> None:
        self.show_notices([])
        self.dismissed.emit()


def is_escape_override(event: QEvent) -> bool:
    """Whether `event` asks if a widget takes Esc before the window's shortcuts do (a field
    that closes or clears itself accepts it, and the shortcut around it does not fire)."""
    return (
        event.type() == QEvent.Type.ShortcutOverride
        and isinstance(event, QKeyEvent)
        and event.key() == Qt.Key.Key_Escape
    )
