"""Opening the replay playground for what the explorer asked to replay (the window calls it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.explorer.header import linked_prompts
from app.replay.dialog import ReplayDialog
from app.replay.request import request_from_span, request_from_trace
from app.tasks import TaskRunner
from core.client import Client
from core.entities import Span, Trace


def open_replay(
    parent: QWidget,
    tasks: TaskRunner,
    client: Client | None,
    trace: Trace,
    span: Span | None,
    open_trace: Callable[[str], object],
    written: Callable[[], object],
    open_evaluation: Callable[[str, str], object] | None = None,
) -> ReplayDialog | None:
    """Show a non-modal `ReplayDialog` for `span` (None: the trace through its root's input);
    its "Open Replay Trace" calls `open_trace(id)`, a saved replay calls `written()`, and "Run
    Over Traces…" opens its runs with `open_evaluation(run A, run B)`. None for a trace with no
    spans."""
    if span is not None:
        request = request_from_span(span, trace.info.experiment_id)
    else:
        found = request_from_trace(trace)
        if found is None:
            return None
        request = found
    request = replace(request, prompts=tuple(linked_prompts(trace.info.tags)))
    dialog = ReplayDialog(tasks, request, client, parent, open_evaluation)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.trace_requested.connect(open_trace)
    dialog.replay_written.connect(lambda _source, _replay: written())
    dialog.show()
    return dialog
