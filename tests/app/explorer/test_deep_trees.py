"""Deep span trees stay readable: every name keeps room for its first characters at any depth
(indentation shrinks, long names lose their middle), the Name/Timeline split is the user's and
is remembered, arrows stay clickable, and the Timeline header is a time axis."""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

import core
from app.explorer import TraceExplorer
from app.explorer.panel import SPLIT_KEYS
from app.main_window import MainWindow
from app.spans.axis import SpanHeader, axis_labels
from app.spans.delegate import SpanDelegate, timeline_track, track_x
from app.spans.model import SPAN_ROLE, Column
from app.spans.name_fit import INDENT, LEAST_TIMELINE, MIN_INDENT, MIN_NAME_CHARS, NameFit
from app.spans.tree import build_tree
from app.spans.view import ARROW, NAME_WIDTH_KEY, SpanTreePanel, SpanTreeView
from app.tasks import TaskRunner
from core import tracking
from core.entities import Span
from core.store.store import Store
from tests.app.explorer.data import NESTED
from tests.app.helpers import WAIT_MS, Shot, open_and_wait

#: One name per level, top first: short and long, the deepest fails (and only it).
NAMES = (
    "customer support agent",
    "plan the answer",
    "retrieve_documents_from_the_vector_store",
    "rerank the retrieved passages",
    "call the search tool",
    "summarize_search_results_for_the_user",
    "chat model call",
    "parse the model output",
    "validate the json schema",
    "nested retry loop (attempt 3)",
    "inner step of the retry",
    "a very deep helper function with a long name",
    "deepest failing step",
)
DEEPEST = NAMES[-1]


@pytest.fixture
def deep_db(tmp_path: Path) -> Iterator[Path]:
    """A database with one trace 13 levels deep, written with core's tracing API."""
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    try:
        with ExitStack() as stack:
            for name in NAMES[:-1]:
                stack.enter_context(core.start_span(name, span_type="CHAIN"))
            try:
                with core.start_span(DEEPEST, span_type="TOOL"):
                    raise RuntimeError("the tool timed out")
            except RuntimeError:
                pass  # the agent carries on: only the deepest span failed
        core.flush_trace_async_logging()
        yield path
    finally:
        tracking.reset()


def open_deep_trace(qtbot: QtBot, window: MainWindow, db: Path, width: int, height: int) -> None:
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db)
    assert window.trace_model.rowCount() == 1
    signals = [window.explorer.trace_loaded, window.explorer.detail.rendered]
    with qtbot.waitSignals(signals, timeout=WAIT_MS):
        window.show_trace(str(window.trace_model.trace_id(0)))
    qtbot.wait(50)  # late layout requests, as a user's screen would have them


def rows(view: SpanTreeView) -> list[QModelIndex]:
    """Every row shown, top to bottom (the tree opens fully expanded)."""
    found = []
    index = view.model().index(0, Column.NAME)
    while index.isValid():
        found.append(index)
        index = view.indexBelow(index)
    return found


def ink_width(image: QImage, left: int, top: int, width: int, height: int) -> int:
    """How wide the drawn text in a box is: the columns holding a pixel far from the box's
    most common colour (its background)."""
    counts: dict[int, int] = {}
    for x in range(left, left + width):
        for y in range(top, top + height):
            counts[image.pixel(x, y)] = counts.get(image.pixel(x, y), 0) + 1
    background = QColor.fromRgb(max(counts, key=lambda c: counts[c]))

    def far(x: int, y: int) -> bool:
        color = image.pixelColor(x, y)
        return (
            abs(color.red() - background.red())
            + abs(color.green() - background.green())
            + abs(color.blue() - background.blue())
            > 200
        )

    inked = [
        x for x in range(left, left + width) if any(far(x, y) for y in range(top, top + height))
    ]
    return inked[-1] - inked[0] + 1 if inked else 0


def delegate_of(view: SpanTreeView) -> SpanDelegate:
    delegate = view.itemDelegate()
    assert isinstance(delegate, SpanDelegate)
    return delegate


def assert_shows(shown: str, name: str) -> None:
    """`shown` is `name`, or its two ends around an ellipsis. The room is `MIN_NAME_CHARS`
    average letters; Qt's elision leaves at least two fewer of the name's own (wide letters)."""
    if shown == name:
        return
    head, ellipsis, tail = shown.partition("…")
    assert ellipsis and name.startswith(head) and name.endswith(tail), shown
    assert len(head) + len(tail) >= MIN_NAME_CHARS - 2, shown


def assert_names_readable(view: SpanTreeView) -> None:
    """Every row's name cell: inside the viewport, room for `MIN_NAME_CHARS` average characters,
    its text shown from its first and to its last characters, and drawn on screen."""
    delegate = delegate_of(view)
    metrics = view.fontMetrics()
    least = MIN_NAME_CHARS * metrics.averageCharWidth()
    image = view.viewport().grab().toImage()
    scale = image.devicePixelRatio()
    name_right = view.columnViewportPosition(Column.NAME) + view.columnWidth(Column.NAME)
    assert 0 < name_right <= view.viewport().width()  # no sideways scrolling to read names
    for index in rows(view):
        span = index.data(SPAN_ROLE)
        assert isinstance(span, Span)
        box = delegate.text_box(view, index)
        assert box.left() >= 0 and box.right() < name_right, span.name
        assert box.width() >= least, span.name
        shown = delegate.shown_text(view, index)
        assert_shows(shown, span.name)
        drawn = ink_width(
            image,
            round(box.left() * scale),
            round(box.top() * scale),
            round(box.width() * scale),
            round(box.height() * scale),
        )
        assert drawn >= 0.8 * metrics.horizontalAdvance(shown) * scale, span.name


# -- the real window ------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1280, 780), (1920, 1080)])
def test_every_name_is_readable_in_a_13_level_trace(
    qtbot: QtBot, window: MainWindow, deep_db: Path, shot: Shot, width: int, height: int
) -> None:
    open_deep_trace(qtbot, window, deep_db, width, height)
    view = window.explorer.spans.view
    found = rows(view)
    assert [i.data() for i in found] == list(NAMES)
    assert MIN_INDENT <= view.indentation() <= INDENT
    assert_names_readable(view)
    deepest = found[-1]
    assert deepest.data(SPAN_ROLE).status_code == "ERROR"
    assert delegate_of(view).shown_text(view, deepest).startswith("deepe")  # not just "!"
    shot(window, f"deep-{width}x{height}")


def test_the_tooltip_has_the_full_name_and_path(
    qtbot: QtBot, window: MainWindow, deep_db: Path
) -> None:
    open_deep_trace(qtbot, window, deep_db, 1280, 780)
    deepest = rows(window.explorer.spans.view)[-1]
    tip = html.unescape(deepest.data(Qt.ItemDataRole.ToolTipRole))
    assert DEEPEST in tip and "Error: RuntimeError: the tool timed out" in tip
    assert f"Path: {' → '.join(NAMES[:-1])}  (depth 12)" in tip


# -- the span tree on its own: deeper trees, the split, arrows, the axis -------------------


def chain(depth: int, name: str = "step number {level} of the chain") -> list[Span]:
    """A single chain of spans `depth` levels below the root, the last one failed."""
    spans = []
    for level in range(depth + 1):
        spans.append(
            Span(
                trace_id="tr-deep",
                span_id=f"{level:016x}",
                parent_id=f"{level - 1:016x}" if level else None,
                name=name.format(level=level),
                span_type="CHAIN",
                status_code="ERROR" if level == depth else "OK",
                start_time_ns=level * 1_000,
                end_time_ns=2_000_000 - level * 1_000,
                document="{}",
            )
        )
    return spans


@pytest.fixture
def panel(qtbot: QtBot) -> SpanTreePanel:
    widget = SpanTreePanel()
    qtbot.addWidget(widget)
    widget.resize(494, 300)  # about the tree's width in a 1280 x 780 window
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.mark.parametrize("depth", [0, 3, 12, 25, 40])
def test_names_keep_their_room_at_any_depth(qtbot: QtBot, panel: SpanTreePanel, depth: int) -> None:
    panel.show_tree(build_tree(chain(depth)))
    view = panel.view
    qtbot.waitUntil(lambda: view.columnWidth(Column.NAME) >= view.name_fit.floor())
    delegate = delegate_of(view)
    least = MIN_NAME_CHARS * view.fontMetrics().averageCharWidth()
    for index in rows(view):
        assert delegate.text_box(view, index).width() >= least
        assert_shows(delegate.shown_text(view, index), index.data())
    if depth <= 12:  # deeper than that, the timeline scrolls into view sideways
        timeline = view.header().sectionViewportPosition(Column.TIMELINE)
        assert timeline + 40 <= view.viewport().width()


def test_shallow_trees_keep_full_steps(qtbot: QtBot, panel: SpanTreePanel) -> None:
    panel.resize(900, 300)
    panel.show_tree(build_tree(chain(3)))
    qtbot.waitUntil(lambda: panel.view.viewport().width() > 850)
    assert panel.view.indentation() == INDENT  # ordinary traces look as they always did
    assert delegate_of(panel.view).shown_text(panel.view, rows(panel.view)[-1]) == (
        "step number 3 of the chain"
    )


@pytest.mark.parametrize("depth", range(0, 61, 3))
@pytest.mark.parametrize("room", [120, 241, 551, 1200])
def test_the_name_fit_never_squeezes_the_text(depth: int, room: int) -> None:
    fit = NameFit(levels=depth + 1, chrome=28, min_text=85, widest_text=260)
    for chosen in (None, 60, 300):
        width = fit.width(room, chosen)
        step = fit.indentation(width)
        assert MIN_INDENT <= step <= INDENT
        assert width - fit.levels * step - fit.chrome >= fit.min_text
        if fit.floor() <= room - LEAST_TIMELINE:
            assert room - width >= LEAST_TIMELINE  # the timeline keeps its room when names can


def drag(widget: QWidget, start: QPoint, end: QPoint) -> None:
    """A left-button drag as a mouse makes it: press, moves with the button held, release."""
    button, held = Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    events = [(QMouseEvent.Type.MouseButtonPress, start, held)]
    steps = 6
    for step in range(1, steps + 1):
        point = start + (end - start) * step / steps
        events.append((QMouseEvent.Type.MouseMove, point, held))
    events.append((QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton))
    for kind, point, buttons in events:
        global_point = widget.mapToGlobal(point)
        event = QMouseEvent(
            kind,
            point.toPointF(),
            global_point.toPointF(),
            Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else button,
            buttons,
            none,
        )
        QApplication.sendEvent(widget, event)


def test_the_user_drags_the_name_timeline_split_and_it_is_remembered(
    qtbot: QtBot, panel: SpanTreePanel
) -> None:
    panel.resize(900, 340)  # the 12 rows below the filter and search bars
    panel.show_tree(build_tree(chain(12)))
    view = panel.view
    header = view.header()
    qtbot.waitUntil(lambda: view.viewport().width() > 850)
    before = view.columnWidth(Column.NAME)
    edge = header.sectionViewportPosition(Column.NAME) + before - 1
    y = header.height() // 2
    drag(header.viewport(), QPoint(edge, y), QPoint(edge + 60, y))
    assert view.columnWidth(Column.NAME) == before + 60
    assert int(QSettings().value(NAME_WIDTH_KEY)) == before + 60
    step = view.indentation()

    drag(header.viewport(), QPoint(edge + 60, y), QPoint(5, y))  # far too narrow: the floor
    floor = view.name_fit.floor()
    assert view.columnWidth(Column.NAME) == floor
    assert view.indentation() == MIN_INDENT <= step
    assert_names_readable(view)

    edge = header.sectionViewportPosition(Column.NAME) + floor - 1
    drag(header.viewport(), QPoint(edge, y), QPoint(edge + 90, y))
    again = SpanTreePanel()  # another session: the width the user chose
    qtbot.addWidget(again)
    again.resize(900, 300)
    again.show()
    again.show_tree(build_tree(chain(2)))
    qtbot.waitUntil(lambda: again.view.viewport().width() > 850)
    assert again.view.columnWidth(Column.NAME) == floor + 90


def test_small_indentation_keeps_full_size_arrows_that_click(
    qtbot: QtBot, panel: SpanTreePanel
) -> None:
    panel.show_tree(build_tree(chain(30)))
    view = panel.view
    assert view.indentation() == MIN_INDENT
    parent = rows(view)[10]
    item = view.visualRect(parent)
    arrow = QPoint(item.left() - 7, item.center().y())  # left of Qt's own 5-pixel step
    assert view.arrow_at(arrow) == parent
    image = view.viewport().grab().toImage()
    background = image.pixelColor(item.left() + item.width() - 2, item.bottom())
    drawn = [
        x
        for x in range(item.left() - 8, item.left())
        for y in range(item.top(), item.bottom())
        if image.pixelColor(x, y).lightness() < background.lightness() - 60
    ]
    assert len(set(drawn)) >= ARROW - 1  # a full arrow; the style squeezes it to 5 pixels
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    assert not view.isExpanded(parent)
    assert view.currentIndex() != parent  # as with Qt's own arrows: no selection
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    assert view.isExpanded(parent)


def test_the_timeline_header_is_a_time_axis(qtbot: QtBot, panel: SpanTreePanel) -> None:
    panel.resize(1100, 300)
    panel.show_tree(build_tree(chain(3)))  # 2 ms long
    header = panel.view.header()
    assert isinstance(header, SpanHeader)
    qtbot.waitUntil(lambda: panel.view.columnWidth(Column.TIMELINE) > 400)
    labels = header.labels()
    assert [label.text for label in labels] == ["0", "500 µs", "1.00 ms", "1.50 ms", "2.00 ms"]
    section = header.sectionViewportPosition(Column.TIMELINE)
    track = timeline_track(QRect(section, 0, header.sectionSize(Column.TIMELINE), header.height()))
    end = labels[-1]
    assert end.left + end.width == track_x(track, 1.0)  # right-aligned on the last grid line
    middle = labels[2]
    assert abs(middle.left + middle.width // 2 - track_x(track, 0.5)) <= 1
    image = header.grab().toImage()
    scale = image.devicePixelRatio()
    for label in labels:
        drawn = ink_width(
            image,
            round(label.left * scale),
            round(2 * scale),
            round(label.width * scale),
            round((header.height() - 8) * scale),
        )
        assert drawn >= 0.7 * label.width * scale, label.text
    assert "2.00 ms" in header.model().headerData(
        Column.TIMELINE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )


def test_a_narrow_axis_keeps_the_end_first() -> None:
    def width_of(text: str) -> int:
        return 7 * len(text)

    for width in range(10, 600, 7):
        labels = axis_labels(2_000_000, QRect(0, 0, width, 20), width_of)
        texts = [label.text for label in labels]
        if width >= 7 * len("2.00 ms"):
            assert "2.00 ms" in texts
        for first, second in itertools.pairwise(labels):
            assert first.left + first.width + 8 <= second.left  # never touching
        assert all(label.left >= -4 and label.left + label.width <= width + 4 for label in labels)


# -- the explorer's tree/detail split --------------------------------------------------------


def tree_share(explorer: TraceExplorer) -> float:
    sizes = explorer.splitter.sizes()
    return sizes[0] / sum(sizes)


def test_the_tree_detail_split_is_remembered(
    qtbot: QtBot, runner: TaskRunner, db318: Path, open_store: Callable[[Path], Store]
) -> None:
    store = open_store(db318)

    def open_explorer() -> TraceExplorer:
        explorer = TraceExplorer(runner)
        qtbot.addWidget(explorer)
        explorer.resize(600, 900)  # tall: the tree above the detail
        explorer.show()
        with qtbot.waitSignal(explorer.trace_loaded, timeout=WAIT_MS):
            explorer.show_trace(store, NESTED)
        qtbot.waitUntil(lambda: explorer.splitter.orientation() == Qt.Orientation.Vertical)
        return explorer

    first = open_explorer()
    default = tree_share(first)
    handle = first.splitter.handle(1)
    start = QPoint(handle.width() // 2, handle.height() // 2)
    drag(handle, start, start + QPoint(0, 200))
    assert tree_share(first) > default + 0.1
    stored = float(QSettings().value(SPLIT_KEYS[Qt.Orientation.Vertical]))
    assert stored == pytest.approx(tree_share(first), abs=0.01)

    second = open_explorer()  # another session: the split the user chose, not the default
    assert tree_share(second) == pytest.approx(stored, abs=0.02)
