"""`SpanViews`: the trace's spans as a tree or as a flame graph, two tabs with one selection.

Selecting a span in either selects it in the other, and the explorer shows its detail. The
flame graph is laid out when its tab is first shown for a trace: at once for a small trace,
in the job pool for a big one ("Laying out…" meanwhile). The critical path is the tree panel's
(its button and its computation): the flame graph shows the same one, and its own button
turns the same highlight on and off.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QTabWidget, QWidget

from app.spans.flame_layout import FlameLayout, build_flame_layout
from app.spans.flame_panel import FlamePanel
from app.spans.tree import SpanTree
from app.spans.view import SpanTreePanel
from app.tasks import JobToken, TaskRunner
from core.entities import Span

#: Switches between the Tree and Flame tabs (anywhere in the explorer).
TOGGLE_KEYS = "Ctrl+Shift+G"
#: Traces up to this many spans are laid out on the GUI thread (well under a frame).
SYNC_LAYOUT_SPANS = 5000
#: The tab the user chose last, for the next trace and the next session.
VIEW_KEY = "explorer/spanView"
TREE, FLAME = "Tree", "Flame"


class SpanViews(QTabWidget):
    """Tree | Flame over the span area; `span_selected` is the span either one selected."""

    span_selected = Signal(object)  # Span or None

    def __init__(self, tree_panel: SpanTreePanel, tasks: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("spanViews")
        self.setDocumentMode(True)
        self.tree_panel = tree_panel
        self.flame = FlamePanel(self)
        self._layouts = tasks.group()  # only the tree shown last is laid out
        self._tree: SpanTree | None = None
        self._syncing = False
        for name, widget in ((TREE, tree_panel), (FLAME, self.flame)):
            index = self.addTab(widget, name)
            self.setTabToolTip(index, f"{name} ({TOGGLE_KEYS} switches)")
        if str(QSettings().value(VIEW_KEY, TREE)) == FLAME:
            self.setCurrentIndex(1)
        self.currentChanged.connect(self._tab_changed)
        toggle = QShortcut(QKeySequence(TOGGLE_KEYS), parent)
        toggle.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        toggle.activated.connect(self.toggle)
        tree_panel.span_selected.connect(self._tree_selected)
        self.flame.view.span_selected.connect(self._flame_selected)
        self.flame.critical_toggled.connect(tree_panel.show_critical_path)
        tree_panel.filter_bar.critical_path_toggled.connect(self.flame.set_critical_checked)
        tree_panel.critical_path_changed.connect(self._follow_critical_path)

    # -- the trace --------------------------------------------------------------------------

    def show_tree(self, tree: SpanTree | None) -> None:
        """A new trace (or none): the flame graph forgets the last one and lays this one out
        when it is on screen."""
        self._layouts.drop()
        self._tree = tree
        self.flame.view.show_layout(None)
        self.flame.view.placeholder = ""
        self.flame.set_critical_available(tree is not None and bool(tree.spans))
        if self.flame_shown():
            self._lay_out()

    def flame_shown(self) -> bool:
        return self.currentWidget() is self.flame

    def toggle(self) -> None:
        """Tree ↔ Flame, with the focus on the view shown."""
        self.setCurrentIndex(1 - self.currentIndex())
        self.focus_view()

    def focus_view(self) -> None:
        view = self.flame.view if self.flame_shown() else self.tree_panel.view
        view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _tab_changed(self, _index: int) -> None:
        QSettings().setValue(VIEW_KEY, FLAME if self.flame_shown() else TREE)
        if self.flame_shown() and self.flame.view.flame_layout is None:
            self._lay_out()

    def _lay_out(self) -> None:
        tree = self._tree
        if tree is None or self._layouts.pending:
            return
        if len(tree.spans) <= SYNC_LAYOUT_SPANS:
            self._show_layout(build_flame_layout(tree))
            return
        self.flame.view.placeholder = f"Laying out {len(tree.spans):,} spans…"
        self.flame.view.update()
        task = self._layouts.submit_job(_layout_job, tree)
        task.describe("Laying out the flame graph").on_finished(self._show_layout)

    def _show_layout(self, layout: FlameLayout) -> None:
        if layout.tree is not self._tree:
            return
        view = self.flame.view
        view.show_layout(layout)
        span = self.tree_panel.view.selected_span()
        if span is not None:
            view.select_node(layout.tree.by_id.get(span.span_id))
        self._follow_critical_path()

    # -- one selection ----------------------------------------------------------------------

    def _tree_selected(self, span: Span | None) -> None:
        if self._tree is not None and self.flame.view.tree is self._tree:
            node = self._tree.by_id.get(span.span_id) if span is not None else None
            self.flame.view.select_node(node)
        if not self._syncing:
            self.span_selected.emit(span)

    def _flame_selected(self, node: int) -> None:
        """A span picked in the flame graph: the tree selects its row (unfolding or expanding
        what hides it); one the tree's filter hides is shown in the detail all the same."""
        tree = self._tree
        if tree is None or not 0 <= node < len(tree.spans):
            return
        span = tree.spans[node]
        if self.tree_panel.view.select_span(span.span_id):
            return  # the tree says so (`_tree_selected`), unless it was selected already
        self._syncing = True
        try:
            self.tree_panel.view.clearSelection()
        finally:
            self._syncing = False
        self.flame.view.select_node(node)
        self.span_selected.emit(span)

    # -- the critical path ------------------------------------------------------------------

    def _follow_critical_path(self, _nodes: object = None) -> None:
        """The tree panel owns the highlight (its button, its computation): the flame graph
        shows the same path, and its own button follows."""
        panel = self.tree_panel
        self.flame.set_critical_checked(panel.critical_shown)
        view = self.flame.view
        if view.tree is not None and view.tree is panel.model.tree:
            view.set_critical_path(panel.model.critical_path)


def _layout_job(_token: JobToken, tree: SpanTree) -> FlameLayout:
    return build_flame_layout(tree)
