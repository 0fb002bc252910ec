"""`ReplayParams`: the replay's model (from the Ollama server's list) and its temperature, max
tokens and seed, each of which may be left to the model's default."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

#: Each field's lowest value stands for "not set" (the model's own default).
UNSET_TEMPERATURE = -0.1
SEED_MAX = 2**31 - 1
TOKENS_MAX = 1_000_000


class ReplayParams(QWidget):
    """Model [List Models] · Temperature · Max tokens · Seed, in one row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QComboBox(self)
        self.model.setObjectName("replayModel")
        self.model.setEditable(True)
        self.model.setMinimumContentsLength(18)
        self.model.setToolTip("The Ollama model to send the messages to (any name it has pulled)")
        self.list_button = QPushButton("&List Models", self)
        self.list_button.setAutoDefault(False)
        self.list_button.setToolTip("Ask Ollama which models it has")
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setObjectName("replayTemperature")
        self.temperature.setRange(UNSET_TEMPERATURE, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setSpecialValueText("default")
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setObjectName("replayMaxTokens")
        self.max_tokens.setRange(0, TOKENS_MAX)
        self.max_tokens.setSpecialValueText("default")
        self.max_tokens.setToolTip("Ollama's num_predict: the most tokens the answer may have")
        self.seed = QSpinBox(self)
        self.seed.setObjectName("replaySeed")
        self.seed.setRange(-1, SEED_MAX)
        self.seed.setSpecialValueText("random")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        for text, field in (
            ("&Model", self.model),
            (None, self.list_button),
            ("&Temperature", self.temperature),
            ("Max to&kens", self.max_tokens),
            ("S&eed", self.seed),
        ):
            if text is not None:
                label = QLabel(text, self)
                label.setBuddy(field)
                row.addWidget(label)
            row.addWidget(field)
        row.addStretch(1)
        self.set_values(None, None, None)

    def set_values(
        self, temperature: float | None, max_tokens: int | None, seed: int | None
    ) -> None:
        self.temperature.setValue(UNSET_TEMPERATURE if temperature is None else temperature)
        self.max_tokens.setValue(max_tokens or 0)
        self.seed.setValue(-1 if seed is None else min(seed, SEED_MAX))

    def set_models(self, names: list[str], wanted: str) -> None:
        """The server's models; `wanted` (the recorded model) stays chosen when it is there."""
        current = wanted or self.model.currentText()
        self.model.clear()
        self.model.addItems(names)
        self.model.setCurrentText(current if current in names or not names else names[0])

    def chosen_temperature(self) -> float | None:
        value = self.temperature.value()
        return None if value <= UNSET_TEMPERATURE else value

    def chosen_max_tokens(self) -> int | None:
        return self.max_tokens.value() or None

    def chosen_seed(self) -> int | None:
        value = self.seed.value()
        return None if value < 0 else value
