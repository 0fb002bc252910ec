"""Opening "Run Over Traces…" for the playground's edit (the playground calls it)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.replay.batch import PromptEdit
from app.replay.batch_dialog import BatchReplayDialog
from app.replay.request import ReplayRequest
from app.replay.run import ReplayRun
from app.tasks import TaskRunner
from core.client import Client


def open_batch_replay(
    parent: QWidget,
    tasks: TaskRunner,
    client: Client | None,
    request: ReplayRequest,
    edited: ReplayRun,
    open_evaluation: Callable[[str, str], object],
    prompt: PromptEdit | None = None,
) -> BatchReplayDialog:
    """Show a non-modal `BatchReplayDialog` for `edited` (the playground's `replay_run()`) of
    `request` (its recorded call); "Open in Evaluations" calls `open_evaluation(recorded run id,
    edited run id)`, which shows the two runs compared. `prompt`: the template edit, filled in
    each target with its own values."""
    dialog = BatchReplayDialog(tasks, client, request, edited, parent, prompt)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open_requested.connect(open_evaluation)
    dialog.show()
    return dialog
