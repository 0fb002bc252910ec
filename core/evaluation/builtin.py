"""Built-in scorers that need no model: exact match, contains-expected, length limit.

They compare the output *text*: a string as it is, the assistant's message of a chat-shaped
output (OpenAI `choices`/`messages`, Responses `output`), anything else as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.evaluation.scorer import Scorer
from core.tracing.encode import message_text

#: The expectation key MLflow's built-in scorers compare against.
EXPECTED_RESPONSE = "expected_response"


def output_text(outputs: Any) -> str:
    """The text of an output: the string itself, a chat answer's content, else its JSON."""
    if isinstance(outputs, str):
        return outputs
    answer = message_text(outputs, "assistant")
    if answer is not None:
        return answer
    return json.dumps(outputs, ensure_ascii=False, default=str)


def expected(expectations: Any, key: str, scorer: str) -> Any:
    """`expectations[key]`, or an error that says the row lacks it."""
    if not isinstance(expectations, Mapping) or key not in expectations:
        raise ValueError(f"{scorer} needs expectations[{key!r}], and this row has none.")
    return expectations[key]


class ExactMatch(Scorer):
    """True when the output equals `expectations["expected_response"]`.

    Strings are compared as the output text (see `output_text`); other values as they are.
    """

    parameters = frozenset({"outputs", "expectations"})

    def __init__(self, name: str = "exact_match", key: str = EXPECTED_RESPONSE) -> None:
        super().__init__(name)
        self.key = key

    def __call__(self, **arguments: Any) -> bool:
        want = expected(arguments.get("expectations"), self.key, self.name)
        outputs = arguments.get("outputs")
        if isinstance(want, str):
            return output_text(outputs) == want
        return bool(outputs == want)


class Contains(Scorer):
    """True when the output text contains `expectations["expected_response"]`."""

    parameters = frozenset({"outputs", "expectations"})

    def __init__(
        self, name: str = "contains", key: str = EXPECTED_RESPONSE, case_sensitive: bool = False
    ) -> None:
        super().__init__(name)
        self.key = key
        self.case_sensitive = case_sensitive

    def __call__(self, **arguments: Any) -> bool:
        want = str(expected(arguments.get("expectations"), self.key, self.name))
        text = output_text(arguments.get("outputs"))
        if not self.case_sensitive:
            want, text = want.casefold(), text.casefold()
        return want in text


class MaxLength(Scorer):
    """True when the output text has at most `max_length` characters."""

    parameters = frozenset({"outputs"})

    def __init__(self, max_length: int, name: str = "max_length") -> None:
        if max_length < 0:
            raise ValueError("MaxLength needs a length of 0 or more.")
        super().__init__(name)
        self.max_length = max_length

    def __call__(self, **arguments: Any) -> bool:
        outputs = arguments.get("outputs")
        if outputs is None:
            raise ValueError(f"{self.name} needs an output, and this row has none.")
        return len(output_text(outputs)) <= self.max_length


#: Ready-made instances, for `scorers=[exact_match, contains]`.
exact_match = ExactMatch()
contains = Contains()
