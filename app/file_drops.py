"""`FileDrops`: a file or folder dropped on a widget asks to be opened (`file_dropped`), and
a trace file (`.json`, `.jsonl`: MLflow trace JSON or OTLP JSON) asks to be imported
(`traces_dropped`, issue 21).

An event filter, so the window needs no drag-and-drop handlers of its own: it accepts a drag
that carries a local file or folder and reports the first one dropped; anything else (text,
web links) is refused, so the cursor shows it would not open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QWidget

#: Files that hold traces to import rather than a database to open.
TRACE_FILE_SUFFIXES = (".json", ".jsonl")


class FileDrops(QObject):
    """Watches `widget` (which it makes accept drops) for dropped local files."""

    file_dropped = Signal(str)
    traces_dropped = Signal(str)  # a .json or .jsonl file: traces to import

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # QObject.eventFilter
        if isinstance(event, QDragEnterEvent | QDropEvent):
            path = dropped_file(event)
            if path is None:
                event.ignore()
                return True
            event.acceptProposedAction()
            if isinstance(event, QDropEvent) and event.type() == QEvent.Type.Drop:
                is_traces = Path(path).suffix.lower() in TRACE_FILE_SUFFIXES
                (self.traces_dropped if is_traces else self.file_dropped).emit(path)
            return True
        return super().eventFilter(watched, event)


def dropped_file(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The first local file or folder being dragged or dropped, if any."""
    mime = event.mimeData()
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            return url.toLocalFile()
    return None
