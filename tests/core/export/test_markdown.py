"""A trace or span summary renders as the Markdown it means to be, and hostile text stays text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from core.entities import Trace
from core.export import span_markdown, trace_markdown
from core.export.markdown import TREE_ROWS, code, fence, tree_lines
from core.store.store import Store
from tests.core.export.conftest import HOSTILE

#: CommonMark with GitHub's tables and strikethrough, as an issue tracker renders a paste.
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def the_trace(db: Path) -> Trace:
    with Store.open(db) as store:
        (trace_id,) = store.reader.search_trace_ids(None)
        trace = store.reader.get_trace(trace_id)
        trace.data.load_payloads()
        return trace


def assert_inert(html: str) -> None:
    """No link, image, raw HTML or heading made of the hostile text."""
    assert "<a " not in html and "<img" not in html and "<script" not in html
    assert "<h1>" not in html  # the hostile "# Heading" line stays inside code
    assert "<table" not in html  # its "| a | b |" stays inside code
    assert "&lt;script&gt;" in html  # it is there, as text


def test_trace_summary_renders_facts_tree_conversation_and_errors(hostile_db: Path) -> None:
    trace = the_trace(hostile_db)
    text = trace_markdown(trace)
    tokens = RENDERER.parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0].startswith("Trace `tr-")
    assert headings[1:] == ["Spans", "Conversation (span `chat`)", "Errors"]
    fences = [t for t in tokens if t.type == "fence"]
    tree = fences[0].content.splitlines()
    assert tree[0].startswith("agent [click me]") and "[CHAIN]" in tree[0]
    assert tree[1].startswith("  chat [CHAT_MODEL]")
    assert tree[2].startswith("  search [TOOL]") and tree[2].endswith("ERROR")
    # The conversation by role, each message's text whole in its own block.
    roles = [
        t.content for t in tokens if t.type == "inline" and re.fullmatch(r"\*\*\w+\*\*", t.content)
    ]
    assert roles == ["**System**", "**User**", "**Assistant**"]
    assert fences[1].content == "Be brief.\n"
    assert fences[2].content == HOSTILE + "\n"
    assert fences[3].content == "Answer " + HOSTILE + "\n"
    # The error with its exception's type and message.
    assert "RuntimeError" in text
    assert fences[4].content == f"tool failed: {HOSTILE}\n"
    assert_inert(RENDERER.render(text))


def test_span_summary_has_its_subtree_and_inputs_when_not_a_chat(hostile_db: Path) -> None:
    trace = the_trace(hostile_db)
    search = next(s for s in trace.data.spans if s.name == "search")
    text = span_markdown(trace, search)
    html = RENDERER.render(text)
    assert "<h3>Errors</h3>" in html and "Spans" not in text  # a leaf: no tree of its own
    assert "tool failed" in html
    root = next(s for s in trace.data.spans if s.parent_id is None)
    root_text = span_markdown(trace, root)
    assert "<h3>Inputs</h3>" in RENDERER.render(root_text)  # {"question": ...} is no chat
    assert '"question"' in root_text
    assert_inert(RENDERER.render(root_text))


@pytest.mark.parametrize(
    "text", ["plain", "a `b` c", "``x``", "`start", "end`", "a ``` b ```` c", "new\nline"]
)
def test_code_spans_hold_any_text_whole_on_one_line(text: str) -> None:
    rendered = RENDERER.renderInline(code(text))
    inner = re.fullmatch(r"<code>(.*)</code>", rendered)
    assert inner is not None, rendered
    assert inner.group(1) == " ".join(text.split()).replace("&", "&amp;")


def test_fences_outlast_any_backtick_run_inside() -> None:
    body = "before\n```\n# not a heading\n````\n[x](y)\nafter"
    (token,) = RENDERER.parse("\n".join(fence(body)))
    assert token.type == "fence" and token.content == body + "\n"


def test_a_huge_tree_is_cut_and_says_how_much(hostile_db: Path) -> None:
    trace = the_trace(hostile_db)
    many = list(trace.data.spans) * (TREE_ROWS // 3 + 5)
    assert len(tree_lines(many)) > TREE_ROWS
    text = trace_markdown(Trace(trace.info, type(trace.data)(many)))
    assert re.search(r"… [\d,]+ more spans", text)
