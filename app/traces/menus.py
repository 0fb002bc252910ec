"""The trace list's menus: the column chooser and the menu of a row.

The column chooser (right-click on the header, View → Columns, and a submenu of the row menu)
is one checkable menu: the built-in columns, then Assessments and Tags submenus offering the
names and keys the experiment's traces have (read in the database thread whenever the
experiment changes or a chooser opens). A choice applies at once and is kept per database,
with the order and widths the user drags in the header.

The row menu acts on the row it was opened on (the menu key: the current cell): open it, copy
its id, export it (or the selected rows), copy it as Markdown, and filter the list by the value
of the cell ("filter by this value").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog, QMenu
from shiboken6 import isValid

from app.formatting import one_line
from app.spans.filter_bar import no_mnemonic
from app.tasks import TaskRunner
from app.traces import terms
from app.traces.columns import ColumnChoice, load_choice, save_choice
from app.traces.look import TERM_ROLE
from app.traces.model import TRACE_ID_ROLE
from app.traces.rows import HEADERS, Column, list_keys
from app.traces.view import TraceListView
from core.entities import TraceListKeys
from core.store import Store

log = logging.getLogger(__name__)

#: A submenu lists at most this many keys (the chosen ones always).
MAX_KEYS = 60
#: How long a dragged column layout rests before it is saved.
LAYOUT_SAVE_MS = 400
_TERM_CHARS = 60


def ordered_keys(offered: Sequence[str], chosen: Sequence[str]) -> list[str]:
    """The keys a submenu lists: the user's own first, MLflow's (`mlflow.…`) after them."""
    keys = set(chosen) | set(offered[:MAX_KEYS])
    return sorted(keys, key=lambda key: (key.startswith("mlflow."), key.lower(), key))


def term_label(term: str) -> str:
    """A filter term as a menu item shows it: one line, cut, no mnemonic."""
    return no_mnemonic(one_line(term, _TERM_CHARS))


class TraceListMenus(QObject):
    """Builds the trace list's menus and applies the column choice of the open database."""

    filter_requested = Signal(str)  # a filter term to add to the list's filter
    export_requested = Signal(str)  # the id of a trace to export
    export_traces_requested = Signal(str)  # issue 21: Export Traces… from this row
    markdown_requested = Signal(str)  # issue 21: the id of a trace to copy as Markdown
    compare_requested = Signal(list)  # issue 19: the selected traces' ids, top to bottom
    compare_with_requested = Signal(str)  # issue 19: a trace to compare with one to ask for
    add_to_dataset_requested = Signal(list)  # issue 22: trace ids to add to a dataset
    label_requested = Signal()  # issue 22: Label Traces… (a queue from the filter)
    message = Signal(str)  # a short note for the status bar

    def __init__(self, tasks: TaskRunner, view: TraceListView, parent: QObject | None = None):
        super().__init__(parent)
        self._view = view
        self._model = view.trace_model()
        self._reads = tasks.group()
        self._store: Store | None = None
        self._location: str | None = None
        self._choice = ColumnChoice()
        self._keys: TraceListKeys | None = None  # of the experiments below, once read
        self._keys_for: tuple[str, ...] | None = None
        self._keys_failed = False
        self._asked = False  # whether keys were asked for `_asked_for` (None: all experiments)
        self._asked_for: tuple[str, ...] | None = None
        self.last_menu: QMenu | None = None  # the menu shown last (deleted once closed)
        view.columns_menu_requested.connect(self.show_columns_menu)
        self._keep_layout = QTimer(self)  # a drag resizes many times: saved once it rests
        self._keep_layout.setSingleShot(True)
        self._keep_layout.setInterval(LAYOUT_SAVE_MS)
        self._keep_layout.timeout.connect(self._save_layout)
        view.layout_dragged.connect(self._keep_layout.start)
        view.row_menu_requested.connect(self.show_row_menu)
        self._model.query_applied.connect(self._experiments_changed)

    @property
    def choice(self) -> ColumnChoice:
        return self._choice

    @property
    def list_keys(self) -> TraceListKeys | None:
        """The tag keys and assessment names offered (None until read)."""
        return self._keys

    def open_store(self, store: Store | None, location: str | None) -> None:
        """Show the columns chosen for `location` (the file's settings key; None: defaults)."""
        self._reads.drop()
        self._store, self._location = store, location
        self._keys, self._keys_for, self._asked = None, None, False
        self.save_dragged_layout()  # the last drag belongs to the file it was made in
        choice = load_choice(location) if location else ColumnChoice()
        self.set_choice(choice, save=False)
        self._view.reset_column_widths()
        self._view.restore_layout(choice.order, dict(choice.widths))

    def save_dragged_layout(self) -> None:
        """Save a drag not saved yet (the file closes, or the window)."""
        if self._keep_layout.isActive():
            self._keep_layout.stop()
            self._save_layout()

    def _save_layout(self) -> None:
        """Keep the order and widths the user dragged with the file's column choice."""
        self.set_choice(self._choice.with_layout(*self._view.column_layout()))

    def set_choice(self, choice: ColumnChoice, *, save: bool = True) -> None:
        """Show `choice`'s columns (tag and assessment columns read the list again)."""
        self._choice = choice
        if save and self._location:
            save_choice(self._location, choice)
        self._view.set_hidden_columns(choice.hidden)
        self._model.set_extras(choice.extras())

    # -- tag keys and assessment names ------------------------------------------------------

    def _experiments_changed(self) -> None:
        query = self._model.query
        if query is not None and not (self._asked and query.experiment_ids == self._asked_for):
            self._read_keys()

    def _read_keys(self) -> None:
        """Read what the experiments shown offer, in the database thread."""
        query = self._model.query
        if self._store is None or query is None:
            return
        experiments = query.experiment_ids
        if experiments != self._keys_for:
            self._keys = None  # another experiment: its own keys, not the last one's
        self._reads.drop()
        self._asked, self._asked_for = True, experiments
        task = self._reads.submit(list_keys, self._store.reader, experiments)
        task.on_finished(lambda keys: self._got_keys(experiments, keys))
        task.on_failed(self._keys_unreadable)

    def _got_keys(self, experiments: tuple[str, ...] | None, keys: TraceListKeys) -> None:
        self._keys, self._keys_for, self._keys_failed = keys, experiments, False

    def _keys_unreadable(self, error: BaseException) -> None:
        log.warning("Reading the tag keys and assessment names failed: %s", error)
        self._keys_failed = True

    # -- the column chooser -----------------------------------------------------------------

    def fill_columns_menu(self, menu: QMenu) -> None:
        """Make `menu` the column chooser (View → Columns fills its menu this way)."""
        menu.clear()
        menu.setToolTipsVisible(True)
        for column in Column:
            title, tip = HEADERS[column]
            if column in self._view.squeezed_columns:
                title += " (no room beside the trace)"
                tip += ": shown again when the list has the width"
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(self._choice.shows(column))
            action.setToolTip(tip)
            action.toggled.connect(
                lambda on, c=column: self.set_choice(self._choice.with_column(c, on))
            )
        menu.addSeparator()
        offered = self._keys or TraceListKeys()
        self._key_menu(
            menu.addMenu("&Assessments"),
            ordered_keys(offered.assessment_names, self._choice.assessment_names),
            self._choice.assessment_names,
            lambda name, on: self.set_choice(self._choice.with_assessment(name, on)),
        )
        tags = menu.addMenu("&Tags")
        self._key_menu(
            tags,
            ordered_keys(offered.tag_keys, self._choice.tag_keys),
            self._choice.tag_keys,
            lambda key, on: self.set_choice(self._choice.with_tag(key, on)),
        )
        tags.addSeparator()
        tags.addAction("&Other Tag Key…", self.ask_tag_key)
        menu.addSeparator()
        menu.addAction("&Reset Columns", self.reset_columns)
        if not self._reads.pending:
            self._read_keys()  # new traces may have brought new keys: fresh for the next time

    def _key_menu(
        self,
        menu: QMenu,
        keys: list[str],
        chosen: Sequence[str],
        toggle: Callable[[str, bool], None],
    ) -> None:
        if not keys:
            if self._keys_failed:
                empty = "Could not be read"
            elif self._keys is None and self._model.query is not None:
                empty = "Reading…"
            else:
                empty = "None in this experiment"
            menu.addAction(empty).setEnabled(False)
        for key in keys:
            action = menu.addAction(no_mnemonic(key))
            action.setCheckable(True)
            action.setChecked(key in chosen)
            action.toggled.connect(lambda on, k=key: toggle(k, on))

    def ask_tag_key(self) -> QInputDialog:
        """A tag column for a key the Tags menu does not offer (it lists the keys of the
        newest traces only)."""
        dialog = QInputDialog(self._view)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle("Tag Column")
        dialog.setLabelText(
            "A tag key to show as a column\n(the Tags menu offers the keys of the newest traces):"
        )
        dialog.textValueSelected.connect(self._add_tag_column)
        dialog.open()
        return dialog

    def _add_tag_column(self, key: str) -> None:
        if key.strip():
            self.set_choice(self._choice.with_tag(key.strip(), True))

    def reset_layout(self) -> None:
        """The columns' own order and fitted widths (the choice of columns stays)."""
        self._keep_layout.stop()
        self._view.reset_column_widths()
        self.set_choice(self._choice.with_layout((), {}))

    def reset_columns(self) -> None:
        """The default columns and widths."""
        self.set_choice(ColumnChoice())
        self._view.reset_column_widths()

    def show_columns_menu(self, where: QPoint) -> QMenu:
        """Pop the column chooser up at `where` (global coordinates)."""
        menu = self._new_menu()
        self.fill_columns_menu(menu)
        menu.popup(where)
        return menu

    # -- the row menu -----------------------------------------------------------------------

    def show_row_menu(self, index: QModelIndex, where: QPoint) -> QMenu:
        """The menu of the row of `index` (just the column chooser below the last row)."""
        menu = self._new_menu()
        trace_id = index.data(TRACE_ID_ROLE) if index.isValid() else None
        if trace_id:
            self._add_row_actions(menu, index, str(trace_id))
            menu.addSeparator()
        self.fill_columns_menu(menu.addMenu("Co&lumns"))
        menu.popup(where)
        return menu

    def _add_row_actions(self, menu: QMenu, index: QModelIndex, trace_id: str) -> None:
        menu.addAction("&Open Trace", lambda: self._open(trace_id))
        menu.addAction("&Copy Trace ID", lambda: self._copy_id(trace_id))
        menu.addAction("&Export Trace…", lambda: self.export_requested.emit(trace_id))
        menu.addAction(  # issue 21: the selected rows (or this one), in a format
            "Export &Traces…", lambda: self.export_traces_requested.emit(trace_id)
        )
        menu.addAction("Copy as &Markdown", lambda: self.markdown_requested.emit(trace_id))
        self._add_compare_actions(menu, trace_id)  # issue 19
        self._add_dataset_action(menu, trace_id)  # issue 22
        menu.addAction("&Label Traces…\tCtrl+Shift+B", self.label_requested.emit)  # issue 22
        menu.addSeparator()
        term = str(index.data(TERM_ROLE) or "")
        if term:
            menu.addAction(
                f"&Filter by {term_label(term)}", lambda: self.filter_requested.emit(term)
            )
        else:
            menu.addAction("&Filter by This Value").setEnabled(False)  # no value to compare
        row_terms = self._row_terms(index.row())
        others = menu.addMenu("Filter &by")
        others.setEnabled(bool(row_terms))
        for each in row_terms:
            others.addAction(term_label(each), partial(self.filter_requested.emit, each))

    def _add_compare_actions(self, menu: QMenu, trace_id: str) -> None:
        """Issue 19: Compare Traces (two rows or more selected), Compare With… (this row)."""
        menu.addSeparator()
        chosen = self._view.selected_trace_ids()
        compare = menu.addAction(
            "Compa&re Traces\tCtrl+D", lambda: self.compare_requested.emit(chosen)
        )
        compare.setEnabled(len(chosen) >= 2)
        if len(chosen) < 2:
            compare.setToolTip("Select two traces or more (Shift or Ctrl with a click)")
        menu.addAction("Compare &With…", lambda: self.compare_with_requested.emit(trace_id))

    def _add_dataset_action(self, menu: QMenu, trace_id: str) -> None:
        """Issue 22: the selected traces (or this row, when it is not selected) to a dataset."""
        chosen = self._view.selected_trace_ids()
        ids = chosen if trace_id in chosen else [trace_id]
        label = "Add to &Dataset…" if len(ids) == 1 else f"Add {len(ids):,} Traces to &Dataset…"
        menu.addAction(label, lambda: self.add_to_dataset_requested.emit(ids))

    def _row_terms(self, row: int) -> list[str]:
        """Every filter term the row offers, in column order, once each."""
        found: list[str] = []
        for column in range(self._model.columnCount()):
            term = str(self._model.index(row, column).data(TERM_ROLE) or "")
            if term and term not in found:
                found.append(term)
        return found

    def _open(self, trace_id: str) -> None:
        row = self._model.row_of(trace_id)
        if row is not None:
            self._view.select_row(row)
            self._view.open_selected()

    def _copy_id(self, trace_id: str) -> None:
        QGuiApplication.clipboard().setText(trace_id)
        self.message.emit(f"Copied {trace_id}.")

    def filter_by_value(self, scope: str, key: str, value: str) -> None:
        """Filter by a tag or metadata value (clicked in the explorer's header)."""
        self.filter_requested.emit(terms.equals(scope, key, value))

    def _new_menu(self) -> QMenu:
        if self.last_menu is not None and isValid(self.last_menu):
            self.last_menu.deleteLater()  # one menu at a time: the last one is not kept
        menu = QMenu(self._view)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_menu = menu
        return menu
