"""`RerunFlow` on its own: a task runner, the strip and editing bar it drives, a client, and
the plan the Rerun dialog gives back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app import settings
from app.evaluations.bars import EditingBar, RerunStrip
from app.evaluations.rerun import RerunPlan
from app.evaluations.rerun_flow import READ_ONLY, RerunFlow
from app.ollama import OllamaUnavailable
from app.tasks import TaskRunner
from core.client import Client
from core.store.store import Store
from tests.app.evaluations.conftest import FIXTURE_EXPERIMENT, SOME_CHECK_RUN
from tests.app.helpers import WAIT_MS
from tests.ollama_server import OllamaStandIn


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def test_a_read_only_store_asks_for_editing_then_the_dialog_gives_a_plan(
    qtbot: QtBot, runner: TaskRunner, db318: Path, ollama_server: OllamaStandIn
) -> None:
    settings.set_ollama(ollama_server.url + "/", "llama3.2:1b")
    owner = QWidget()
    qtbot.addWidget(owner)
    strip, bar = RerunStrip(owner), EditingBar(owner)
    flow = RerunFlow(runner, strip, bar, owner)
    said: list[str] = []
    flow.message.connect(said.append)
    stores = [Store.open(db318), Store.open(db318, read_only=False)]
    clients = [Client(store=store) for store in stores]
    try:
        flow.set_client(clients[0])
        source = stores[0].evaluations.run(SOME_CHECK_RUN)
        flow.request(source)
        assert not bar.isHidden() and bar.label.text() == READ_ONLY and flow.dialog is None
        stores[1].prompt_registry.register_version("qa", "{{ question }}", commit_message="test")
        flow.set_client(clients[1])  # the same file, reopened for writing: the rerun goes on
        qtbot.waitUntil(lambda: flow.dialog is not None, timeout=WAIT_MS)
        assert said == [f"Rebuilding the dataset of {source.name}…"]
        dialog = flow.dialog
        assert dialog is not None
        dialog.prompt_box.setCurrentIndex(dialog.prompt_box.findText("qa v1 (text)"))
        dialog.name_edit.setText("  again  ")
        plan = dialog.plan(clients[1])
        assert isinstance(plan, RerunPlan)
        assert plan.client is clients[1] and plan.source == source
        assert plan.experiment_id == FIXTURE_EXPERIMENT and len(plan.dataset.items) == 3
        assert plan.ollama_url == ollama_server.url and plan.model == "llama3.2:1b"
        assert plan.run_name == "again" and plan.prompt.name == "qa"
        dialog.url_edit.setText("localhost:11434")
        with pytest.raises(OllamaUnavailable, match="is not an Ollama URL"):
            dialog.plan(clients[1])
        dialog.reject()
        assert not flow.running and strip.isHidden()
    finally:
        for client, store in zip(clients, stores, strict=True):
            client.close()
            store.close()
