"""Dialogs the window shows, none blocking the event loop: errors, About, Go to Trace, Open URL
and the keyboard shortcut list."""

from __future__ import annotations

import html
import platform
from importlib import metadata

import PySide6
import sqlalchemy
from PySide6.QtCore import Qt, Signal, qVersion
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from core.store import Store

APP_NAME = "TraceDesk"


def app_version() -> str:
    try:
        return metadata.version("tracedesk")
    except metadata.PackageNotFoundError:
        return "development"


def show_error(parent: QWidget, title: str, message: str, detail: str = "") -> QMessageBox:
    """Open a warning box with `open()` (window-modal, returns at once) and return it."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("errorBox")
    box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote paths and database content
    if detail:
        box.setInformativeText(detail)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def about_text(store: Store | None) -> str:
    """The About box's rich text; everything that comes from outside is escaped."""
    lines = [
        f"<h3>{APP_NAME} {html.escape(app_version())}</h3>",
        "<p>A fast desktop viewer for MLflow tracking databases: traces, evaluations, "
        "prompts and agents, with no server.</p>",
        f"<p>Qt {html.escape(qVersion())} · PySide6 {html.escape(PySide6.__version__)} · "
        f"Python {html.escape(platform.python_version())} · "
        f"SQLAlchemy {html.escape(sqlalchemy.__version__)}</p>",
    ]
    if store is not None:
        mode = "read-only" if store.read_only else "read-write"
        lines.append(
            f"<p>Open: {html.escape(store.display_name)}<br>"
            f"{html.escape(store.layout.label)}, {mode}</p>"
        )
    return "".join(lines)


def show_about(parent: QWidget, store: Store | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle(f"About {APP_NAME}")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text(store))
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class GoToTraceDialog(QDialog):
    """Ctrl+L: type or paste a trace id; an unknown id is said inline and the dialog stays."""

    trace_requested = Signal(str)  # the id typed, stripped of blanks and quotes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("goToTraceDialog")
        self.setWindowTitle("Go to Trace")
        self.id_edit = QLineEdit(self)
        self.id_edit.setObjectName("goToTraceId")
        self.id_edit.setPlaceholderText("tr-0123456789abcdef0123456789abcdef")
        self.id_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.id_edit.setMinimumWidth(self.id_edit.fontMetrics().horizontalAdvance("x" * 40))
        self.message = QLabel(self)
        self.message.setObjectName("goToTraceMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # it quotes what was typed
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d32f2f;")
        self.message.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Go")
        buttons.accepted.connect(self._request)
        buttons.rejected.connect(self.reject)
        self.id_edit.textEdited.connect(lambda _text: self.message.hide())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Trace ID (from any experiment of this database):", self))
        layout.addWidget(self.id_edit)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    @property
    def trace_id(self) -> str:
        return self.id_edit.text().strip().strip("'\"` ")

    def show_message(self, text: str) -> None:
        """Say what went wrong under the id; the dialog stays open for another try."""
        self.message.setText(text)
        self.message.show()
        self.id_edit.setFocus()
        self.id_edit.selectAll()

    def _request(self) -> None:
        if not self.trace_id:
            self.show_message("Type the id of a trace.")
            return
        self.message.hide()
        self.trace_requested.emit(self.trace_id)


URL_EXAMPLE = "postgresql://user@db.example.com:5432/mlflow"


class OpenUrlDialog(QDialog):
    """File → Open URL…: a tracking database on a server, and its password when it needs one.

    The password stays in memory for this session only (never in settings or logs); left empty,
    libpq's PGPASSWORD or ~/.pgpass are used. The window also opens this dialog, with the URL
    filled in and the server's reason shown, when a server asks for a password.
    """

    url_requested = Signal(str, str)  # the URL as typed, the password ('' for none)

    def __init__(self, parent: QWidget | None = None, url: str = "", message: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("openUrlDialog")
        self.setWindowTitle("Open Database URL")
        self.url_edit = QLineEdit(url, self)
        self.url_edit.setObjectName("openUrlField")
        self.url_edit.setPlaceholderText(URL_EXAMPLE)
        self.url_edit.setMinimumWidth(self.url_edit.fontMetrics().horizontalAdvance("x" * 56))
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("openUrlPassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("optional")
        self.message = QLabel(self)
        self.message.setObjectName("openUrlMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the server's words
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d32f2f;")
        self.message.setVisible(bool(message))
        self.message.setText(message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._request)
        buttons.rejected.connect(self.reject)
        self._lay_out(buttons)
        (self.password_edit if url else self.url_edit).setFocus()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _lay_out(self, buttons: QDialogButtonBox) -> None:
        form = QFormLayout()
        form.addRow("&URL:", self.url_edit)
        form.addRow("&Password:", self.password_edit)
        note = QLabel(
            f"An MLflow tracking database on a server, e.g. {URL_EXAMPLE}\n"
            "The password is kept in memory until TraceDesk quits, never saved. Leave it "
            "empty to use PGPASSWORD or ~/.pgpass.",
            self,
        )
        note.setObjectName("openUrlNote")
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid);")
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    @property
    def url(self) -> str:
        return self.url_edit.text().strip()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _request(self) -> None:
        if "://" not in self.url:
            self.show_message(f"Type a database URL, such as {URL_EXAMPLE}")
            self.url_edit.setFocus()
            return
        self.url_requested.emit(self.url, self.password_edit.text())
        self.accept()


def shortcuts_html(rows: list[tuple[str, str]]) -> str:
    """A two-column table of (keys, what they do); everything escaped."""
    body = "".join(
        f"<tr><td style='padding: 2px 16px 2px 0'><b>{html.escape(keys)}</b></td>"
        f"<td style='padding: 2px 0'>{html.escape(what)}</td></tr>"
        for keys, what in rows
    )
    return f"<table cellspacing='0'>{body}</table>"


def show_shortcuts(parent: QWidget, rows: list[tuple[str, str]]) -> QDialog:
    """Help → Keyboard Shortcuts: a non-blocking list of every key the window knows."""
    dialog = QDialog(parent)
    dialog.setObjectName("shortcutsDialog")
    dialog.setWindowTitle("Keyboard Shortcuts")
    label = QLabel(shortcuts_html(rows), dialog)
    label.setObjectName("shortcutsText")
    label.setTextFormat(Qt.TextFormat.RichText)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(buttons)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
