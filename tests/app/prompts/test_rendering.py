"""The page's pure parts: template HTML (escaping, variables), the word diff, drafts, models."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from app.prompts import data, drafts
from app.prompts.diff import DiffStats, side_by_side, word_diff
from app.prompts.models import CHIPS_ROLE, PromptListModel, VersionHistoryModel
from app.prompts.template_html import formatted_html, highlighted, template_html
from app.prompts.traces import LinkedTracesModel
from app.tasks import TaskRunner
from core.entities import TraceRow
from core.entities.prompt import PromptSummary, PromptVersion
from tests.app.prompts.conftest import CHAT, XSS

SCRIPT = re.compile(r"<script|<b>|<i>", re.IGNORECASE)


def test_variables_are_highlighted_and_everything_else_escaped() -> None:
    out = highlighted(XSS)
    assert not SCRIPT.search(out)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold" in out
    assert "background-color" in out and "{{ question }}</span>" in out
    escaped = highlighted(r"keep \{{ literal }} but {{ name }}")
    assert escaped.count("<span") == 1 and r"\{{ literal }}" in escaped


def test_a_text_template_lists_its_variables() -> None:
    out = template_html("Hi {{ a }} and {{ b.c }}", ["a", "b.c"])
    assert "Variables:" in out and "{{ a }}" in out and "{{ b.c }}" in out
    assert "No variables." in template_html("plain", [])


def test_a_chat_template_is_drawn_by_role_like_the_explorer() -> None:
    hostile = [*CHAT, {"role": "<img src=x>", "content": "</td></table><script>"}]
    out = template_html(hostile, ["persona", "language", "question"])
    assert "System" in out and "User" in out
    assert "#6d28d9" in out and "#1d4ed8" in out  # the explorer's system and user colours
    assert "&lt;img src=x&gt;" in out and "&lt;/td&gt;&lt;/table&gt;&lt;script&gt;" in out
    assert "<img" not in out and "<script" not in out


def test_formatted_prompts_are_escaped_too() -> None:
    assert formatted_html("<b>x</b>").count("&lt;b&gt;") == 1
    chat = formatted_html([{"role": "user", "content": "<script>1</script>"}])
    assert "<script" not in chat and "User" in chat


def test_word_diff_marks_only_the_changed_words() -> None:
    stats = DiffStats()
    left, right = word_diff(
        "Answer briefly: {{ question }}", "Answer fully: {{ question }}", False, stats
    )
    assert ">briefly</span>" in left and ">fully</span>" in right
    assert "Answer" in left and left.count("<span") == 1 and right.count("<span") == 1
    assert (stats.removed, stats.added) == (1, 1)


def test_side_by_side_aligns_lines_and_escapes() -> None:
    old = "line one\n<b>two</b>\nthree"
    new = "line one\n<b>2</b>\nthree\nfour"
    table, stats = side_by_side(old, new, "v1 <x>", "v2", False)
    assert "<b>" not in table and "&lt;b&gt;" in table and "v1 &lt;x&gt;" in table
    assert table.count("<tr>") == 5  # header + 4 aligned lines
    assert stats.added == 2 and stats.removed == 1  # "2" and "four" in, "two" out
    assert "2 words added" in stats.summary


def test_chat_templates_are_diffed_message_by_message() -> None:
    new = [CHAT[0], {"role": "assistant", "content": "Sure."}, CHAT[1]]
    table, stats = side_by_side(CHAT, new, "v1", "v2")
    assert stats.added == 1 and stats.removed == 0  # the inserted message, aligned by role
    assert "Assistant" in table
    same, none = side_by_side(CHAT, CHAT, "a", "b")
    assert none.summary == "No differences." and "role changed" not in same


def test_prompt_filter_quotes_names() -> None:
    assert data.prompt_filter("qa", 3) == "prompt = 'qa/3'"
    assert data.prompt_filter("it's", 1) == "prompt = 'it''s/1'"


def test_suggested_commit_message_names_variable_changes() -> None:
    base = PromptVersion("qa", 2, "Answer {{ question }}")
    text = data.suggested_message(base, "Answer {{ question }} as {{ tone }}")
    assert text == "Edited from version 2; adds {{ tone }}"
    chat = data.suggested_message(base, [{"role": "user", "content": "x"}])
    assert "removes {{ question }}" in chat and "now a chat template" in chat


def test_drafts_are_filed_by_database_and_prompt() -> None:
    drafts.save_draft("/a/mlflow.db", "qa", 2, "draft text")
    drafts.save_draft("/b/mlflow.db", "qa", None, [{"role": "user", "content": "x"}])
    first = drafts.load_draft("/a/mlflow.db", "qa")
    assert first is not None and (first.template, first.base_version) == ("draft text", 2)
    assert drafts.load_draft("/a/mlflow.db", "other") is None
    assert {d.database for d in drafts.all_drafts()} == {"/a/mlflow.db", "/b/mlflow.db"}
    drafts.discard_draft("/a/mlflow.db", "qa")
    assert drafts.load_draft("/a/mlflow.db", "qa") is None


def _summaries() -> list[PromptSummary]:
    return [
        PromptSummary("qa", 3, {"production": 2, "staging": 3}, 1_795_677_607_970, "first"),
        PromptSummary("<b>x</b>", None, {}, None, None),
    ]


def test_prompt_list_model(qtmodeltester: ModelTester) -> None:
    tasks = TaskRunner()
    try:
        model = PromptListModel(tasks)
        model.replace(_summaries())
        qtmodeltester.check(model)
        assert model.rowCount() == 2 and model.columnCount() == 4
        assert model.index(0, PromptListModel.ALIASES).data(CHIPS_ROLE) == [
            "production → v2",
            "staging → v3",
        ]
        assert model.index(0, PromptListModel.LATEST).data() == "v3"
        assert model.index(1, PromptListModel.CHANGED).data() == "—"
        tip = model.index(1, PromptListModel.NAME).data(Qt.ItemDataRole.ToolTipRole)
        assert "<b>x" not in tip and html.escape("<b>x</b>") in tip
    finally:
        tasks.shutdown()


def test_history_model(qtmodeltester: ModelTester) -> None:
    tasks = TaskRunner()
    try:
        model = VersionHistoryModel(tasks)
        model.replace(
            [
                PromptVersion("qa", 2, CHAT, None, 1_795_677_607_970, ("production",)),
                PromptVersion("qa", 1, "x", "<i>first</i>", 1_795_677_607_000),
            ]
        )
        qtmodeltester.check(model)
        assert model.index(0, 0).data() == "v2 · chat"
        assert model.index(0, 2).data() == "(no commit message)"
        assert model.index(0, 3).data(CHIPS_ROLE) == ["production"]
        assert model.row_of(1) == 1
    finally:
        tasks.shutdown()


def test_linked_traces_model(qtmodeltester: ModelTester) -> None:
    tasks = TaskRunner()
    try:
        model = LinkedTracesModel(tasks)
        row = TraceRow("tr-1", "0", 1_795_677_607_970, 12, "OK", None, "<q>", None, None, None)
        model.replace([row])
        qtmodeltester.check(model)
        assert model.index(0, 0).data() == "tr-1"
    finally:
        tasks.shutdown()
