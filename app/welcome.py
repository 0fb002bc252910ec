"""What the window shows when no database is open: how to open one, or which one is opening
(so a file given on the command line never flashes "open a database" first)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.formatting import home_path

TITLE = "Open an MLflow tracking database"
HINT = (
    "Open the SQLite file MLflow writes (often <b>mlflow.db</b>) with File&nbsp;→&nbsp;Open… "
    "(Ctrl+O), or drop it on this window. TraceDesk reads it directly: no MLflow server needed."
)


class WelcomePage(QWidget):
    """A centred title, a hint and an Open button; `open_requested` when the button is clicked."""

    open_requested = Signal()

    def __init__(self, icon: QIcon, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        logo = QLabel(self)
        logo.setPixmap(icon.pixmap(72, 72))
        logo.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        title = QLabel(TITLE, self)
        title.setObjectName("welcomeTitle")
        title.setTextFormat(Qt.TextFormat.PlainText)  # an opening path is shown in it
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        hint = QLabel(HINT, self)
        hint.setObjectName("welcomeHint")
        hint.setTextFormat(Qt.TextFormat.RichText)  # fixed text, nothing from a database
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        hint.setFixedWidth(hint.fontMetrics().averageCharWidth() * 64)
        # A centred item gets its size hint, which ignores wrapping: ask for the wrapped height.
        hint.setMinimumHeight(hint.heightForWidth(hint.width()))
        button = QPushButton("Open Database…", self)
        button.setObjectName("welcomeOpen")
        button.clicked.connect(self.open_requested)
        self.title, self.hint, self.button = title, hint, button
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addSpacing(8)
        layout.addWidget(title)
        layout.addWidget(hint, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(12)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_opening(self, where: str | None) -> None:
        """Say that `where` is being opened (the hint and button wait); None: the invitation."""
        self.title.setText(TITLE if where is None else f"Opening {home_path(where)}…")
        self.hint.setVisible(where is None)
        self.button.setVisible(where is None)
