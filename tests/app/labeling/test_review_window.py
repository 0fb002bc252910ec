"""Issue 22: Label Traces… on a copy of the demo database, driven by keys like a user.

A queue of 20 sampled traces is labelled with p/f, 1-9 and n; closed and reopened it resumes at
the first trace not labelled; a second labeller disagrees, the agreement view lists it and
Enter opens it to resolve; the labelled traces go to a dataset; a read-only database refuses
with the Enable Editing hint. Screenshots of the three windows, light and dark."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.labeling.agreement import AgreementDialog
from app.labeling.review import ReviewWindow
from app.labeling.start_dialog import StartDialog
from app.main_window import MainWindow
from app.theme import dark_palette
from core.genai.datasets import get_dataset
from core.store import LabelField, ReviewQueues, Store
from tests.app.helpers import WAIT_MS, Shot, open_and_wait, select_experiment, show_window

AGENT = "1"  # the demo's support agent: 126 traces


def open_start(qtbot: QtBot, window: MainWindow) -> StartDialog:
    """Ctrl+Shift+B in the trace list: the start dialog."""
    window.activateWindow()  # shortcuts fire in the active window
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    window.trace_view.setFocus()
    qtbot.keyClick(
        window.trace_view,
        "b",
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.labeling.dialog
    assert isinstance(dialog, StartDialog)
    qtbot.waitExposed(dialog)
    return dialog


def start(qtbot: QtBot, window: MainWindow, dialog: StartDialog, user: str) -> ReviewWindow:
    dialog.user.setFocus()
    dialog.user.selectAll()
    qtbot.keyClicks(dialog.user, user)
    qtbot.keyClick(dialog.user, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.labeling.review is not None, timeout=WAIT_MS)
    review = window.labeling.review
    assert isinstance(review, ReviewWindow)
    qtbot.waitExposed(review)
    wait_item(qtbot, review)
    return review


def wait_item(qtbot: QtBot, review: ReviewWindow) -> None:
    qtbot.waitUntil(
        lambda: review.item is not None and review.item.trace.info.trace_id == review.trace_id,
        timeout=WAIT_MS,
    )


def label(qtbot: QtBot, review: ReviewWindow, keys: str) -> None:
    """Type `keys` (e.g. "p41n") into the review window, waiting for each next trace."""
    for key in keys:
        before = review.index
        qtbot.keyClick(review, key)
        if key in "nbs" and review.index != before:
            wait_item(qtbot, review)


def writable_window(qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Path) -> MainWindow:
    window = make_window()
    window.resize(1280, 780)
    show_window(qtbot, window)
    loaded = [window.store_opened, window.experiment_model.loaded, window.trace_model.page_loaded]
    with qtbot.waitSignals(loaded, timeout=WAIT_MS):
        window.open_location(demo, read_only=False)
    select_experiment(qtbot, window, AGENT)
    return window


def test_label_twenty_traces_resume_agree_and_build_a_dataset(
    qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Path
) -> None:
    window = make_window()
    show_window(qtbot, window)
    open_and_wait(qtbot, window, demo)
    select_experiment(qtbot, window, AGENT)

    # Read-only: a new queue is refused with the hint; Enable Editing reopens for writing.
    dialog = open_start(qtbot, window)
    assert dialog.bar.isVisible()
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.status.text() == "Not started: making a queue writes to the database."
    with qtbot.waitSignal(window.store_opened, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.enable, Qt.MouseButton.LeftButton)
    assert window.store is not None and not window.store.read_only
    select_experiment(qtbot, window, AGENT)

    dialog = open_start(qtbot, window)
    assert not dialog.bar.isVisible()
    dialog.sampled.setFocus()
    qtbot.keyClick(dialog.sampled, Qt.Key.Key_Space)  # a sample of 20
    review = start(qtbot, window, dialog, "ann")
    assert len(review.queue.trace_ids) == 20
    assert [f.name for f in review.queue.fields] == ["correct", "helpfulness", "tone"]
    assert review.progress_text.text() == "0 / 20 labelled by ann"
    assert review.index == 0
    shown = review.chat.conversation  # the question, then only the answer that followed it
    assert shown is not None  # (a failed turn has no answer at all)
    assert all(message.role != "user" for message in shown.outputs)

    # 12 traces: p (correct), 4 (helpfulness 1-5), 1 (tone: friendly), n (save, next)
    label(qtbot, review, "p41n" * 12)
    qtbot.waitUntil(lambda: len(review.labelled) == 12, timeout=WAIT_MS)
    assert review.progress_text.text() == "12 / 20 labelled by ann"
    first = review.queue.trace_ids[0]
    qtbot.keyClick(review, Qt.Key.Key_Escape)
    assert not review.isVisible()

    # Reopen: the existing queue resumes at the first trace ann has not labelled.
    dialog = open_start(qtbot, window)
    qtbot.waitUntil(lambda: dialog.queue.count() == 2, timeout=WAIT_MS)
    dialog.queue.setCurrentIndex(1)
    review = start(qtbot, window, dialog, "ann")
    assert review.index == 12
    assert review.progress_text.text() == "12 / 20 labelled by ann"
    label(qtbot, review, "f23n" + "p41n" * 7)
    qtbot.waitUntil(lambda: len(review.labelled) == 20, timeout=WAIT_MS)
    assert review.progress_text.text() == "20 / 20 labelled by ann"
    qtbot.waitUntil(lambda: "All 20 traces labelled" in review.status.text(), timeout=WAIT_MS)

    # b goes back and shows ann's own labels
    label(qtbot, review, "b")
    assert [r.shown.text() for r in review.rows] == ["Pass", "4", "friendly"]

    store = window.store
    assert store is not None
    queues = ReviewQueues(store)
    queue = queues.load(review.queue.queue_id)
    assert queues.labelled_by(queue, "ann") == set(queue.trace_ids)
    trace = store.reader.get_trace(queue.trace_ids[12])
    labels = {a.name: (a.value, a.source_type, a.source_id) for a in trace.info.assessments}
    assert labels == {
        "correct": (False, "HUMAN", "ann"),
        "helpfulness": (2, "HUMAN", "ann"),
        "tone": ("rude", "HUMAN", "ann"),
    }

    # The labelled traces into a dataset.
    qtbot.mouseClick(review.dataset_button, Qt.MouseButton.LeftButton)
    adding = review.dataset_dialog
    assert adding is not None
    qtbot.waitExposed(adding)
    qtbot.keyClicks(adding.name, "labelled")
    with qtbot.waitSignal(adding.finished_adding, timeout=WAIT_MS) as added:
        qtbot.keyClick(adding.name, Qt.Key.Key_Return)
    result = added.args[0]
    assert result.inserted + result.updated + len(result.skipped) == 20
    dataset = get_dataset(name="labelled", store=store)
    assert {r.source_id for r in dataset.records} <= set(queue.trace_ids)
    assert len(dataset.records) == result.inserted
    adding.close()
    qtbot.keyClick(review, Qt.Key.Key_Escape)

    # Bob labels the first two traces: he agrees on the first, not on the second's tone.
    dialog = open_start(qtbot, window)
    qtbot.waitUntil(lambda: dialog.queue.count() == 2, timeout=WAIT_MS)
    dialog.queue.setCurrentIndex(1)
    review = start(qtbot, window, dialog, "bob")
    assert review.index == 0 and review.progress_text.text() == "0 / 20 labelled by bob"
    label(qtbot, review, "p41n" + "p43n")
    qtbot.waitUntil(lambda: len(review.labelled) == 2, timeout=WAIT_MS)
    trace = store.reader.get_trace(first)
    assert sorted((a.source_id, a.value) for a in trace.info.assessments if a.name == "tone") == [
        ("ann", "friendly"),
        ("bob", "friendly"),
    ]

    # Agreement: 2 traces shared, tone 50 %, one disagreement; Enter opens it to resolve.
    qtbot.keyClick(review, "a")
    agreement = review.agreement_dialog
    assert isinstance(agreement, AgreementDialog)
    qtbot.waitUntil(lambda: agreement.fields.topLevelItemCount() == 3, timeout=WAIT_MS)
    rows = [
        [agreement.fields.topLevelItem(i).text(c) for c in range(6)]  # type: ignore[union-attr]
        for i in range(3)
    ]
    assert rows == [
        ["correct", "2", "2", "100%", "0", "0"],
        ["helpfulness", "2", "2", "100%", "0", "0"],
        ["tone", "2", "1", "50%", "0", "1"],
    ]
    second = review.queue.trace_ids[1]
    disagreement = agreement.list.topLevelItem(0)
    assert disagreement is not None
    assert disagreement.text(0) == second
    assert disagreement.text(2) == "ann: friendly · bob: rude"
    qtbot.keyClick(agreement.list, Qt.Key.Key_Return)
    wait_item(qtbot, review)
    assert review.trace_id == second and review.resolving
    assert review.note.isVisible()
    assert review.rows[2].others.text() == "(ann: friendly)"
    review.rows[2].set_value(None)
    review.select_field(2)
    label(qtbot, review, "2n")  # bob settles on neutral
    qtbot.waitUntil(lambda: "Saved" in review.status.text(), timeout=WAIT_MS)
    queue = queues.load(review.queue.queue_id)
    tone = queues.agreement(queue)[2]
    assert (tone.shared, tone.agreed, tone.resolved, tone.disagreements) == (2, 1, 1, ())
    qtbot.keyClick(review, Qt.Key.Key_Escape)


def test_an_existing_queue_on_a_read_only_database_refuses_to_save(
    qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Path, shot: Shot
) -> None:
    with Store.open(demo, read_only=False) as store:
        ids = store.reader.search_trace_ids([AGENT], max_results=3)
        ReviewQueues(store).create(AGENT, "triage", [LabelField("ok")], ids, "ann")
    window = make_window()
    show_window(qtbot, window)
    open_and_wait(qtbot, window, demo)
    select_experiment(qtbot, window, AGENT)
    dialog = open_start(qtbot, window)
    qtbot.waitUntil(lambda: dialog.queue.count() == 2, timeout=WAIT_MS)
    dialog.queue.setCurrentIndex(1)
    assert not dialog.fields.isEnabled()
    review = start(qtbot, window, dialog, "ann")
    label(qtbot, review, "pn")
    assert review.bar.isVisible() and review.enable.isVisible()
    assert "read-only — Enable Editing" in review.bar_text.text()
    assert review.status.text() == "Not saved: the database is read-only."
    assert review.index == 0  # it stays on the trace: nothing lost
    shot(review, "label_review_read_only")
    assert window.store is not None
    queues = ReviewQueues(window.store)
    assert queues.labelled_by(queues.load(review.queue.queue_id), "ann") == set()
    qtbot.keyClick(review, Qt.Key.Key_Escape)


def test_a_text_field_is_typed_after_enter_and_left_with_enter(
    qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Path
) -> None:
    with Store.open(demo, read_only=False) as store:
        ids = store.reader.search_trace_ids([AGENT], max_results=2)
        fields = [LabelField("ok"), LabelField("notes", LabelField.TEXT)]
        ReviewQueues(store).create(AGENT, "notes", fields, ids, "ann")
    window = writable_window(qtbot, make_window, demo)
    dialog = open_start(qtbot, window)
    qtbot.waitUntil(lambda: dialog.queue.count() == 2, timeout=WAIT_MS)
    dialog.queue.setCurrentIndex(1)
    review = start(qtbot, window, dialog, "ann")
    label(qtbot, review, "f")  # ok: Fail; the notes field is current now
    assert review.current_field == 1
    qtbot.keyClick(review, Qt.Key.Key_Return)
    assert review.rows[1].text.hasFocus()
    qtbot.keyClicks(review.rows[1].text, "pn: not a key here")
    qtbot.keyClick(review.rows[1].text, Qt.Key.Key_Return)
    assert not review.rows[1].text.hasFocus() and review.index == 0
    label(qtbot, review, "n")
    qtbot.waitUntil(lambda: len(review.labelled) == 1, timeout=WAIT_MS)
    assert window.store is not None
    trace = window.store.reader.get_trace(review.queue.trace_ids[0])
    assert {a.name: a.value for a in trace.info.assessments if a.source_id == "ann"} == {
        "ok": False,
        "notes": "pn: not a key here",
    }
    qtbot.keyClick(review, Qt.Key.Key_Escape)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_labelling_screenshots(
    qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Path, theme: str, shot: Shot
) -> None:
    """Saved under $TRACEDESK_SHOTS (TRACEDESK_SHOTS=/tmp/h to look at them)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if theme == "dark":
        app.setPalette(dark_palette())
    try:
        window = writable_window(qtbot, make_window, demo)
        dialog = open_start(qtbot, window)
        shot(dialog, f"label_start_{theme}")
        dialog.sampled.setChecked(True)
        dialog.sample.setValue(4)
        review = start(qtbot, window, dialog, "ann")
        label(qtbot, review, "p41n")
        review.go_to(0)
        wait_item(qtbot, review)
        review.select_field(2)
        shot(review, f"label_review_{theme}")
        store = window.store
        assert store is not None
        ReviewQueues(store).join(review.queue.queue_id, "bob")
        ReviewQueues(store).save(review.queue, review.queue.trace_ids[0], {"tone": "rude"}, "bob")
        qtbot.keyClick(review, "a")
        agreement = review.agreement_dialog
        assert agreement is not None
        qtbot.waitUntil(lambda: agreement.list.topLevelItemCount() == 1, timeout=WAIT_MS)
        shot(agreement, f"label_agreement_{theme}")
        agreement.close()
        review.close()
    finally:
        app.setPalette(old)
