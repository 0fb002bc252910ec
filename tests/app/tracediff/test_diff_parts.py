"""The pieces of Compare Traces without the window: the merged tree model (qtmodeltester,
Changed only), the detail's escaped rich text, the texts of values and deltas."""

from __future__ import annotations

from pytestqt.modeltest import ModelTester

from app.messages.browser import SafeTextBrowser
from app.tasks import JobToken
from app.tracediff.detail_html import detail_html
from app.tracediff.loading import compare, pair_detail, value_text
from app.tracediff.look import duration_delta, mark_text, signed_count
from app.tracediff.model import ROW_ROLE, DiffColumn, DiffTreeModel
from core.tracediff import CHANGED, ONLY_RIGHT, SAME
from tests.core.test_tracediff import Node, build, tool

TOKEN = JobToken(lambda _done, _total, _payload: None)


def nested() -> tuple[Node, Node]:
    """A retry loop that ran once more, and a changed answer three levels down."""
    left = Node(
        "agent",
        children=[
            Node("plan", inputs={"q": 1}),
            Node("step", children=[*tool(2), Node("write", outputs="Short answer.")]),
            Node("check"),
        ],
    )
    right = Node(
        "agent",
        children=[
            Node("plan", inputs={"q": 1}),
            Node("step", children=[*tool(3), Node("write", outputs="A longer answer.")]),
            Node("check"),
        ],
    )
    return left, right


def test_the_merged_tree_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    left, right = nested()
    comparison = compare(TOKEN, build("tr-a", left), build("tr-b", right))
    model = DiffTreeModel()
    model.set_pairs(comparison.diff.pairs, comparison.changed)
    qtmodeltester.check(model)
    model.set_changed_only(True)
    qtmodeltester.check(model)


def test_changed_only_keeps_the_ancestors_of_changed_rows() -> None:
    left, right = nested()
    comparison = compare(TOKEN, build("tr-a", left), build("tr-b", right))
    names = [p.name for p in comparison.diff.pairs]
    assert names == ["agent", "plan", "step", *["search_docs"] * 3, "write", "check"]
    assert comparison.changed == (5, 6)  # the extra tool call, the rewritten answer
    model = DiffTreeModel()
    model.set_pairs(comparison.diff.pairs, comparison.changed)
    model.set_changed_only(True)
    shown = [row for row in range(len(names)) if model.is_shown(row)]
    assert shown == [0, 2, 5, 6]  # agent and step stay: the path to the changes
    step = model.index(0, 0, model.index(0, 0))
    assert step.data(ROW_ROLE) == 2 and model.rowCount(step) == 2
    extra = model.index(0, DiffColumn.MARK, step)
    assert extra.data() == "+" and model.index(0, DiffColumn.WHAT, step).data() == "only right"
    write = model.index(1, DiffColumn.WHAT, step)
    assert write.data() == "outputs"
    model.set_changed_only(False)
    assert model.shown_count() == len(names)


def test_the_detail_escapes_what_the_spans_hold() -> None:
    """Span names, paths and values are the database's text: never markup in the detail."""
    hostile = '<img src="http://example.com/x.png"><b>bold</b>'
    left = Node("<i>agent</i>", outputs={"<a href='x'>k</a>": "fine", "text": "plain words"})
    right = Node("<i>agent</i>", outputs={"<a href='x'>k</a>": hostile, "text": "other words"})
    comparison = compare(TOKEN, build("tr-a", left), build("tr-b", right))
    (pair,) = comparison.diff.pairs
    assert pair.status == CHANGED
    detail = pair_detail(TOKEN, 0, pair)
    text = detail_html(pair, detail, dark=False)
    assert "<img" not in text and "<b>bold" not in text and "<i>agent" not in text
    assert "&lt;img" in text and "&lt;i&gt;agent&lt;/i&gt;" in text
    browser = SafeTextBrowser()
    browser.setHtml(text)
    shown = browser.toPlainText()
    assert "<i>agent</i>" in shown and hostile in shown and "[\"<a href='x'>k</a>\"]" in shown
    assert browser.blocked_resources == []  # nothing was even asked for
    words = [view.words for _part, views in detail.parts for view in views if view.words]
    assert len(words) == 2  # both strings that differ are word-diffed


def test_a_one_sided_row_shows_what_its_span_took_and_gave() -> None:
    left = Node("agent", children=[Node("plan")])
    right = Node(
        "agent", children=[Node("plan"), Node("guard", inputs={"text": "hi"}, outputs=True)]
    )
    comparison = compare(TOKEN, build("tr-a", left), build("tr-b", right))
    pair = comparison.diff.pairs[2]
    assert pair.status == ONLY_RIGHT
    detail = pair_detail(TOKEN, 2, pair)
    assert [(part, views[0].kind, views[0].right) for part, views in detail.parts] == [
        ("inputs", "added", '{\n  "text": "hi"\n}'),
        ("outputs", "added", "true"),
    ]
    assert "Only right" in detail_html(pair, detail, dark=True)
    assert comparison.diff.pairs[1].status == SAME


def test_texts_of_values_and_deltas() -> None:
    assert value_text(0.0008399999999999999) == "0.00084"
    assert value_text("x" * 5000).endswith("(1,000 more characters)")
    assert duration_delta(800_000_000, 2_600_000_000) == "+1.80 s (+225%)"
    assert duration_delta(2_000_000, 1_000_000) == "\N{MINUS SIGN}1.00 ms (\N{MINUS SIGN}50%)"
    assert duration_delta(None, 5_000) == "+5.00 µs"
    assert duration_delta(5_000, 5_000) == "±0"
    assert signed_count(-3) == "\N{MINUS SIGN}3"
    assert mark_text(ONLY_RIGHT, moved=True) == "+↕"
