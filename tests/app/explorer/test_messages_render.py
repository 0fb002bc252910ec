"""Markdown subset, Pygments highlighting and the conversation HTML, and the chat view."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.messages.formats import ASSISTANT, SYSTEM, TOOL, USER, Conversation, Message, ToolCall
from app.messages.highlight import code_block, highlight_spans, lexer_for, style_colors
from app.messages.markdown import inline, to_html
from app.messages.render import FOLD_CHARS, ConversationHtml, call_anchor, size_text
from app.messages.view import ChatView


def test_markdown_blocks() -> None:
    text = "# Title\nfirst line\nsecond line\n\n- one\n- two\n\n1. a\n2. b\n\n> quoted\n\n---\nend"
    out = to_html(text)
    assert 'font-weight:600">Title</p>' in out
    assert "first line<br>second line" in out
    assert "<ul" in out and "<li>one</li><li>two</li>" in out
    assert "<ol" in out and "<li>a</li><li>b</li>" in out
    assert "<blockquote" in out and "quoted" in out
    assert "<hr>" in out and out.endswith("end</p>")


def test_markdown_inline_emphasis_and_code() -> None:
    assert inline("**bold** and *em* and _em_ and ~~gone~~") == (
        "<b>bold</b> and <i>em</i> and <i>em</i> and <s>gone</s>"
    )
    assert "snake_case_name" in inline("snake_case_name")
    code = inline("use `a < b` and `**not bold**`")
    assert "a &lt; b</code>" in code and "**not bold**</code>" in code
    assert "2 * 3 * 4" in inline("2 * 3 * 4")


def test_fenced_code_is_highlighted_by_language() -> None:
    out = to_html("before\n```python\ndef f():\n    return '<x>'\n```\nafter")
    assert "<pre" in out and "def" in out and "&lt;x&gt;" in out
    assert 'style="color:#' in out  # Pygments coloured the tokens
    unclosed = to_html("```\nno end <b>")
    assert "no end &lt;b&gt;" in unclosed


def test_highlighting_escapes_and_falls_back() -> None:
    assert highlight_spans("<b>&</b>", "no-such-language") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert lexer_for("py").name == "Python" and lexer_for("").name == "Text only"
    json_html = highlight_spans('{"k": "<v>"}', "json")
    assert "&lt;v&gt;" in json_html and "<v>" not in json_html
    light, dark = style_colors(False), style_colors(True)
    assert light != dark
    assert code_block("x", "text", dark=True).count(dark[0]) == 1


def test_conversation_html_roles_calls_and_links() -> None:
    conversation = Conversation(
        (Message(SYSTEM, "Be *brief*"), Message(USER, "Weather in Paris?")),
        (
            Message(
                ASSISTANT, "", (ToolCall("get_weather", '{\n  "city": "Paris"\n}', "c1", True),)
            ),
            Message(TOOL, '{"temp": 21}', tool_call_id="c1", name="get_weather"),
            Message(TOOL, "orphan result", tool_call_id="c-unknown"),
        ),
        "OpenAI chat",
    )
    out = ConversationHtml().render(conversation)
    for label in ("System", "User", "Assistant", "Tool"):
        assert f">{label}</span>" in out
    assert "Recognised as OpenAI chat" in out
    assert "<i>brief</i>" in out
    assert f'<a name="{call_anchor("c1")}"></a>' in out
    assert f'<a href="#{call_anchor("c1")}">' in out  # the result links to its call
    assert "get_weather" in out and "&quot;city&quot;" in out
    assert "c-unknown" in out and f'href="#{call_anchor("c-unknown")}"' not in out
    dark = ConversationHtml(dark=True).render(conversation)
    assert ConversationHtml().color(USER) in out and ConversationHtml(True).color(USER) in dark


def test_long_texts_fold_with_a_show_all_link() -> None:
    long_text = "word " * (FOLD_CHARS // 2)
    conversation = Conversation((Message(USER, long_text),), (), "messages")
    folded = ConversationHtml().render(conversation)
    assert f"Show all ({size_text(long_text)})" in folded and 'href="#expand-I0"' in folded
    opened = ConversationHtml(expanded={"I0"}).render(conversation)
    assert "Show all" not in opened and len(opened) > len(folded)


def test_anchor_names_are_safe_for_any_id() -> None:
    name = call_anchor('"><script>alert(1)</script>')
    assert name.startswith("call-") and name[5:].isalnum()


def test_chat_view_expands_and_scrolls_to_calls(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    filler = tuple(Message(USER, f"message {i}\n\n" + "text " * 60) for i in range(30))
    call = Message(ASSISTANT, "", (ToolCall("f", "{}", "target", True),))
    result = Message(TOOL, "x" * (FOLD_CHARS + 10), tool_call_id="target")
    view.show_conversation(Conversation((call, *filler), (result,), "messages"))
    assert "Show all" in view.toPlainText()
    view.action_requested.emit("expand-O0")
    assert "Show all" not in view.toPlainText()
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > 0
    view.anchorClicked.emit(f"#{call_anchor('target')}")  # as a click on the call id link
    assert bar.value() < bar.maximum() // 4
    view.show_conversation(None)
    assert view.toPlainText() == ""


@pytest.mark.parametrize(("size", "text"), [(10, "10 B"), (4096, "4 KB"), (3 << 20, "3.0 MB")])
def test_size_text(size: int, text: str) -> None:
    assert size_text("x" * size) == text
