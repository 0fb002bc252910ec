"""Chat messages found in span inputs and outputs: `core.messages`, under its old name here.

The recognisers moved to core so a trace's Markdown summary (`core.export`) finds the same
conversation the window shows; the app's modules keep importing them from here.
"""

from __future__ import annotations

from core.messages import (
    ASSISTANT,
    OTHER,
    ROLE_KINDS,
    SYSTEM,
    TOOL,
    USER,
    Conversation,
    Message,
    ToolCall,
    answer_of,
    content_text,
    messages_from_value,
    pretty_json,
    role_kind,
    span_conversation,
    tool_call,
)

__all__ = [
    "ASSISTANT",
    "OTHER",
    "ROLE_KINDS",
    "SYSTEM",
    "TOOL",
    "USER",
    "Conversation",
    "Message",
    "ToolCall",
    "answer_of",
    "content_text",
    "messages_from_value",
    "pretty_json",
    "role_kind",
    "span_conversation",
    "tool_call",
]
