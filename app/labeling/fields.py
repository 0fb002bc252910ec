"""`FieldRow`: one question of the queue under the conversation, its value and its keys."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from app.labeling.plan import TEXT, key_hints, value_text
from core.store import LabelField

CURRENT_STYLE = (
    "QWidget#labelFieldRow { background: palette(highlight); border-radius: 4px; }"
    " QWidget#labelFieldRow QLabel { color: palette(highlighted-text); }"
)


class FieldRow(QWidget):
    """A field's name, the chosen value (or a text box) and the keys that answer it."""

    def __init__(self, label_field: LabelField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelFieldRow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.field = label_field
        self._value: Any = None
        self.name = QLabel(label_field.name, self)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setStyleSheet("font-weight: 600;")
        self.name.setMinimumWidth(140)
        self.shown = QLabel("—", self)
        self.shown.setObjectName("labelFieldValue")
        self.shown.setTextFormat(Qt.TextFormat.PlainText)
        self.shown.setMinimumWidth(120)
        self.text = QLineEdit(self)
        self.text.setObjectName("labelFieldText")
        self.text.setPlaceholderText("Enter, type, Enter")
        self.text.setVisible(label_field.kind == TEXT)
        self.text.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.shown.setVisible(label_field.kind != TEXT)
        self.hints = QLabel(key_hints(label_field), self)
        self.hints.setTextFormat(Qt.TextFormat.PlainText)
        self.hints.setStyleSheet("color: palette(placeholder-text);")
        self.others = QLabel(self)
        self.others.setObjectName("labelFieldOthers")
        self.others.setTextFormat(Qt.TextFormat.PlainText)
        self.others.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.name)
        layout.addWidget(self.shown)
        layout.addWidget(self.text, 2)
        layout.addWidget(self.others)
        layout.addStretch(1)
        layout.addWidget(self.hints)

    @property
    def value(self) -> Any:
        if self.field.kind == TEXT:
            return self.text.text().strip() or None
        return self._value

    def set_value(self, value: Any) -> None:
        self._value = value
        if self.field.kind == TEXT:
            self.text.setText("" if value is None else str(value))
        self.shown.setText(value_text(self.field, value))

    def choose(self, index: int) -> bool:
        """Key `index + 1`: the field's choice at `index`; False when there is none."""
        choices = self.field.choices()
        if not 0 <= index < len(choices):
            return False
        self.set_value(choices[index])
        return True

    def set_current(self, current: bool) -> None:
        self.setStyleSheet(CURRENT_STYLE if current else "")
        role = "highlighted-text" if current else "placeholder-text"
        self.hints.setStyleSheet(f"color: palette({role});")

    def show_others(self, votes: dict[str, Any] | None) -> None:
        """What the other labellers said (when resolving a disagreement)."""
        if not votes:
            self.others.hide()
            return
        said = ", ".join(f"{who}: {value_text(self.field, v)}" for who, v in votes.items())
        self.others.setText(f"({said})")
        self.others.show()
