"""Live mode: notice that another program wrote to the open store, and where new rows go.

`LiveWatcher` asks `ChangeDetector.changed()` (one `PRAGMA data_version`) in the database
thread about once a second. A QTimer on the GUI thread only submits that tiny task, and skips a
tick while the previous answer is still out, so a busy database thread never piles up polls.
The detector is created and closed in the database thread; `shutdown()` closes what is left
after the threads were joined. A failing poll is said once (the task runner's failure path),
not every second, and polling goes on.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from app.tasks import Task, TaskRunner
from app.traces.rows import TraceItem
from core.store import ChangeDetector, Store

POLL_INTERVAL_MS = 1000


def plan_inserts(
    shown_ids: Sequence[str], fresh: Sequence[TraceItem]
) -> list[tuple[int, list[TraceItem]]]:
    """Where the rows of `fresh` that are not shown go, as runs of (row, items).

    `fresh` is every row from some time on, in list order; `shown_ids` are the rows the list
    shows from that time on (its top). Rows are given for inserting the runs one after the other.
    """
    known = {trace_id: row for row, trace_id in enumerate(shown_ids)}
    runs: list[tuple[int, list[TraceItem]]] = []
    position = inserted = 0
    for item in fresh:
        row = known.get(item.trace_id)
        if row is not None:
            position = row + inserted + 1
            continue
        if runs and runs[-1][0] + len(runs[-1][1]) == position:
            runs[-1][1].append(item)
        else:
            runs.append((position, [item]))
        position += 1
        inserted += 1
    return runs


class LiveWatcher(QObject):
    """Polls the store for writes by other programs while it is enabled and not paused."""

    changed = Signal()  # the store was written since the last poll
    polling_changed = Signal(bool)  # whether polls are being made now

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._store: Store | None = None
        self._detector: ChangeDetector | None = None
        self._opening: Task | None = None
        self._poll: Task | None = None
        self._open_detectors: set[ChangeDetector] = set()  # until closed in the DB thread
        self._failing = False  # the last poll failed (and that was said)
        self._enabled = True
        self._paused = False
        self._timer = QTimer(self)
        self._timer.setObjectName("livePollTimer")
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def is_polling(self) -> bool:
        return self._timer.isActive()

    @property
    def open_detectors(self) -> int:
        """Detectors not closed yet (the current one, and old ones queued for closing)."""
        return len(self._open_detectors)

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    @interval_ms.setter
    def interval_ms(self, value: int) -> None:
        self._timer.setInterval(value)

    def watch(self, store: Store | None) -> None:
        """Watch `store` from now on (None: stop watching)."""
        if store is self._store:
            return
        self._drop_detector()
        self._store = store
        self._update()

    def set_enabled(self, enabled: bool) -> None:
        """Turn polling on or off; the detector stays, so turning it on again shows the writes
        made meanwhile."""
        self._enabled = enabled
        self._update()

    def set_paused(self, paused: bool) -> None:
        """Pause while the window is hidden; the detector stays, so a resumed poll sees the
        writes made meanwhile."""
        self._paused = paused
        self._update()

    def shutdown(self) -> None:
        """Stop; close what the database thread did not (call after the threads were joined)."""
        self._timer.stop()
        self._store = None
        self._drop_detector()
        for detector in list(self._open_detectors):
            detector.close()
        self._open_detectors.clear()

    # -- inside ------------------------------------------------------------------------------

    def _wanted(self) -> bool:
        return self._enabled and not self._paused and self._store is not None

    def _update(self) -> None:
        """Start or stop polling to match the state; open a detector when one is needed."""
        was_polling = self._timer.isActive()
        if not self._wanted() or self._tasks.is_shut_down:
            self._timer.stop()
        elif self._detector is not None:
            self._timer.start()
        elif self._opening is None and self._store is not None:
            store = self._store
            self._opening = self._tasks.submit(self._open_detector, store)
            self._opening.on_finished(lambda detector: self._opened(store, detector))
            self._opening.on_failed(self._open_failed)
        if self._timer.isActive() != was_polling:
            self.polling_changed.emit(self._timer.isActive())

    def _open_detector(self, store: Store) -> ChangeDetector:
        """Database thread: a detector, remembered at once so that none is ever lost."""
        detector = store.change_detector()
        self._open_detectors.add(detector)
        return detector

    def _opened(self, store: Store, detector: ChangeDetector) -> None:
        self._opening = None
        if store is not self._store:
            self._close_later(detector)
            return
        self._detector = detector
        self._update()

    def _open_failed(self, error: BaseException) -> None:
        self._opening = None  # live mode is off for this store
        self._tasks.report_failure("Watching the database for new traces", error)

    def _drop_detector(self) -> None:
        for task in (self._opening, self._poll):
            if task is not None:
                task.cancel()
        self._opening = self._poll = None
        self._failing = False
        if self._detector is not None:
            self._close_later(self._detector)
            self._detector = None

    def _close_later(self, detector: ChangeDetector) -> None:
        """Close `detector` in the database thread, after the reads queued before it."""
        if self._tasks.is_shut_down:
            return  # `shutdown` closes it
        task = self._tasks.submit(detector.close).describe("Closing the live-mode connection")
        task.on_finished(lambda _: self._open_detectors.discard(detector))

    def _tick(self) -> None:
        if self._poll is not None or self._detector is None:
            return  # the previous answer is still out: never queue a second poll
        detector = self._detector
        self._poll = self._tasks.submit(detector.changed)
        self._poll.on_finished(lambda changed: self._polled(detector, changed))
        self._poll.on_failed(lambda error: self._poll_failed(detector, error))

    def _polled(self, detector: ChangeDetector, changed: bool) -> None:
        if detector is not self._detector:
            return
        self._poll = None
        self._failing = False
        if changed:
            self.changed.emit()

    def _poll_failed(self, detector: ChangeDetector, error: BaseException) -> None:
        if detector is not self._detector:
            return
        self._poll = None  # asked again at the next tick
        if not self._failing:  # once, not every second while the database stays unreadable
            self._failing = True
            self._tasks.report_failure("Looking for new traces", error)
