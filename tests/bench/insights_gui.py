"""Child process: the Insights tab drawing each of its views of one experiment, its GUI thread
watched for stalls (`StallProbe`).

    python -m tests.bench.insights_gui STORE EXPERIMENT_ID

STORE is an SQLite path or a database URL. The page is shown at 1280x780 and read afresh on
"All time" (every chart and table), then each breakdown is picked in turn (trace name, status,
span type, model, tag `env`, none again) as a user would with the Breakdown box: each of those
reads its series (the tables answer the range, already read). Each step is timed from the pick
until the charts are painted (`charts_drawn`), and until the tables are too (`loaded`), and its
longest GUI stall kept.

Prints one JSON object: per step, seconds to the charts drawn, to everything drawn, and the
longest stall (ms).
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from PySide6.QtWidgets import QApplication

from app.insights.page import InsightsPage
from app.tasks import TaskRunner
from core.client import Client
from core.store import Store
from tests.bench.gui import StallProbe, print_child_figures, wait_signal, wait_until

STEPS = (
    ("none", None),
    ("trace name", "name"),
    ("status", "status"),
    ("span type", "span.type"),
    ("model", "span.model"),
    ("tag env", "tag"),
)
SIZE = (1280, 780)


def _drawn(page: InsightsPage, pick: Any) -> tuple[float, float]:
    """Seconds from `pick()` until the charts are on screen, and until the whole answer is
    (the tables too; painted, not only set)."""
    charts: list[float] = []

    def painted() -> None:
        page.repaint()  # the paint the answer posted, done now rather than at the next frame
        charts.append(time.perf_counter())

    page.charts_drawn.connect(painted)
    started = time.perf_counter()
    wait_signal(page.loaded, pick)
    page.repaint()
    QApplication.processEvents()
    done = time.perf_counter()
    page.charts_drawn.disconnect(painted)
    return (charts[0] if charts else done) - started, done - started


def measure(location: str, experiment_id: str) -> dict[str, Any]:
    tasks = TaskRunner()
    store = Store.open(location)
    page = InsightsPage(tasks)
    page.resize(*SIZE)
    page.show()
    gc.freeze()  # as `tracedesk` does once its window exists
    page.set_client(Client(store=store))
    page.set_experiment(experiment_id)
    wait_until(lambda: page.shown is not None)
    probe = StallProbe()
    steps: dict[str, dict[str, float]] = {}

    def pick(name: str, by: str | None) -> None:
        """As a user: Range → All time read afresh (`refresh` drops the cache), then each
        breakdown picked in the Breakdown box."""
        if name == "all time":
            page.range_box.setCurrentIndex(page.range_box.findData("all"))
            page.refresh()
            return
        if by == "tag":
            page.tag_box.setEditText("env")
        page.breakdown_box.setCurrentIndex(page.breakdown_box.findData(by))

    for name, by in (("all time", None), *STEPS[1:], STEPS[0]):
        probe.start()
        charts_s, seconds = _drawn(page, lambda name=name, by=by: pick(name, by))
        steps[name] = {"charts_s": charts_s, "s": seconds, "stall_ms": probe.stop()}
    shown = page.shown
    figures = {
        "steps": steps,
        "traces": sum(row.traces for row in shown.series) if shown else 0,
        "buckets": len(page.charts.layout_data.slots) if page.charts.layout_data else 0,
    }
    page.close()
    tasks.shutdown()
    store.close()
    return figures


def main(argv: list[str]) -> None:
    location, experiment_id = argv
    print_child_figures(lambda: measure(location, experiment_id))


if __name__ == "__main__":
    main(sys.argv[1:])
