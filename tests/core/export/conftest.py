"""A small database of traces whose names, messages and errors are hostile Markdown/HTML."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import tracking

#: Text that would become a link, an image, raw HTML, a heading and a broken fence if a
#: summary pasted it as Markdown.
HOSTILE = (
    "[click me](https://evil.example/x) ![img](https://evil.example/i.png) "
    "<img src=x onerror=alert(1)> <script>alert(2)</script> ``` ```` `tick` "
    "https://evil.example/bare www.evil.example | a | b |\n# Heading\n---\n* item"
)


@pytest.fixture
def hostile_db(tmp_path: Path) -> Iterator[Path]:
    """One trace: a chain named with hostile text, a chat call saying it, a failing tool."""
    path = tmp_path / "hostile" / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    core.set_experiment("hostile")
    with core.start_span(name=f"agent {HOSTILE}", span_type=core.SpanType.CHAIN) as root:
        root.set_inputs({"question": HOSTILE})
        with core.start_span(name="chat", span_type=core.SpanType.CHAT_MODEL) as chat:
            chat.set_inputs(
                {
                    "messages": [
                        {"role": "system", "content": "Be brief."},
                        {"role": "user", "content": HOSTILE},
                    ]
                }
            )
            chat.set_outputs(
                {"choices": [{"message": {"role": "assistant", "content": "Answer " + HOSTILE}}]}
            )
        with (
            pytest.raises(RuntimeError),
            core.start_span(name="search", span_type=core.SpanType.TOOL),
        ):
            raise RuntimeError(f"tool failed: {HOSTILE}")
        root.set_outputs("done")
    core.flush_trace_async_logging()
    yield path
    tracking.reset()
