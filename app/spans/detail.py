"""`SpanDetailPanel`: the selected span's facts and its tabs — Chat (when the inputs or outputs
hold messages), Inputs, Outputs, Attributes, Events and Raw JSON.

Only the visible tab is rendered; the others are marked stale and render when they are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.formatting import rich_tooltip
from app.messages.browser import SafeTextBrowser, is_dark
from app.messages.render import EXPAND_PREFIX
from app.messages.view import ChatView
from app.spans import detail_text
from app.spans.colors import ERROR_COLOR, span_duration_text, text_on, type_color
from app.spans.tree import span_type_of
from app.spans.value_view import ValueView
from app.theme import follow_palette
from app.widgets import ElidedLabel
from core.entities import Span
from core.safe_text import isolated
from core.store import stored_forms

CHAT, INPUTS, OUTPUTS, ATTRIBUTES, EVENTS, RAW = (
    "Chat",
    "Inputs",
    "Outputs",
    "Attributes",
    "Events",
    "Raw JSON",
)
#: The tabs in order; Alt+1 … Alt+6 show them.
TABS = (CHAT, INPUTS, OUTPUTS, ATTRIBUTES, EVENTS, RAW)
LOADING = "Loading span…"
NO_SPAN = "Select a span to see its inputs, outputs and attributes."


class EventsView(SafeTextBrowser):
    """The Events tab: re-renders with a folded value or the full event list on request."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._span: Span | None = None
        self._expanded: set[str] = set()
        self.action_requested.connect(self._expand)
        self.copy_all = lambda: detail_text.events_json(self._span) if self._span else ""
        follow_palette(self, self._render)

    def show_span(self, span: Span | None) -> None:
        self._span = span
        self._expanded = set()
        self._render()

    def _render(self) -> None:
        if self._span is None:
            self.clear()
            return
        position = self.verticalScrollBar().value()
        renderer = detail_text.EventsHtml(is_dark(self.palette()), self._expanded)
        if self._expanded:  # folded values are short; an opened one may be one long line
            self.wrap_for(detail_text.events_json(self._span))
        self.setHtml(renderer.render(self._span))
        self.verticalScrollBar().setValue(position)

    def _expand(self, fragment: str) -> None:
        if fragment.startswith(EXPAND_PREFIX):
            self._expanded.add(fragment.removeprefix(EXPAND_PREFIX))
            self._render()


class SpanFacts(QWidget):
    """Name, type chip, status, duration, start offset, id, and the Copy JSON button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanFacts")
        self.name = ElidedLabel("", Qt.TextElideMode.ElideRight, self)
        self.name.setObjectName("spanName")
        self.type_chip = _plain_label(self, "spanTypeChip")
        self.status = _plain_label(self, "spanStatus")
        self.timing = ElidedLabel("", Qt.TextElideMode.ElideRight, self)  # the id keeps room
        self.timing.setObjectName("spanTiming")
        self.span_id = _plain_label(self, "spanId")
        self.span_id.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.span_id.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy JSON", self)
        self.copy_button.setToolTip("Copy the span's MLflow JSON (Ctrl+C in the span tree)")
        self.problem = _plain_label(self, "spanProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()  # so the first layout does not keep room for it
        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.name, 1)
        top.addWidget(self.type_chip)
        top.addWidget(self.status)
        top.addWidget(self.copy_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.timing, 1)
        bottom.addWidget(self.span_id)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addLayout(bottom)
        layout.addWidget(self.problem)

    def show_span(self, span: Span, trace_start_ns: int, loading: bool = False) -> None:
        """The span's facts; while `loading` (its JSON is being read) only what its columns
        say: no token count, no error message."""
        self.name.setText(isolated(span.name or "(unnamed)"))
        self.name.setToolTip(rich_tooltip(span.name))  # escaped: tooltips guess at rich text
        kind = span_type_of(span)
        self.type_chip.setText(kind)
        color = type_color(kind)
        self.type_chip.setStyleSheet(
            f"background:{color}; color:{text_on(color)}; border-radius:3px; padding:1px 6px;"
        )
        error = span.status_code == "ERROR"
        self.status.setText(span.status_code)
        self.status.setStyleSheet(f"color:{ERROR_COLOR}; font-weight:600;" if error else "")
        offset = span_duration_text(max(span.start_time_ns - trace_start_ns, 0))
        usage = span.token_usage if not loading and not span.decode_error else None
        tokens = f" · {usage.total_tokens:,} tokens" if usage and usage.total_tokens else ""
        timing = f"Duration {span_duration_text(span.duration_ns)} · starts at +{offset}{tokens}"
        self.timing.setText(timing)
        self.timing.setToolTip(timing)
        self.span_id.setText(f"span {span.span_id}")
        if loading:
            self.problem.hide()
            return
        problems = []
        if error:
            problems.append(f"Error: {span.status_message or 'the span failed.'}")
        if span.decode_error:
            problems.append(f"This span's JSON could not be read: {span.decode_error}.")
        problems += span.notes  # e.g. JSON nested too deep to show whole
        self.problem.setText("\n".join(problems))
        self.problem.setVisible(bool(problems))


def _plain_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # span text is untrusted
    return label


class SpanDetailPanel(QWidget):
    """The detail of one span; `rendered(tab)` says when a tab has finished rendering."""

    rendered = Signal(str)
    copy_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spanDetail")
        self._span: Span | None = None
        self._preferred = ""  # the tab the user chose last, kept across spans when present
        self._stale: set[str] = set()
        self._loaders: dict[str, Callable[[], None]] = {}
        self._revealed: ValueView | None = None  # whose find bar `reveal` opened
        self._loading = False  # issue 17: the span's JSON is being read (a large trace)
        self._reveal_later = ""  # what `reveal` was asked to show while it was
        self.facts = SpanFacts(self)
        self.facts.copy_button.clicked.connect(self.copy_requested)
        self.empty = QLabel(NO_SPAN, self)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)  # a note may quote span names
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("spanDetailEmpty")
        self.loading = QLabel(LOADING, self)
        self.loading.setTextFormat(Qt.TextFormat.PlainText)  # a failure may quote span text
        self.loading.setWordWrap(True)
        self.loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading.setObjectName("spanDetailLoading")
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self._build_pages()
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.tabBarClicked.connect(self._remember_choice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.facts)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.loading, 1)
        self.show_span(None)

    def _build_pages(self) -> None:
        self.chat = ChatView(self)
        self.chat.copy_all = lambda: detail_text.chat_json(self._span) if self._span else ""
        self.values = {
            INPUTS: ValueView("No inputs were recorded for this span.", self),
            OUTPUTS: ValueView("No outputs were recorded for this span.", self),
            ATTRIBUTES: ValueView("This span has no other attributes.", self),
            RAW: ValueView("", self),
        }
        self.events = EventsView(self)
        self._pages: dict[str, QWidget] = {CHAT: self.chat, **self.values, EVENTS: self.events}
        for number, name in enumerate(TABS, start=1):
            index = self.tabs.addTab(self._pages[name], name)
            self.tabs.setTabToolTip(index, f"{name} (Alt+{number})")
            key = QShortcut(QKeySequence(f"Alt+{number}"), self)
            key.activated.connect(partial(self.choose_tab, name))

    @property
    def span(self) -> Span | None:
        """The span shown, or being loaded (`is_loading`)."""
        return self._span

    @property
    def is_loading(self) -> bool:
        """Whether the span's JSON is still being read (`show_loading` was called last)."""
        return self._loading

    def show_loading(self, span: Span, trace_start_ns: int = 0, text: str = LOADING) -> None:
        """Show what the tree knows of `span` and "Loading span…" (or `text`: why it could not
        be read) while its JSON is read in the database thread (a large trace); `show_span(span)`
        follows when it has landed. Nothing here reads the span's JSON."""
        self.loading.setText(text)
        self._stale = set()
        self._span = span
        self._loading = True
        self._reveal_later = ""
        self.facts.show_span(span, trace_start_ns, loading=True)
        self.facts.show()
        self.tabs.hide()
        self.empty.hide()
        self.loading.show()

    def current_tab(self) -> str:
        return _tab_name(self.tabs.tabText(self.tabs.currentIndex()))

    def show_note(self, text: str) -> None:
        """No span, and what is selected instead (a folded run of spans)."""
        self.show_span(None)
        self.empty.setText(text)

    def show_span(self, span: Span | None, trace_start_ns: int = 0) -> None:
        """Show `span` (or nothing); renders only the tab that will be visible."""
        self._stale = set()  # nothing of the previous span renders while the tabs change
        reveal = self._reveal_later if self._loading and span is self._span else ""
        self._span = span
        self._loading = False
        self._reveal_later = ""
        self.loading.hide()
        for widget in (self.facts, self.tabs):
            widget.setVisible(span is not None)
        self.empty.setVisible(span is None)
        if span is None:
            self.empty.setText(NO_SPAN)
            return
        conversation = detail_text.conversation_of(span)  # decodes inputs and outputs first
        self.facts.show_span(span, trace_start_ns)  # so that its notes cover them
        self.tabs.setTabVisible(self._index(CHAT), conversation is not None)
        self.tabs.setTabText(self._index(EVENTS), _count_title(EVENTS, len(span.events)))
        self._loaders = {
            CHAT: lambda: self.chat.show_conversation(conversation),
            INPUTS: lambda: self.values[INPUTS].set_value(*detail_text.inputs_text(span)),
            OUTPUTS: lambda: self.values[OUTPUTS].set_value(*detail_text.outputs_text(span)),
            ATTRIBUTES: lambda: self.values[ATTRIBUTES].set_value(
                detail_text.attributes_text(span), "json"
            ),
            EVENTS: lambda: self.events.show_span(span),
            RAW: lambda: self.values[RAW].set_value(*detail_text.raw_tab_text(span)),
        }
        self._stale = set(self._loaders)
        self._choose_tab(conversation is not None)
        self._render_current()
        if reveal:
            self.reveal(reveal)

    def open_find(self) -> bool:
        """Ctrl+F: the find bar of the tab shown, when it holds a value (False otherwise)."""
        page = self._pages[self.current_tab()]
        if not isinstance(page, ValueView) or self._span is None or self._loading:
            return False
        page.find_bar.open_bar()
        return True

    def reveal(self, text: str) -> str | None:
        """Show where the span holds `text` (the trace's search found it in its JSON): the first
        of Inputs, Outputs, Attributes, Events and Raw JSON that shows it, the occurrence
        highlighted (by the tab's find bar, opened without taking the focus). "" closes the
        find bar an earlier call opened. Returns the tab shown, or None."""
        if self._revealed is not None:
            self._revealed.find_bar.close_bar(focus=False)
            self._revealed = None
        if not text or self._span is None:
            return None
        if self._loading:  # shown once the span's JSON has landed
            self._reveal_later = text
            return None
        forms = stored_forms(text)  # a quote shows as \" in JSON, é as \u00e9 in Raw JSON
        for name in (INPUTS, OUTPUTS, ATTRIBUTES, EVENTS, RAW):
            if self._reveal_event(forms) if name == EVENTS else self._reveal_value(name, forms):
                return name
        return None

    def _reveal_value(self, name: str, forms: list[str]) -> bool:
        """Open value tab `name` with its find bar on the first of `forms` it shows, if any."""
        assert self._span is not None
        shown = _VALUE_TEXTS[name](self._span).casefold()
        form = next((f for f in forms if f.casefold() in shown), None)
        if form is None:
            return False
        self.show_tab(name)
        self._revealed = self.values[name]
        self._revealed.find_bar.open_bar(form, focus=False)
        return True

    def _reveal_event(self, forms: list[str]) -> bool:
        """Select the first occurrence of one of `forms` in the Events tab, as it shows them."""
        if not self._span or not self._span.events:
            return False
        if EVENTS in self._stale:  # rendered now, to be searched as the user will see it
            self._stale.discard(EVENTS)
            self._loaders[EVENTS]()
        for form in forms:
            found = self.events.document().find(form)
            if not found.isNull():
                self.show_tab(EVENTS)
                self.events.setTextCursor(found)
                self.events.ensureCursorVisible()
                return True
        return False

    def show_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(self._index(name))

    def choose_tab(self, name: str) -> None:
        """Show tab `name` as the user's choice (Alt+1 … Alt+6): later spans open on it too."""
        self.show_tab(name)
        self._remember_choice(self._index(name))

    def _choose_tab(self, has_chat: bool) -> None:
        wanted = self._preferred or (CHAT if has_chat else INPUTS)
        if wanted == CHAT and not has_chat:
            wanted = INPUTS
        if self.span is not None and self.span.decode_error:
            wanted = RAW
        self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(self._index(wanted))
        self.tabs.blockSignals(False)

    def _index(self, name: str) -> int:
        return self.tabs.indexOf(self._pages[name])

    def _tab_changed(self, _index: int) -> None:
        self._render_current()

    def _remember_choice(self, index: int) -> None:
        if index >= 0:
            self._preferred = _tab_name(self.tabs.tabText(index))

    def _render_current(self) -> None:
        name = self.current_tab()
        if self._span is None or name not in self._stale:
            return
        self._stale.discard(name)
        self._loaders[name]()
        page = self._pages[name]
        if isinstance(page, ValueView):
            page.ensure_rendered()
        self.rendered.emit(name)


#: What each value tab shows of a span, for `SpanDetailPanel.reveal`.
_VALUE_TEXTS: dict[str, Callable[[Span], str]] = {
    INPUTS: lambda span: detail_text.inputs_text(span)[0],
    OUTPUTS: lambda span: detail_text.outputs_text(span)[0],
    ATTRIBUTES: detail_text.attributes_text,
    RAW: lambda span: detail_text.raw_tab_text(span)[0],
}


def _count_title(name: str, count: int) -> str:
    return f"{name} ({count})" if count else name


def _tab_name(title: str) -> str:
    return title.partition(" (")[0]


def copy_span_json(span: Span) -> None:
    QGuiApplication.clipboard().setText(detail_text.raw_json_text(span))
