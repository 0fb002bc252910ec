"""The trace list's columns and menus on the real window: the column chooser (header menu, View →
Columns), tag, assessment, session, user and cost columns, the choice kept per database, the row
menu's "filter by this value", filtering from the explorer header, and the first layout."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu
from pytestqt.qtbot import QtBot

from app.explorer.header import FilterChip
from app.main_window import MainWindow
from app.traces import terms
from app.traces.rows import Column
from core.entities import TraceRowExtras
from core.store import Store
from tests.app.helpers import WAIT_MS, open_and_wait, select_experiment, shown_ids

CUSTOM_TRACING, EVALUATION = "1", "2"
OUTER, MY_SPAN, COOL, SOME, SPAN = (
    "tr-8a3d93a26e8534bbd41731f1c1a5d860",  # newest first, as the list shows them
    "tr-a5680d8a83e0c24b8a431f69a6dc3cad",
    "tr-8994d05b63f61f086eee7e8a1d4106e8",
    "tr-31ad54ea3af264d5199108941f35bdac",
    "tr-9729c509c999a70f05e3f59e6457fca5",
)
AWKWARD_KEY, AWKWARD_VALUE = "team name", "it's ours"
DEFAULT_COLUMNS = ["Trace ID", "Name", "State", "Request time", "Duration", "Tokens"]
DEFAULT_COLUMNS += ["Request", "Response"]


@pytest.fixture
def db(db318: Path) -> Path:
    """The 3.18 tutorial copy with user tags, a user, a session, a cost and an error."""
    connection = sqlite3.connect(db318)
    with connection:
        connection.executemany(
            "INSERT INTO trace_tags (key, value, request_id) VALUES (?, ?, ?)",
            [
                ("env", "prod", OUTER),
                ("env", "prod", COOL),
                ("env", "dev", SOME),
                (AWKWARD_KEY, AWKWARD_VALUE, MY_SPAN),
            ],
        )
        connection.execute(
            "INSERT INTO trace_request_metadata (key, value, request_id) VALUES (?, ?, ?)",
            ("mlflow.trace.user", "alice", OUTER),
        )
        connection.execute(
            "UPDATE trace_info SET session_id = 's-1', total_cost = 0.0123 WHERE request_id = ?",
            (OUTER,),
        )
        connection.execute("UPDATE trace_info SET status = 'ERROR' WHERE request_id = ?", (SPAN,))
    connection.close()
    return db318


def opened(qtbot: QtBot, window: MainWindow, db: Path, experiment: str) -> MainWindow:
    window.show()
    qtbot.waitExposed(window)
    open_and_wait(qtbot, window, db)
    select_experiment(qtbot, window, experiment)
    return window


def headers(window: MainWindow) -> list[str]:
    """The titles of the columns shown, left to right."""
    view, model = window.trace_view, window.trace_model
    header = view.horizontalHeader()
    logical = [header.logicalIndex(v) for v in range(header.count())]
    return [
        str(model.headerData(c, Qt.Orientation.Horizontal))
        for c in logical
        if not view.isColumnHidden(c)
    ]


def cell(window: MainWindow, trace_id: str, title: str) -> str:
    model = window.trace_model
    row = model.row_of(trace_id)
    assert row is not None
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return str(model.index(row, titles.index(title)).data())


def action(menu: QMenu, *path: str) -> QAction:
    """The action at `path` (submenu titles, then the action's text, without mnemonics)."""
    for name in path:
        found = next((a for a in menu.actions() if a.text().replace("&", "") == name), None)
        assert found is not None, f"{name!r} not in {[a.text() for a in menu.actions()]}"
        if found.menu() is None:
            return found
        menu = found.menu()
    return menu.menuAction()


def submenu(menu: QMenu, *path: str) -> QMenu:
    found = action(menu, *path).menu()
    assert isinstance(found, QMenu)
    return found


def header_menu(qtbot: QtBot, window: MainWindow) -> QMenu:
    """Right-click the list's header; the column chooser it opens."""
    header = window.trace_view.horizontalHeader()
    where = QPoint(20, header.height() // 2)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where, header.mapToGlobal(where))
    QApplication.sendEvent(header.viewport(), event)
    menu = window.list_menus.last_menu
    assert menu is not None and menu.isVisible()
    menus = window.list_menus
    qtbot.waitUntil(lambda: menus.list_keys is not None, timeout=WAIT_MS)
    menus.fill_columns_menu(menu)  # with the keys read meanwhile
    return menu


def row_menu(window: MainWindow, trace_id: str, title: str) -> QMenu:
    """Right-click the cell of `trace_id` in the column titled `title`; the row menu."""
    view, model = window.trace_view, window.trace_model
    row = model.row_of(trace_id)
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    index = model.index(row, column.index(title))
    view.scrollTo(index)
    where = view.visualRect(index).center()
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, where, view.viewport().mapToGlobal(where)
    )
    QApplication.sendEvent(view.viewport(), event)
    menu = window.list_menus.last_menu
    assert menu is not None and menu.isVisible()
    return menu


def choose(qtbot: QtBot, window: MainWindow, menu: QMenu, *path: str, reads: bool = True) -> None:
    """Check the column at `path` in a column chooser; wait for the list read with it (a
    built-in column that needs nothing more than `trace_info` just shows: `reads=False`)."""
    chosen = action(menu, *path)
    assert chosen.isCheckable() and not chosen.isChecked()
    if not reads:
        chosen.trigger()
        return
    with qtbot.waitSignal(window.trace_model.query_applied, timeout=WAIT_MS):
        chosen.trigger()


def test_a_tag_column_from_the_header_menu_is_kept_for_the_file(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db: Path
) -> None:
    window = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    assert "env" not in headers(window)
    menu = header_menu(qtbot, window)
    tags = submenu(menu, "Tags")
    keys = [a.text().replace("&&", "&") for a in tags.actions()]
    assert keys[:2] == ["env", AWKWARD_KEY]  # the user's own keys before MLflow's
    assert "mlflow.artifactLocation" in keys
    choose(qtbot, window, menu, "Tags", "env")
    assert headers(window)[-1] == "env"
    bar = window.trace_view.horizontalScrollBar()  # the previews made room for it
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=WAIT_MS)
    assert [cell(window, t, "env") for t in (OUTER, MY_SPAN, COOL, SOME)] == [
        "prod",
        "",
        "prod",
        "dev",
    ]
    model = window.trace_model
    assert model.query is not None and model.query.extras.tag_keys == ("env",)
    choose(qtbot, window, header_menu(qtbot, window), "Session", reads=False)
    assert "Session" in headers(window) and cell(window, OUTER, "Session") == "s-1"
    window.close()

    again = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    assert "env" in headers(again) and "Session" in headers(again)
    assert cell(again, OUTER, "env") == "prod"
    hide = action(header_menu(qtbot, again), "Tags", "env")
    assert hide.isChecked()
    with qtbot.waitSignal(again.trace_model.query_applied, timeout=WAIT_MS):
        hide.trigger()
    assert "env" not in headers(again)


def test_assessment_user_and_cost_columns_from_the_view_menu(
    qtbot: QtBot, window: MainWindow, db: Path, qtmodeltester: object
) -> None:
    opened(qtbot, window, db, EVALUATION)
    menu = window.menu_actions.columns_menu
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert menu.menuAction() in view_menu.actions()  # keyboard: Alt+V, then Columns
    qtbot.waitUntil(lambda: window.list_menus.list_keys is not None, timeout=WAIT_MS)
    menu.aboutToShow.emit()
    names = [a.text() for a in submenu(menu, "Assessments").actions()]
    assert names == ["exp", "exp_out", "expected_response", "some_check"]
    choose(qtbot, window, menu, "Assessments", "some_check")
    menu.aboutToShow.emit()
    choose(qtbot, window, menu, "Assessments", "expected_response")
    menu.aboutToShow.emit()
    choose(qtbot, window, menu, "User")
    assert headers(window)[-3:] == ["User", "some_check", "expected_response"]
    chat = "tr-358353f073e97a4a2cac5d7984bd4d01"
    assert cell(window, chat, "some_check") == "Fail"
    assert cell(window, "tr-a92633126425ff7dc2c1b46ac10ea751", "some_check") == "Pass"
    assert cell(window, chat, "expected_response") == "William Shakespeare"
    assert cell(window, chat, "User") == "root"  # mlflow.user when mlflow.trace.user is unset
    model = window.trace_model
    row = model.row_of(chat)
    assert row is not None
    verdict = model.index(row, len(Column)).data(Qt.ItemDataRole.ForegroundRole)
    assert verdict is not None  # pass and fail are coloured like the states
    qtmodeltester.check(model)  # type: ignore[attr-defined]

    select_experiment(qtbot, window, CUSTOM_TRACING)  # the choice is the file's, not the list's
    assert cell(window, OUTER, "User") == "alice" and cell(window, OUTER, "some_check") == ""
    menu.aboutToShow.emit()
    choose(qtbot, window, menu, "Cost")
    assert cell(window, OUTER, "Cost") == "$0.0123" and cell(window, MY_SPAN, "Cost") == ""


def test_filter_by_this_value_from_the_row_menu(qtbot: QtBot, window: MainWindow, db: Path) -> None:
    opened(qtbot, window, db, CUSTOM_TRACING)
    menu = row_menu(window, SPAN, "State")
    assert action(menu, "Open Trace").isEnabled() and action(menu, "Export Trace…").isEnabled()
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        action(menu, "Filter by trace.status = 'ERROR'").trigger()
    assert window.query_bar.text == "trace.status = 'ERROR'"
    assert shown_ids(window) == [SPAN]

    window.query_bar.set_text("")
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        window.query_bar.submitted.emit("")
    choose(qtbot, window, header_menu(qtbot, window), "Tags", AWKWARD_KEY)
    menu = row_menu(window, MY_SPAN, AWKWARD_KEY)
    expected = "tag.`team name` = 'it''s ours'"
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        action(menu, f"Filter by {expected}").trigger()
    assert window.query_bar.text == expected and shown_ids(window) == [MY_SPAN]

    menu = row_menu(window, MY_SPAN, "Name")  # another value of the row: the filter narrows
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        action(menu, "Filter by trace.name = 'my_span'").trigger()
    assert window.query_bar.text == f"{expected} AND trace.name = 'my_span'"
    assert shown_ids(window) == [MY_SPAN]


def test_row_menu_commands_and_the_menu_key(
    qtbot: QtBot, window: MainWindow, db: Path, tmp_path: Path
) -> None:
    opened(qtbot, window, db, CUSTOM_TRACING)
    menu = row_menu(window, COOL, "Request time")
    assert not action(menu, "Filter by This Value").isEnabled()  # no value to compare
    others = [a.text() for a in submenu(menu, "Filter by").actions()]
    assert others == ["trace.name = 'my_cool_span'", "trace.status = 'OK'"]
    action(menu, "Copy Trace ID").trigger()
    assert QGuiApplication.clipboard().text() == COOL
    target = tmp_path / "cool.json"
    suggested: list[str] = []

    def ask_export_path(proposal: str) -> str:  # instead of the save dialog
        suggested.append(proposal)
        return str(target)

    window.commands.ask_export_path = ask_export_path  # type: ignore[method-assign]
    with qtbot.waitSignal(window.commands.exported, timeout=WAIT_MS):
        action(menu, "Export Trace…").trigger()  # the row's trace, not the explorer's (none)
    assert suggested[0].endswith(f"{COOL}.json") and COOL in target.read_text("utf-8")
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        action(menu, "Open Trace").trigger()
    assert window.shown_trace_id == COOL and window.trace_view.selected_trace_id() == COOL

    view = window.trace_view
    view.setFocus()
    center = view.visualRect(view.currentIndex()).center()
    key = QContextMenuEvent(
        QContextMenuEvent.Reason.Keyboard, center, view.viewport().mapToGlobal(center)
    )
    QApplication.sendEvent(view.viewport(), key)
    menu = window.list_menus.last_menu
    assert menu is not None and action(menu, "Copy Trace ID").isEnabled()
    menu.close()
    qtbot.keyClick(view, Qt.Key.Key_Escape)  # closes the trace: the list has the width back
    assert window.shown_trace_id is None and not window.workspace.explorer_open


def test_click_a_tag_in_the_explorer_header_to_filter(
    qtbot: QtBot, window: MainWindow, db: Path
) -> None:
    opened(qtbot, window, db, CUSTOM_TRACING)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)  # OUTER: env = prod, mlflow.trace.user = alice
    header = window.explorer.header
    header.tags_section.toggle.click()
    chips = [header.chips.itemAt(i).widget() for i in range(header.chips.count())]
    env = next(c for c in chips if isinstance(c, FilterChip) and c.text() == "env: prod")
    usage = [c for c in chips if c.text().startswith("mlflow.trace.tokenUsage")]
    assert all(not isinstance(c, FilterChip) for c in usage)  # compared with IS NULL only
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.mouseClick(env, Qt.MouseButton.LeftButton)
    assert window.query_bar.text == "tag.env = 'prod'"
    assert shown_ids(window) == [OUTER, COOL]
    user = next(c for c in chips if c.text() == "mlflow.trace.user: alice")
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.mouseClick(user, Qt.MouseButton.LeftButton)
    assert window.query_bar.text == "tag.env = 'prod' AND metadata.mlflow.trace.user = 'alice'"
    assert shown_ids(window) == [OUTER]


def test_header_chips_filter_from_the_keyboard(qtbot: QtBot, window: MainWindow, db: Path) -> None:
    """Tab reaches the header's section toggle and its chips; Space opens, Enter filters."""
    opened(qtbot, window, db, CUSTOM_TRACING)
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        window.trace_view.select_row(0)  # OUTER: env = prod
    header = window.explorer.header
    toggle = header.tags_section.toggle
    window.activateWindow()
    toggle.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(toggle.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(toggle, Qt.Key.Key_Space)
    assert header.tags_section.body.isVisible()
    for _ in range(60):  # Tab along the chips to env's
        focused = QApplication.focusWidget()
        if isinstance(focused, FilterChip) and focused.text() == "env: prod":
            break
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    else:
        pytest.fail("Tab never reached the env chip")
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.keyClick(focused, Qt.Key.Key_Return)
    assert window.query_bar.text == "tag.env = 'prod'"


def test_first_layout_gives_the_list_the_width(
    qtbot: QtBot, window: MainWindow, db: Path, shot: Callable[..., Path]
) -> None:
    for width, height in ((1280, 780), (1920, 1080)):
        window.resize(width, height)
        opened(qtbot, window, db, EVALUATION)
        view = window.trace_view
        assert not window.workspace.explorer_open  # no "Select a trace" pane
        bar = view.horizontalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=WAIT_MS)  # noqa: B023 - waited here
        assert headers(window) == DEFAULT_COLUMNS
        header = view.horizontalHeader()
        for column in range(window.trace_model.columnCount()):
            if not view.isColumnHidden(column):  # every one wholly in view
                right = header.sectionViewportPosition(column) + header.sectionSize(column)
                assert right <= view.viewport().width() + 1
        shot(window, f"list-{width}")
        with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
            view.select_row(3)
        list_width, explorer_width = window.workspace.sizes()
        assert list_width > explorer_width  # the explorer starts the narrower pane
        shot(window, f"list-{width}-trace")
        view.clearSelection()


def test_one_query_per_page_for_tags_metadata_and_assessments(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(db)
    try:
        reader = store.reader
        statements: list[object] = []
        run = reader.rows

        def counted(statement: object) -> list[object]:
            statements.append(statement)
            return run(statement)

        monkeypatch.setattr(reader, "rows", counted)
        extras = TraceRowExtras(("env",), ("mlflow.trace.user",), ("some_check",))
        page = reader.trace_page(None, extras=extras, limit=4)
        assert len(statements) == 2 and len(page.rows) == 4  # the page, then one for all extras
        statements.clear()
        plain = reader.trace_page(None, limit=4)
        assert len(statements) == 1 and plain.rows[0].tags == {}
        after = reader.trace_page(None, extras=extras, after=page.next_key, limit=100)
        found = {r.trace_id: r for r in (*page.rows, *after.rows)}
        assert found[OUTER].tags == {"env": "prod"}
        assert found[OUTER].metadata == {"mlflow.trace.user": "alice"}
        assert found[OUTER].total_cost == pytest.approx(0.0123)
        check = found["tr-358353f073e97a4a2cac5d7984bd4d01"].assessments["some_check"]
        assert (check.assessment_type, check.value, check.failed) == ("feedback", False, False)
        keys = reader.trace_list_keys([CUSTOM_TRACING])
        assert "env" in keys.tag_keys and keys.assessment_names == ()
    finally:
        store.close()


def test_older_layouts_list_with_every_column(db31: Path) -> None:
    """MLflow 3.1: no assessments table, no cost column; the extras still read."""
    store = Store.open(db31)
    try:
        extras = TraceRowExtras(("mlflow.traceName",), ("mlflow.user",), ("some_check",))
        page = store.reader.trace_page(None, extras=extras, limit=3)
        assert page.rows and all(r.assessments == {} and r.total_cost is None for r in page.rows)
        assert all(r.metadata.get("mlflow.user") for r in page.rows)
        assert store.reader.trace_list_keys(None).assessment_names == ()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (terms.equals("tag", "env", "prod"), "tag.env = 'prod'"),
        (terms.equals("tag", "mlflow.traceName", "x"), "tag.mlflow.traceName = 'x'"),
        (terms.equals("tag", "a-b`c", "it's"), "tag.`a-b``c` = 'it''s'"),
        (terms.assessment_term("feedback", "ok", True), "feedback.ok = TRUE"),
        (terms.assessment_term("feedback", "score", 0.5), "feedback.score = 0.5"),
        (terms.assessment_term("expectation", "x", {"a": 1}), ""),
        (terms.add_term("a = 'x' OR b = 'y'", "c = 'z'"), "(a = 'x' OR b = 'y') AND c = 'z'"),
        (terms.add_term("a = 'x' AND c = 'z'", "c = 'z'"), "a = 'x' AND c = 'z'"),
    ],
)
def test_filter_terms(made: str, expected: str) -> None:
    assert made == expected


def test_terms_parse_and_match(db: Path) -> None:
    """Every kind of term the list makes is a filter the store accepts and that finds its trace."""
    store = Store.open(db)
    try:
        for term, expected in (
            (terms.equals("tag", AWKWARD_KEY, AWKWARD_VALUE), [MY_SPAN]),
            (terms.equals("metadata", "mlflow.trace.user", "alice"), [OUTER]),
            (terms.equals("trace", "session_id", "s-1"), [OUTER]),
            (
                terms.assessment_term("feedback", "some_check", True),
                ["tr-a92633126425ff7dc2c1b46ac10ea751"],
            ),
            (
                terms.assessment_term("expectation", "expected_response", "Unicorn"),
                ["tr-a92633126425ff7dc2c1b46ac10ea751"],
            ),
        ):
            rows = store.reader.trace_page(None, filter_string=term).rows
            assert [r.trace_id for r in rows] == expected, term
    finally:
        store.close()


def test_extras_on_postgresql_equal_sqlite(pg_fixture318: str, db318: Path) -> None:
    """The UNION of tags, metadata and assessments runs on PostgreSQL and reads the same."""
    extras = TraceRowExtras(
        ("mlflow.eval.requestId", "mlflow.trace.spansLocation"),
        ("mlflow.user", "mlflow.trace.cost"),
        ("some_check", "expected_response", "exp"),
    )
    found = []
    for location in (pg_fixture318, str(db318)):
        store = Store.open(location)
        try:
            rows = store.reader.trace_page(["0", "1", "2"], extras=extras).rows
            found.append((rows, store.reader.trace_list_keys(["2"])))
        finally:
            store.close()
    assert found[0] == found[1]
    rows, keys = found[0]
    assert sum(bool(r.assessments) for r in rows) == 4 and keys.assessment_names[-1] == "some_check"


def test_beside_a_trace_the_list_fits_without_sideways_scrolling(
    qtbot: QtBot, window: MainWindow, db: Path, shot: Callable[..., Path]
) -> None:
    """At 1280 px with a trace open the list steps down to compact widths and leaves the
    previews out (the explorer shows the request and response); they return with the width."""
    window.resize(1280, 780)
    opened(qtbot, window, db, EVALUATION)
    view = window.trace_view
    bar = view.horizontalScrollBar()
    with qtbot.waitSignal(window.explorer.trace_loaded, timeout=WAIT_MS):
        view.select_row(0)
    qtbot.waitUntil(lambda: "Request" not in headers(window), timeout=WAIT_MS)
    assert headers(window) == DEFAULT_COLUMNS[:-2]
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=WAIT_MS)
    time_index = window.trace_model.index(0, Column.REQUEST_TIME)
    delegate = view.itemDelegateForColumn(Column.REQUEST_TIME)
    full = str(time_index.data())
    assert delegate.displayText(full, view.locale()) == full[5:16]  # "MM-DD HH:MM"
    assert view.horizontalHeader().sectionSize(Column.NAME) >= view.fontMetrics().horizontalAdvance(
        "a trace name"
    )
    chooser = header_menu(qtbot, window)
    squeezed = action(chooser, "Request (no room beside the trace)")
    assert squeezed.isChecked()
    chooser.close()
    shot(window, "list-1280-compact")
    qtbot.keyClick(view, Qt.Key.Key_Escape)  # the trace closes: the list has the width again
    qtbot.waitUntil(lambda: headers(window) == DEFAULT_COLUMNS, timeout=WAIT_MS)
    assert delegate.displayText(full, view.locale()) == full
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=WAIT_MS)


def test_dragged_order_and_widths_are_kept_for_the_file(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db: Path
) -> None:
    """Columns move and size by dragging in the header; the file reopens with that layout,
    tag columns included; Reset Columns gives the first layout back."""
    window = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    choose(qtbot, window, header_menu(qtbot, window), "Tags", "env")
    header = window.trace_view.horizontalHeader()
    env = len(Column)  # the first tag column
    header.moveSection(header.visualIndex(Column.DURATION), 0)  # what a drag of its title does
    header.moveSection(header.visualIndex(env), 1)
    header.resizeSection(Column.NAME, 333)  # what a drag of its edge does
    assert headers(window)[:3] == ["Duration", "env", "Trace ID"]
    menus = window.list_menus
    qtbot.waitUntil(lambda: menus.choice.widths != (), timeout=WAIT_MS)
    assert menus.choice.order[:3] == ("duration", "tag:env", "trace_id")
    assert dict(menus.choice.widths)["name"] == 333
    window.close()

    again = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    qtbot.waitUntil(lambda: "env" in headers(again), timeout=WAIT_MS)
    assert headers(again)[:3] == ["Duration", "env", "Trace ID"]
    assert again.trace_view.columnWidth(Column.NAME) == 333
    again.menu_actions.reset_columns.trigger()  # View → Reset Column Layout: the columns stay
    assert headers(again) == [*DEFAULT_COLUMNS, "env"]
    assert again.trace_view.columnWidth(Column.NAME) != 333
    assert again.list_menus.choice.order == () and again.list_menus.choice.widths == ()
    with qtbot.waitSignal(again.trace_model.query_applied, timeout=WAIT_MS):
        action(header_menu(qtbot, again), "Reset Columns").trigger()
    qtbot.waitUntil(lambda: headers(again) == DEFAULT_COLUMNS, timeout=WAIT_MS)
    assert again.list_menus.choice.order == () and again.list_menus.choice.widths == ()


def test_a_drag_just_before_closing_is_kept(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db: Path
) -> None:
    window = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    header = window.trace_view.horizontalHeader()
    header.moveSection(header.visualIndex(Column.STATE), 0)
    window.close()  # before the drag rested long enough to be saved
    again = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    assert headers(again)[:2] == ["State", "Trace ID"]


def click_title(qtbot: QtBot, window: MainWindow, title: str) -> None:
    """Click a column's title like a user; wait for the list read in the new order."""
    view, model = window.trace_view, window.trace_model
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    section = titles.index(title)
    view.scrollTo(model.index(0, section))
    header = view.horizontalHeader()
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    with qtbot.waitSignal(window.queries.applied, timeout=WAIT_MS):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_user_cost_and_tag_columns_sort_in_sql(
    qtbot: QtBot, make_window: Callable[..., MainWindow], db: Path
) -> None:
    window = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    for name in ("User", "Cost"):
        choose(qtbot, window, header_menu(qtbot, window), name, reads=True)
    choose(qtbot, window, header_menu(qtbot, window), "Tags", "env")
    click_title(qtbot, window, "env")
    assert window.trace_model.query is not None
    assert window.trace_model.query.order_by == ("tag.env ASC",)
    assert shown_ids(window)[:3] == [SOME, OUTER, COOL]  # dev, then prod newest first
    click_title(qtbot, window, "Cost")
    assert window.trace_model.query.order_by == ("total_cost DESC",)
    assert shown_ids(window)[0] == OUTER
    click_title(qtbot, window, "User")
    with sqlite3.connect(db) as connection:
        users = dict(
            connection.execute(
                "SELECT t.request_id, COALESCE("
                " (SELECT value FROM trace_request_metadata m WHERE m.request_id = t.request_id"
                "  AND key = 'mlflow.trace.user'),"
                " (SELECT value FROM trace_request_metadata m WHERE m.request_id = t.request_id"
                "  AND key = 'mlflow.user')) FROM trace_info t WHERE experiment_id = ?",
                (int(CUSTOM_TRACING),),
            ).fetchall()
        )
    connection.close()
    shown = [users[trace_id] for trace_id in shown_ids(window)]
    present = [user for user in shown if user is not None]
    assert present == sorted(present) and "alice" in present
    assert shown == present + [None] * (len(shown) - len(present))  # missing users last
    window.close()
    again = opened(qtbot, make_window(), db, CUSTOM_TRACING)  # a tag sort is kept too
    click_title(qtbot, again, "env")
    again.close()
    third = opened(qtbot, make_window(), db, CUSTOM_TRACING)
    assert third.trace_model.query is not None
    assert third.trace_model.query.order_by == ("tag.env ASC",)
    header = third.trace_view.horizontalHeader()
    assert header.sortIndicatorSection() == len(Column)  # the env column shows the arrow


def test_a_tag_key_the_menu_does_not_offer_can_be_typed(
    qtbot: QtBot, window: MainWindow, db: Path
) -> None:
    opened(qtbot, window, db, CUSTOM_TRACING)
    other = action(header_menu(qtbot, window), "Tags", "Other Tag Key…")
    other.trigger()
    dialog = window.findChild(QInputDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(" env ")
    with qtbot.waitSignal(window.trace_model.query_applied, timeout=WAIT_MS):
        dialog.accept()
    assert headers(window)[-1] == "env" and cell(window, SOME, "env") == "dev"
