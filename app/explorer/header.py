"""`TraceHeader`: the facts MLflow's trace header shows — id (click to copy), name, state,
start, duration, tokens, session, user — then assessments and, folded, tags and metadata
(click one to filter the trace list by it).

Every text from the database goes into plain-text labels; tooltips are escaped rich text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from app.explorer.assessments import AssessmentList
from app.explorer.flow import FlowLayout
from app.formatting import EMPTY, duration, local_time, local_time_detail, one_line, rich_tooltip
from app.spans.colors import span_duration_text
from app.spans.filter_bar import no_mnemonic
from app.widgets import ElidedLabel
from core.entities import TraceInfo
from core.mlflow_keys import COST_METADATA, TOKEN_USAGE_METADATA
from core.safe_text import isolated
from resources import resource_path

STATE_COLORS = {"OK": "#15803d", "ERROR": "#dc2626", "IN_PROGRESS": "#b45309"}
STATE_LABELS = {"OK": "OK", "ERROR": "Error", "IN_PROGRESS": "In progress"}
USER_KEYS = ("mlflow.trace.user", "mlflow.user")
CHIP_CHARS = 48
NAME_CHARS = 200  # of a trace name in the title (the tooltip has it all)
COPIED_FEEDBACK_MS = 1500
#: Metadata the filter language compares only with IS NULL (MLflow ≥ 3.2 splits it into
#: columns): its chips do not filter.
UNFILTERABLE_METADATA = frozenset({TOKEN_USAGE_METADATA, COST_METADATA})
FILTER_HINT = "Click (or Tab to it and press Enter) to filter the trace list by this value."


def plain_label(parent: QWidget, name: str = "", text: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)  # database text is never rich text
    if name:
        label.setObjectName(name)
    return label


def chip(parent: QWidget, name: str, key: str, value: str) -> QLabel:
    """A compact `key: value` chip; the full key and value are in the tooltip."""
    label = plain_label(parent, name, one_line(f"{key}: {value}", CHIP_CHARS))
    label.setToolTip(rich_tooltip(f"{key}\n\n{value}"))
    return label


class FilterChip(QLabel):
    """A `key: value` chip that asks to filter the trace list by its value when clicked, or
    with Enter or Space once Tab reached it."""

    clicked = Signal()

    def __init__(self, parent: QWidget, name: str, key: str, value: str) -> None:
        super().__init__(one_line(f"{key}: {value}", CHIP_CHARS), parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # database text is never rich text
        self.setObjectName(name)
        self.setToolTip(rich_tooltip(f"{key}\n\n{value}\n\n{FILTER_HINT}"))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Filter by {key}: {value}")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # QLabel.keyPressEvent
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # QLabel.mouseReleaseEvent
        inside = self.rect().contains(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and inside:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class Section(QWidget):
    """A titled, collapsible part of the header."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("headerSection")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self.set_open)
        self.body = body
        self._title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(body)
        self.set_open(False)

    def set_count(self, count: int) -> None:
        self.toggle.setText(f"{self._title} ({count})")
        self.setVisible(count > 0)

    def set_open(self, open_: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(open_)
        self.toggle.blockSignals(False)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)


# -- prompt links (issue 5): the prompt versions a trace used, each opening the Prompts page ---

LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
PROMPT_LINK_STYLE = (
    "QToolButton { color: palette(link); border: none; padding: 0 3px; }"
    "QToolButton:hover { text-decoration: underline; }"
)


def linked_prompts(tags: Mapping[str, str]) -> list[tuple[str, int]]:
    """(name, version) of each entry of the `mlflow.linkedPrompts` tag; malformed ones skipped."""
    try:
        entries = json.loads(tags.get(LINKED_PROMPTS_TAG) or "[]")
    except ValueError:
        return []
    found: list[tuple[str, int]] = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            found.append((str(entry["name"]), int(entry["version"])))
        except (KeyError, TypeError, ValueError):
            continue
    return found


class PromptLinks(QWidget):
    """ "Prompts" and a link per prompt version the trace used; hidden when there is none."""

    prompt_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptLinks")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(plain_label(self, "promptLinksLabel", "Prompts:"))
        self._layout.addStretch(1)
        self.links: list[QToolButton] = []

    def show_links(self, tags: Mapping[str, str]) -> None:
        for button in self.links:
            button.deleteLater()
        self.links = []
        for name, version in linked_prompts(tags):
            button = QToolButton(self)
            button.setObjectName("promptLink")
            button.setText(no_mnemonic(f"{isolated(name)} v{version}"))
            button.setStyleSheet(PROMPT_LINK_STYLE)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(rich_tooltip(f"Open prompts:/{name}/{version} in the Prompts page"))
            button.clicked.connect(
                lambda _c=False, n=name, v=version: self.prompt_requested.emit(n, v)
            )
            self._layout.insertWidget(len(self.links) + 1, button)
            self.links.append(button)
        self.setVisible(bool(self.links))


# -- end of prompt links --------------------------------------------------------------------------


class TraceHeader(QWidget):
    """Summary of the trace shown in the explorer."""

    id_copied = Signal(str)
    prompt_requested = Signal(str, int)  # a prompt version the trace used was clicked
    value_clicked = Signal(str, str, str)  # ("tag" or "metadata", key, value): filter by it
    replay_requested = Signal()  # issue 18: "Replay…" the trace through its root's input
    replays_requested = Signal(str)  # issue 18: "Replays (n)" clicked: list them (trace id)
    agent_replay_requested = Signal()  # issue 18: "Replay in Agent" (the trace's agent turn)
    compare_requested = Signal()  # issue 19: "Compare With…" the shown trace
    labels_requested = Signal()  # issue 22: "Labels…": add, edit, delete assessments

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceHeader")
        self._info: TraceInfo | None = None
        self.name = ElidedLabel("", Qt.TextElideMode.ElideRight, self)
        self.name.setObjectName("traceName")
        self.state = plain_label(self, "traceState")
        self.trace_id = self._id_button()
        self.facts = plain_label(self, "traceFacts")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompts = PromptLinks(self)  # issue 5: prompt links
        self.prompts.prompt_requested.connect(self.prompt_requested)
        self.replay, self.replays = self._replay_buttons()  # issue 18
        self.more, self.agent_replay, self.compare = self._more_button()  # issues 18, 19
        self.labels = self._labels_button()  # issue 22
        self._feedback = QTimer(self)
        self._feedback.setSingleShot(True)
        self._feedback.setInterval(COPIED_FEEDBACK_MS)
        self._feedback.timeout.connect(self._restore_id_text)
        self.assessments = AssessmentList(self)
        self.assessment_section = Section("Assessments", self.assessments, self)
        chips = QWidget(self)
        self.chips = FlowLayout(chips)
        self.tags_section = Section("Tags and metadata", chips, self)
        self._lay_out()
        self.show_info(None)

    def _id_button(self) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName("traceIdButton")
        button.setAutoRaise(True)
        button.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        button.setIcon(QIcon(str(resource_path("icons/copy.svg"))))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setLayoutDirection(Qt.LayoutDirection.RightToLeft)  # the icon after the id
        button.clicked.connect(self.copy_id)
        return button

    def _replay_buttons(self) -> tuple[QToolButton, QToolButton]:
        """Issue 18: "Replay…" (the trace's root input) and "Replays (n)" (hidden at 0)."""
        replay = QToolButton(self)
        replay.setObjectName("replayTrace")
        replay.setText("Replay…")
        replay.setAutoRaise(True)
        replay.setToolTip("Rerun the trace's model call, edited, against an Ollama model (Ctrl+R)")
        replay.clicked.connect(self.replay_requested)
        replays = QToolButton(self)
        replays.setObjectName("replaysLink")
        replays.setStyleSheet(PROMPT_LINK_STYLE)
        replays.setCursor(Qt.CursorShape.PointingHandCursor)
        replays.setToolTip("List this trace's replays (filter: trace.replay_of)")
        replays.clicked.connect(
            lambda: self.replays_requested.emit(self._info.trace_id if self._info else "")
        )
        replays.hide()
        return replay, replays

    def _labels_button(self) -> QToolButton:
        """Issue 22: "Labels…", the trace's feedback and expectations to add, edit, delete."""
        button = QToolButton(self)
        button.setObjectName("labelTrace")
        button.setText("&Labels…")
        button.setAutoRaise(True)
        button.setToolTip("Add, edit or delete feedback and expectations (Ctrl+Shift+A)")
        button.clicked.connect(self.labels_requested)
        return button

    def _more_button(self) -> tuple[QToolButton, QAction, QAction]:
        """Issue 18 and 19: "⋯", the trace's other actions ("Replay in Agent" for a trace that
        names its agent, "Compare With…"): one narrow button, the trace name keeps the row."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)  # a disabled entry says why
        agent = menu.addAction("Replay in A&gent\tCtrl+Shift+R")
        agent.setObjectName("replayInAgent")
        agent.triggered.connect(self.agent_replay_requested)
        agent.setVisible(False)
        compare = menu.addAction("Compare &With…\tCtrl+Shift+D")
        compare.setObjectName("compareWith")
        compare.setToolTip("Compare this trace and another, span by span")
        compare.triggered.connect(self.compare_requested)
        button = QToolButton(self)
        button.setObjectName("moreTraceActions")
        button.setText("⋯")
        button.setAccessibleName("More trace actions")
        button.setToolTip("Replay in Agent, Compare With…")
        button.setAutoRaise(True)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(menu)
        return button, agent, compare

    def show_agent(self, named: bool, enabled: bool, tip: str) -> None:
        """Issue 18: whether the trace names an agent, whether it can be replayed, and why."""
        self.agent_replay.setVisible(named and self._info is not None)
        self.agent_replay.setEnabled(enabled)
        self.agent_replay.setToolTip(tip)
        self._restore_id_text()

    def show_replay_count(self, count: int) -> None:
        """Issue 18: how many replays of the shown trace the database holds."""
        self.replays.setText(f"Replays ({count:,})")
        self.replays.setVisible(count > 0 and self._info is not None)
        self._restore_id_text()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.name, 1)
        top.addWidget(self.replay)
        top.addWidget(self.labels)  # issue 22
        top.addWidget(self.more)  # issues 18, 19
        top.addWidget(self.state)
        top.addWidget(self.trace_id)
        # What the trace relates to, below the facts: the prompt versions it used and its
        # replays (the top row is the trace name's).
        related = QHBoxLayout()
        related.setContentsMargins(0, 0, 0, 0)
        related.addWidget(self.prompts)  # issue 5: prompt links
        related.addWidget(self.replays)  # issue 18
        related.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.facts)
        layout.addLayout(related)
        layout.addWidget(self.assessment_section)
        layout.addWidget(self.tags_section)

    @property
    def info(self) -> TraceInfo | None:
        return self._info

    def show_info(
        self,
        info: TraceInfo | None,
        span_count: int | None = None,
        duration_ns: int | None = None,
    ) -> None:
        """Show `info`; `duration_ns` (from the spans) is more precise than the stored ms."""
        self._info = info
        self._feedback.stop()
        for widget in (self.name, self.state, self.trace_id, self.facts, self.replay, self.labels):
            widget.setVisible(info is not None)
        self.more.setVisible(info is not None)  # issues 18, 19
        self.replays.hide()  # issue 18: until the count of the new trace's replays comes
        self.agent_replay.setVisible(False)  # issue 18: until the explorer knows its agent
        self.prompts.show_links(info.tags if info is not None else {})  # issue 5: prompt links
        if info is None:
            self.assessment_section.set_count(0)
            self.tags_section.set_count(0)
            return
        self.name.setText(one_line(info.name, NAME_CHARS) or "(unnamed trace)")
        self.name.setToolTip(rich_tooltip(info.name))
        self._show_state(info.state)
        self._restore_id_text()
        self.trace_id.setToolTip(rich_tooltip(f"{info.trace_id}\n\nClick to copy the trace id."))
        self.facts.setText(" · ".join(self.fact_parts(info, span_count, duration_ns)))
        self.facts.setToolTip(rich_tooltip(f"Started {local_time_detail(info.request_time)}"))
        self.assessments.show_assessments(info.assessments)
        self.assessment_section.set_count(len(info.assessments))
        self.assessment_section.set_open(bool(info.assessments))
        self._show_chips(info.tags, info.trace_metadata)

    def _show_state(self, state: str) -> None:
        self.state.setText(STATE_LABELS.get(state, state))
        color = STATE_COLORS.get(state, "#64748b")
        self.state.setStyleSheet(
            f"background:{color}; color:white; border-radius:3px; padding:1px 7px;font-weight:600;"
        )

    @staticmethod
    def fact_parts(
        info: TraceInfo, span_count: int | None = None, duration_ns: int | None = None
    ) -> list[str]:
        parts = [f"Started {local_time(info.request_time)}"]
        if duration_ns is not None and info.state != "IN_PROGRESS":
            parts.append(f"Duration {span_duration_text(duration_ns)}")
        else:
            parts.append(f"Duration {duration(info.execution_duration)}")
        usage = info.token_usage
        if usage is not None:
            parts.append(
                f"Tokens {_number(usage.input_tokens)} in · {_number(usage.output_tokens)} out"
                f" · {_number(usage.total_tokens)} total"
            )
        if info.session_id:
            parts.append(f"Session {one_line(info.session_id)}")
        user = next((info.trace_metadata[k] for k in USER_KEYS if info.trace_metadata.get(k)), None)
        if user:  # isolated: a right-to-left name must not reorder the line around it
            parts.append(f"User {one_line(user)}")
        if span_count is not None:
            parts.append(f"{span_count:,} span{'s' if span_count != 1 else ''}")
        return parts

    def _show_chips(self, tags: Mapping[str, str], metadata: Mapping[str, str]) -> None:
        self.chips.clear()
        body = self.tags_section.body
        for key, value in sorted(tags.items(), key=_users_first):
            self.chips.addWidget(self._filter_chip("tag", key, value))
        for key, value in sorted(metadata.items(), key=_users_first):
            if key in UNFILTERABLE_METADATA:
                self.chips.addWidget(chip(body, "metadataChip", key, value))
            else:
                self.chips.addWidget(self._filter_chip("metadata", key, value))
        self.tags_section.set_count(len(tags) + len(metadata))

    def _filter_chip(self, scope: str, key: str, value: str) -> FilterChip:
        name = "tagChip" if scope == "tag" else "metadataChip"
        found = FilterChip(self.tags_section.body, name, key, value)
        found.clicked.connect(lambda: self.value_clicked.emit(scope, key, value))
        return found

    def copy_id(self) -> None:
        """Put the trace id on the clipboard and say so on the button for a moment."""
        if self._info is None:
            return
        QGuiApplication.clipboard().setText(self._info.trace_id)
        self.trace_id.setText("Copied ✓")
        self._feedback.start()
        self.id_copied.emit(self._info.trace_id)

    def _restore_id_text(self) -> None:
        """The trace id, elided in the middle when the whole of it would squeeze the name (the
        tooltip, the status bar and Copy have it whole)."""
        if self._info is None or self._feedback.isActive():
            return
        button, full = self.trace_id, self._info.trace_id
        chrome = button.sizeHint().width() - button.fontMetrics().horizontalAdvance(button.text())
        name = self.name.fontMetrics()
        wanted = min(name.horizontalAdvance(self.name.text()), name.horizontalAdvance("x" * 16))
        layout = self.layout()
        edges = 0 if layout is None else layout.contentsMargins().left() * 2
        room = self.width() - edges - wanted - self.state.sizeHint().width() - 16 - chrome
        for extra in (self.replay, self.labels, self.more):  # on the same row
            room -= 0 if extra.isHidden() else extra.sizeHint().width() + 8
        metrics = button.fontMetrics()
        least = metrics.horizontalAdvance(full[:7] + "…" + full[-4:])
        shown = metrics.elidedText(full, Qt.TextElideMode.ElideMiddle, max(room, least))
        button.setText(no_mnemonic(shown))

    def resizeEvent(self, event: QResizeEvent) -> None:  # QWidget.resizeEvent
        super().resizeEvent(event)
        self._restore_id_text()


def _users_first(item: tuple[str, str]) -> tuple[bool, str]:
    """Sort key of a tag or metadata entry: the user's own keys before MLflow's `mlflow.*`."""
    return item[0].startswith("mlflow."), item[0]


def _number(value: int | None) -> str:
    return EMPTY if value is None else f"{value:,}"
