"""`TokenUsage`: the tokens a model call (or a whole trace) used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None

    def to_dict(self) -> dict[str, int | None]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
        }

    @classmethod
    def from_value(cls, value: Any) -> TokenUsage | None:
        """Build from a decoded `mlflow.chat.tokenUsage` / `mlflow.trace.tokenUsage` value."""
        if not isinstance(value, Mapping):
            return None

        def number(key: str) -> int | None:
            item = value.get(key)
            return int(item) if isinstance(item, int | float) else None

        return cls(number("input_tokens"), number("output_tokens"), number("total_tokens"))
