"""Which traces the list shows: experiment, filter and sort, applied through the trace model.

The controller owns the query state of the open file. A filter from the bar or an order from
the header goes to `TraceListModel.apply` (read in the database thread; the rows stay until the
answer); what the model accepts is remembered for the file and in the history, what it rejects
is shown in the bar. Opening the file again restores its filter and sort.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Qt, Signal

from app.query.bar import QueryBar
from app.query.state import FileView, QueryHistory, load_file_view, save_file_view
from app.traces.model import TraceListModel
from app.traces.rows import TraceQuery
from app.traces.sorting import SortSpec
from app.traces.view import TraceListView
from core.errors import QuerySyntaxError
from core.store import Store


def file_key(store: Store) -> str:
    """What a file's settings are kept under: its absolute path (or the URL as shown)."""
    path = store.location.path
    return str(path.resolve()) if path is not None else store.display_name


class QueryController(QObject):
    """Connects the filter bar and the list header to the trace model, per open file."""

    applied = Signal(object)  # the TraceQuery now shown

    def __init__(
        self,
        bar: QueryBar,
        view: TraceListView,
        history: QueryHistory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bar = bar
        self.view = view
        self.model: TraceListModel = view.trace_model()
        self.history = history
        self._store: Store | None = None
        self._experiment_id: str | None = None
        self._filter: str | None = None  # the last filter the model accepted
        self._sort = SortSpec()
        self.saved_experiment_id: str | None = None  # shown last time with the open file
        bar.submitted.connect(self.apply_filter)
        bar.escaped.connect(lambda: view.setFocus(Qt.FocusReason.ShortcutFocusReason))
        view.sort_requested.connect(self.apply_sort)
        self.model.query_applied.connect(self._on_applied)
        self.model.query_rejected.connect(self._on_rejected)
        for signal in (self.model.page_loaded, self.model.load_failed, self.model.query_rejected):
            signal.connect(self._update_busy)

    @property
    def experiment_id(self) -> str | None:
        return self._experiment_id

    @property
    def filter_text(self) -> str:
        """The filter the list shows now ("" for none)."""
        return self._filter or ""

    @property
    def sort(self) -> SortSpec:
        return self._sort

    def open_store(self, store: Store | None) -> None:
        """Take over `store`'s saved filter and sort; the list loads with an experiment."""
        self._store, self._experiment_id = store, None
        saved = load_file_view(file_key(store)) if store is not None else FileView()
        self._filter = saved.filter_text or None
        self._sort = saved.sort
        self.saved_experiment_id = saved.experiment_id or None
        self.bar.set_text(saved.filter_text)
        self.view.show_sort(saved.sort)
        self.bar.setEnabled(store is not None)

    def show_experiment(self, experiment_id: str | None) -> None:
        """List `experiment_id`'s traces with the current filter and sort (None: nothing)."""
        if experiment_id == self._experiment_id and self.model.query is not None:
            return  # the experiments were read again (live mode, F5): nothing to reload
        self._experiment_id = experiment_id or None
        if self._store is None or not experiment_id:
            self.model.clear()
            return
        self._save_view()
        self.model.load(self._store, self._query(self._filter))
        self._update_busy()

    def apply_filter(self, text: str) -> None:
        """Apply `text` (from the bar); an error comes back inline, the rows stay."""
        text = text.strip()
        self.bar.clear_error()
        if self._store is None or self._experiment_id is None:
            self._filter = text or None
            return
        self.model.apply(self._query(text or None))
        self._update_busy()

    def apply_sort(self, spec: SortSpec) -> None:
        """Sort in SQL by `spec`; the list is read again from its first page."""
        self._sort = spec
        wanted = self.model.wanted_query
        if wanted is not None:
            self.model.apply(replace(wanted, order_by=spec.order_by()))
            self._update_busy()

    def _query(self, filter_string: str | None) -> TraceQuery:
        assert self._experiment_id is not None
        return TraceQuery((self._experiment_id,), filter_string, self._sort.order_by())

    def _on_applied(self, query: TraceQuery) -> None:
        self._filter = query.filter_string
        self._sort = SortSpec.from_order_by(query.order_by)
        self.view.show_sort(self._sort)
        if query.filter_string and query.filter_string == self.bar.text:
            self.bar.clear_error()
        if query.filter_string:
            self.history.add(query.filter_string)
        self._save_view()
        self.applied.emit(query)

    def _save_view(self) -> None:
        if self._store is not None:
            view = FileView(self.filter_text, self._sort, self._experiment_id or "")
            save_file_view(file_key(self._store), view)

    def _on_rejected(self, error: QuerySyntaxError) -> None:
        self.bar.show_error(error)

    def _update_busy(self) -> None:
        self.bar.set_busy(self.model.is_applying)
