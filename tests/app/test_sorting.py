"""Header clicks sort the trace list in SQL; keyset paging follows the new order to the end."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.traces.rows import Column
from app.traces.sorting import SortSpec
from tests.app.helpers import WAIT_MS, apply_filter, open_and_wait, select_experiment, shown_ids
from tests.app.synthetic import LOAD_TEST, SMALL, SyntheticDb

#: What the reader's keyset order means in plain SQL (missing values last, newest first on ties).
SQL_ORDER = {
    (Column.DURATION, "ASC"): "execution_time_ms IS NULL, execution_time_ms ASC,"
    " timestamp_ms DESC, request_id DESC",
    (Column.DURATION, "DESC"): "execution_time_ms IS NULL, execution_time_ms DESC,"
    " timestamp_ms DESC, request_id DESC",
    (Column.NAME, "ASC"): "trace_name IS NULL, trace_name ASC, timestamp_ms DESC, request_id DESC",
    (Column.STATE, "DESC"): "status DESC, timestamp_ms DESC, request_id DESC",
    (Column.TRACE_ID, "ASC"): "request_id ASC, timestamp_ms DESC",
    (Column.TOKENS, "DESC"): "total_tokens IS NULL, total_tokens DESC, timestamp_ms DESC,"
    " request_id DESC",
    (Column.REQUEST_TIME, "ASC"): "timestamp_ms ASC, request_id ASC",
}


def ids_in_order(db: Path, experiment_id: str, order: str, where: str = "1") -> list[str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            f"SELECT request_id FROM trace_info WHERE experiment_id = ? AND {where}"
            f" ORDER BY {order}",
            (int(experiment_id),),
        ).fetchall()
    connection.close()
    return [r[0] for r in rows]


def click_header(qtbot: QtBot, window: MainWindow, column: Column) -> None:
    """Click a column title like a user and wait for the re-sorted first page."""
    header = window.trace_view.horizontalHeader()
    window.trace_view.scrollTo(window.trace_model.index(0, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def fetch_all(qtbot: QtBot, window: MainWindow) -> list[str]:
    model = window.trace_model
    while model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(model.page_loaded, timeout=WAIT_MS):
            model.fetchMore(QModelIndex())
    return shown_ids(window)


@pytest.fixture
def shown(qtbot: QtBot, window: MainWindow, synthetic: SyntheticDb) -> MainWindow:
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, synthetic.path)
    select_experiment(qtbot, window, LOAD_TEST)
    return window


def indicator(window: MainWindow) -> tuple[int, Qt.SortOrder]:
    header = window.trace_view.horizontalHeader()
    return header.sortIndicatorSection(), header.sortIndicatorOrder()


def test_default_order_shows_its_indicator(shown: MainWindow) -> None:
    assert indicator(shown) == (Column.REQUEST_TIME, Qt.SortOrder.DescendingOrder)
    assert shown.trace_view.horizontalHeader().isSortIndicatorShown()


def test_duration_sorts_in_sql_through_every_page(
    qtbot: QtBot, shown: MainWindow, synthetic: SyntheticDb
) -> None:
    click_header(qtbot, shown, Column.DURATION)  # a first click: longest first
    assert indicator(shown) == (Column.DURATION, Qt.SortOrder.DescendingOrder)
    assert shown.trace_model.rowCount() == 100  # it paged again from the start
    expected = ids_in_order(synthetic.path, LOAD_TEST, SQL_ORDER[Column.DURATION, "DESC"])
    assert fetch_all(qtbot, shown) == expected and len(expected) == 3000
    click_header(qtbot, shown, Column.DURATION)  # a second click: shortest first
    assert indicator(shown) == (Column.DURATION, Qt.SortOrder.AscendingOrder)
    expected = ids_in_order(synthetic.path, LOAD_TEST, SQL_ORDER[Column.DURATION, "ASC"])
    assert fetch_all(qtbot, shown) == expected
    assert shown.trace_model.query is not None
    assert shown.trace_model.query.order_by == ("execution_time_ms ASC",)


@pytest.mark.parametrize(
    ("column", "clicks", "direction"),
    [
        (Column.NAME, 1, "ASC"),
        (Column.STATE, 2, "DESC"),
        (Column.TRACE_ID, 1, "ASC"),
        (Column.TOKENS, 1, "DESC"),
        (Column.REQUEST_TIME, 1, "ASC"),  # already sorted newest first: a click flips it
    ],
)
def test_each_sortable_column_matches_sql(
    qtbot: QtBot,
    shown: MainWindow,
    synthetic: SyntheticDb,
    column: Column,
    clicks: int,
    direction: str,
) -> None:
    shown.trace_model.page_size = 1000  # fewer round trips; paging itself is tested above
    for _ in range(clicks):
        click_header(qtbot, shown, column)
    expected = ids_in_order(synthetic.path, LOAD_TEST, SQL_ORDER[column, direction])
    assert fetch_all(qtbot, shown) == expected


def test_preview_columns_do_not_sort(qtbot: QtBot, shown: MainWindow) -> None:
    before = shown_ids(shown)
    header = shown.trace_view.horizontalHeader()
    shown.trace_view.scrollTo(shown.trace_model.index(0, Column.REQUEST))
    x = header.sectionViewportPosition(Column.REQUEST) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert indicator(shown) == (Column.REQUEST_TIME, Qt.SortOrder.DescendingOrder)
    assert not shown.trace_model.is_applying and shown_ids(shown) == before


def test_sort_and_filter_combine_and_a_newer_sort_wins(
    qtbot: QtBot, shown: MainWindow, synthetic: SyntheticDb
) -> None:
    apply_filter(qtbot, shown, "trace.status = 'ERROR'")
    view = shown.trace_view
    view.sort_requested.emit(SortSpec(Column.DURATION, Qt.SortOrder.AscendingOrder))
    with qtbot.waitSignal(shown.queries.applied, timeout=WAIT_MS) as blocker:
        view.sort_requested.emit(SortSpec(Column.NAME, Qt.SortOrder.DescendingOrder))
    assert blocker.args[0].order_by == ("name DESC",)  # the first sort's page was dropped
    order = "trace_name IS NULL, trace_name DESC, timestamp_ms DESC, request_id DESC"
    expected = ids_in_order(synthetic.path, LOAD_TEST, order, "status = 'ERROR'")
    assert fetch_all(qtbot, shown) == expected


def test_sort_is_kept_per_file_and_across_experiments(
    qtbot: QtBot,
    shown: MainWindow,
    synthetic: SyntheticDb,
    make_window: Callable[..., MainWindow],
) -> None:
    click_header(qtbot, shown, Column.TOKENS)
    select_experiment(qtbot, shown, SMALL)  # another experiment, same order
    expected = ids_in_order(synthetic.path, SMALL, SQL_ORDER[Column.TOKENS, "DESC"])
    assert shown_ids(shown) == expected
    shown.close()
    again = make_window()
    open_and_wait(qtbot, again, synthetic.path)
    assert indicator(again) == (Column.TOKENS, Qt.SortOrder.DescendingOrder)
    assert again.trace_model.query is not None
    assert again.trace_model.query.order_by == ("total_tokens DESC",)


def test_sort_spec_round_trips() -> None:
    for column in (Column.NAME, Column.DURATION, Column.TRACE_ID):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            spec = SortSpec(column, order)
            assert SortSpec.from_text(spec.to_text()) == spec
            assert SortSpec.from_order_by(spec.order_by()) == spec
    assert SortSpec().order_by() is None and SortSpec.from_text("nonsense") == SortSpec()
    for key in ("env", "team name", "odd`key"):
        spec = SortSpec(order=Qt.SortOrder.AscendingOrder, tag_key=key)
        assert SortSpec.from_text(spec.to_text()) == spec
    assert SortSpec(Column.COST).order_by() == ("total_cost DESC",)
