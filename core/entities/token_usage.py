"""`TokenUsage`: the tokens a model call (or a whole trace) used.

MLflow hands token usage out as a plain dict (`trace.info.token_usage["total_tokens"]`);
TraceDesk's own code reads it by attribute (`usage.total_tokens`). `TokenUsage` is that dict,
with the three counts also readable as attributes (None when absent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The counts every usage has, in MLflow's order (others, e.g. cache reads, may follow).
USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens")


class TokenUsage(dict[str, Any]):
    """The decoded `mlflow.chat.tokenUsage` / `mlflow.trace.tokenUsage` dict, as MLflow gives it."""

    __slots__ = ()

    def _count(self, key: str) -> int | None:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return int(value)

    @property
    def input_tokens(self) -> int | None:
        return self._count("input_tokens")

    @property
    def output_tokens(self) -> int | None:
        return self._count("output_tokens")

    @property
    def total_tokens(self) -> int | None:
        return self._count("total_tokens")

    def to_dict(self) -> dict[str, int | None]:
        """The three counts (None for a missing one)."""
        return {key: self._count(key) for key in USAGE_KEYS}

    @classmethod
    def from_value(cls, value: Any) -> TokenUsage | None:
        """From a decoded token-usage value; None when it is not a mapping."""
        if not isinstance(value, Mapping):
            return None
        return cls(value)
