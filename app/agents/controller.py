"""`AgentController`: Load → "Run this code?" → start → chat turns → stop, between the session
(the child process) and the widgets that show it (runner bar, chat, log).

Every reaction here runs on the GUI thread: the session delivers the runner's callbacks and
results as queued signals. The controller never waits for the child.

A replay (issue 18) shows a recorded conversation and asks its last message again: the turn
waits in the chat while the version loads (or restarts, or finishes an answer) and is sent as
soon as the agent is ready; if the agent does not come up, the turn says why it was not sent.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from app import settings
from app.agents import outcomes
from app.agents.chat import ChatPane
from app.agents.conversation import AgentConversation, Turn
from app.agents.data import AgentVersion, mlflow_requirement
from app.agents.dialogs import RunCodeDialog, approve, is_approved
from app.agents.logpane import AgentLogPane
from app.agents.recorded import RecordedTurn
from app.agents.runbar import TRACES_WRITTEN, RunnerBar
from app.agents.session import (
    BUSY,
    CRASHED,
    FAILED,
    READY,
    STARTING,
    STOPPED,
    STOPPING,
    AgentSession,
    Prepared,
)
from app.tasks import TaskRunner
from core.agents import AgentCallError, AgentResult
from core.store import Store

STATE_TEXT = {
    "idle": "Not running. Choose a version and Load it.",
    "preparing": "Reading the model…",
    "starting": "Starting the agent process…",
    "busy": "The agent is answering…",
    "stopping": "Stopping the agent process…",
    "stopped": "Stopped. Load starts it again.",
    "crashed": "The agent process is not running.",
    "failed": "Not running.",
}
#: Why a replayed message was not sent, by the state the agent ended in (issue 18).
NOT_SENT = {
    FAILED: "Not sent: the agent could not be loaded (the problem is shown above).",
    CRASHED: "Not sent: the agent process stopped.",
    STOPPED: "Not sent: the agent was stopped.",
}


class AgentController(QObject):
    """Runs the selected version's agent for the page (see the module docstring)."""

    trace_requested = Signal(str)
    status_message = Signal(str)
    run_dialog_opened = Signal(object)  # the RunCodeDialog asking before a first run

    def __init__(
        self, tasks: TaskRunner, bar: RunnerBar, chat: ChatPane, log: AgentLogPane, owner: QWidget
    ) -> None:
        super().__init__(owner)
        self.session = AgentSession(tasks, self)
        self.bar, self.chat, self.log, self._owner = bar, chat, log, owner
        self.store: Store | None = None
        self.row: AgentVersion | None = None  # the version loaded (or being loaded)
        self.load_info: dict[str, Any] | None = None
        self.tracing = True
        self._replay_turn: Turn | None = None  # a replayed message waiting for the agent
        self.show_settings()
        self._connect()
        self._show_state(self.session.state)

    def show_settings(self) -> None:
        """The interpreter and timeout from the settings, in the bar (the next Load uses them)."""
        self.bar.set_python(settings.agents_python())
        self.bar.set_timeout(settings.agents_timeout_s())

    def _connect(self) -> None:
        s = self.session
        s.state_changed.connect(self._show_state)
        s.state_changed.connect(self._replay_state)
        s.prepared.connect(self._ask_to_run)
        s.prepare_failed.connect(lambda text: self.bar.show_problem(text, can_restart=False))
        s.prepare_failed.connect(lambda text: self._replay_not_sent(f"Not sent. {text}"))
        s.loaded.connect(self._on_loaded)
        s.load_failed.connect(self._on_load_failed)
        s.stderr_line.connect(self.log.add_line)
        s.log_line.connect(self.log.add_note)
        s.event_received.connect(self._on_event)
        s.answered.connect(self._on_answered)
        s.call_failed.connect(self._on_call_failed)
        s.stopped.connect(self._on_stopped)
        self.bar.restart_requested.connect(self.restart)
        self.bar.interpreter_requested.connect(self.choose_interpreter)
        self.bar.timeout_changed.connect(self.set_timeout)
        self.bar.tracing_toggled.connect(self._set_tracing)
        self.chat.send_requested.connect(self.send)
        self.chat.stop_requested.connect(self.stop)
        self.chat.new_conversation_requested.connect(self.new_conversation)
        self.chat.trace_requested.connect(self.trace_requested)

    def set_store(self, store: Store) -> None:
        """The open database (the same file may come back reopened for writing)."""
        self.store = store
        self._show_traces_note()

    # -- loading ------------------------------------------------------------------------------

    def load(self, store: Store, row: AgentVersion) -> None:
        """Prepare `row`'s runner; the first run of its code asks the user first."""
        problem = row.load_summary
        if problem is not None:
            self.bar.show_problem(
                f"Version {row.number} cannot be loaded. {problem}", can_restart=False
            )
            return
        self.bar.hide_problem()
        self.store, self.row, self.load_info = store, row, None
        location = store.location
        uri = (
            str(location.path)
            if location.path is not None
            else location.url.render_as_string(hide_password=False)
        )
        self.session.prepare(
            uri,
            row.version.uri,
            settings.agents_python(),
            settings.agents_timeout_s(),
            trace=self.tracing,
        )

    def _ask_to_run(self, prepared: Prepared) -> None:
        if is_approved(prepared.approval_key):
            self.session.start()
            return
        dialog = RunCodeDialog(prepared, prepared.runner.python, self._owner)
        dialog.accepted.connect(lambda: self._approved(prepared))
        dialog.rejected.connect(lambda: self._declined(prepared))
        dialog.open()
        self.run_dialog_opened.emit(dialog)

    def _approved(self, prepared: Prepared) -> None:
        if prepared is not self.session.current:
            return  # another version was chosen while the question was open
        code = prepared.code
        if code is not None and code.sha256:
            approve(prepared.approval_key, str(code.path))
        self.session.start()

    def _declined(self, prepared: Prepared) -> None:
        if prepared is self.session.current:
            self.session.discard()
            self.bar.set_status("Not loaded: you chose not to run its code.")
            self._replay_not_sent("Not sent: you chose not to run the agent's code.")

    def restart(self) -> None:
        """Start the same version again (after a crash, a hang, a failed load, or Stop)."""
        runner = self.session.runner
        if runner is None:
            return
        runner.python = settings.agents_python()  # a newly chosen interpreter applies now
        runner.timeout_s = settings.agents_timeout_s()
        self.bar.hide_problem()
        self.session.start()

    def _on_loaded(self, info: dict[str, Any]) -> None:
        self.load_info = info
        self.bar.set_status(outcomes.ready_status(info))
        self._show_traces_note()
        self.chat.input.setFocus()

    def _on_load_failed(self, error: BaseException) -> None:
        if self.session.stop_requested:
            return
        facts = self.row.mlmodel if self.row is not None else None
        python = self.session.runner.python if self.session.runner else settings.agents_python()
        self.bar.show_problem(outcomes.load_failure(error, python, mlflow_requirement(facts)))

    # -- chatting -----------------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Send `text` with the conversation so far (Ctrl+Enter)."""
        if self.session.state != READY:
            self.status_message.emit(
                "The agent is still answering; Esc stops it."
                if self.session.state == BUSY
                else "Load the agent first; it answers once it is ready."
            )
            return
        conversation = self.chat.conversation
        if conversation.current is not None:  # a replayed message about to go out
            self.status_message.emit("The replayed message is about to be sent; wait for it.")
            return
        conversation.ask(text)
        self._ask(conversation)
        self.chat.accept_sent()

    def _ask(self, conversation: AgentConversation) -> None:
        """Send the conversation's current turn with every turn before it."""
        prepared = self.session.current
        stream = bool(prepared and prepared.code and prepared.code.streams)
        self.session.send(conversation.request(settings.agents_user_id()), stream=stream)
        self.chat.redraw()

    def _answering(self) -> bool:
        """Whether what arrives belongs to the turn shown: not to a replayed message still
        waiting to be sent (the answer is one to a conversation left)."""
        current = self.chat.conversation.current
        return current is not None and current is not self._replay_turn

    def _on_event(self, event: dict[str, Any]) -> None:
        if (
            self.session.state == BUSY
            and self._answering()
            and self.chat.conversation.apply_event(event)
        ):
            self.chat.schedule_render()

    def _on_answered(self, result: AgentResult) -> None:
        if not self._answering():
            return
        self.chat.conversation.answered(result.response, result.trace_id, result.duration_s)
        self.chat.redraw()
        if result.trace_id:
            self.status_message.emit(f"The answer's trace is {result.trace_id}.")

    def _on_call_failed(self, error: BaseException) -> None:
        stopped = self.session.stop_requested
        message = "" if stopped else outcomes.turn_failure(error)
        conversation = self.chat.conversation
        if self._answering():
            conversation.failed(message, trace_id=getattr(error, "trace_id", None), stopped=stopped)
            if conversation.turns:
                conversation.turns[-1].detail = outcomes.call_detail(error)
            self.chat.redraw()
        if not stopped and not isinstance(error, AgentCallError):
            self.bar.show_problem(outcomes.call_failure(error))

    def new_conversation(self) -> None:
        """Ctrl+N: a new conversation id; an answer still coming is dropped."""
        self._replay_turn = None
        self.chat.new_conversation()
        self.chat.input.setFocus()

    # -- replaying a recorded turn (issue 18) -------------------------------------------------

    def replay(self, store: Store, row: AgentVersion, recorded: RecordedTurn) -> None:
        """Show `recorded`'s conversation and send its last message once `row`'s agent is
        ready: loaded first unless it is the version running, restarted if it stopped."""
        self.chat.new_conversation(recorded)
        self._replay_turn = self.chat.conversation.current
        problem = row.load_summary
        if problem is not None:
            self.load(store, row)  # shows the problem in the bar
            self._replay_not_sent(f"Not sent: version {row.number} cannot be loaded. {problem}")
            return
        current = self.row
        if current is None or current.version.uri != row.version.uri or not self.session.current:
            self.load(store, row)
            return
        self.row = row
        state = self.session.state
        if state == READY:
            self._send_replay()
        elif state in NOT_SENT:
            self.restart()
        # else it is starting, or finishing an answer: `_replay_state` sends it once ready

    def replay_failed(self, recorded: RecordedTurn, message: str) -> None:
        """`recorded` cannot be replayed (its version is gone): shown, and why, not sent."""
        self.chat.new_conversation(recorded)
        self._replay_turn = self.chat.conversation.current
        self._replay_not_sent(message)
        self.bar.show_problem(message.removeprefix("Not sent: "), can_restart=False)

    def _replay_state(self, state: str) -> None:
        if self._replay_turn is None:
            return
        if state == READY:  # after the signal's other slots (the ready status)
            QTimer.singleShot(0, self, self._send_replay)
        elif state in NOT_SENT:
            self._replay_not_sent(NOT_SENT[state])

    def _send_replay(self) -> None:
        turn, conversation = self._replay_turn, self.chat.conversation
        if turn is None or conversation.current is not turn:
            self._replay_turn = None  # another conversation was started meanwhile
            return
        if self.session.state == READY:
            self._replay_turn = None
            self._ask(conversation)

    def _replay_not_sent(self, message: str) -> None:
        """The replayed message waiting for the agent ends with `message`."""
        turn, self._replay_turn = self._replay_turn, None
        if turn is not None and self.chat.conversation.current is turn:
            self.chat.conversation.failed(message)
            self.chat.redraw()

    # -- stopping -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Esc / Stop: end the child (a running answer ends as Stopped)."""
        if self.session.state in (STARTING, BUSY, READY):
            self.session.stop()

    def _on_stopped(self, code: int | None) -> None:
        exit_text = f" (exit code {code})" if code is not None else ""
        self.bar.set_status(f"Stopped{exit_text}. Load or Restart starts it again.")

    def discard(self, why: str = "") -> None:
        """Forget the running agent (another version or database); its child is stopped."""
        had_runner = self.session.runner is not None
        self.session.discard()
        self.row, self.load_info = None, None
        self.bar.hide_problem()
        if had_runner and why:
            self.bar.set_status(why)
        self._show_traces_note()

    def shutdown(self) -> None:
        """Stop every child now and draw nothing more (the window or database closes)."""
        self.session.shutdown()
        self.chat.shutdown()

    # -- settings -----------------------------------------------------------------------------

    def choose_interpreter(self) -> QFileDialog:
        dialog = QFileDialog(self._owner, "Choose the Python Interpreter for Agents")
        dialog.setObjectName("interpreterDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.selectFile(settings.agents_python())
        dialog.fileSelected.connect(self.set_interpreter)
        dialog.open()
        return dialog

    def set_interpreter(self, python: str) -> None:
        settings.set_agents_python(python)
        self.bar.set_python(settings.agents_python())
        if self.session.state in (READY, BUSY):
            self.status_message.emit("The new interpreter applies when the agent restarts.")

    def set_timeout(self, seconds: float) -> None:
        settings.set_agents_timeout_s(seconds)
        runner = self.session.runner
        if runner is not None:
            runner.timeout_s = seconds  # read by the next call

    def _set_tracing(self, enabled: bool) -> None:
        self.tracing = enabled
        self.status_message.emit("Applies the next time the agent is loaded.")

    def _show_state(self, state: str) -> None:
        if state != READY or self.load_info is None:
            self.bar.set_status(STATE_TEXT.get(state, state))
        elif self.load_info is not None:
            self.bar.set_status(outcomes.ready_status(self.load_info))
        self.chat.set_ready(state == READY, state in (STARTING, BUSY, READY))
        self.bar.load_button.setEnabled(state not in (STARTING, BUSY, STOPPING))

    def _show_traces_note(self) -> None:
        layout = self.store.layout if self.store is not None else None
        self.bar.set_traces_note(outcomes.traces_note(layout, self.load_info, TRACES_WRITTEN))
