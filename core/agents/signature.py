"""The model signature MLflow 3.18 gives every ResponsesAgent (its `MLmodel` `signature`).

MLflow infers it from its pydantic request and response types; these are the values it wrote
(tests/fixtures/mlflow-3.18-tutorial), so `json.dumps` of them is byte-for-byte MLflow's text.
"""

from __future__ import annotations

import json
from typing import Any

INPUTS: list[dict[str, Any]] = [
    {"type": "boolean", "name": "background", "required": False},
    {
        "type": "object",
        "properties": {
            "conversation_id": {"type": "string", "required": False},
            "user_id": {"type": "string", "required": False},
        },
        "name": "context",
        "required": False,
    },
    {"type": "map", "values": {"type": "any"}, "name": "custom_inputs", "required": False},
    {"type": "array", "items": {"type": "any"}, "name": "input", "required": True},
    {"type": "long", "name": "max_output_tokens", "required": False},
    {"type": "map", "values": {"type": "string"}, "name": "metadata", "required": False},
    {"type": "boolean", "name": "parallel_tool_calls", "required": False},
    {
        "type": "object",
        "properties": {
            "effort": {"type": "string", "required": False},
            "generate_summary": {"type": "string", "required": False},
        },
        "name": "reasoning",
        "required": False,
    },
    {"type": "boolean", "name": "store", "required": False},
    {"type": "boolean", "name": "stream", "required": False},
    {"type": "double", "name": "temperature", "required": False},
    {"type": "any", "name": "text", "required": False},
    {"type": "any", "name": "tool_choice", "required": False},
    {
        "type": "array",
        "items": {"type": "object", "properties": {"type": {"type": "string", "required": True}}},
        "name": "tools",
        "required": False,
    },
    {"type": "double", "name": "top_p", "required": False},
    {"type": "string", "name": "truncation", "required": False},
    {"type": "string", "name": "user", "required": False},
]

OUTPUTS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "created_at": {"type": "double", "required": False},
            "custom_outputs": {"type": "map", "values": {"type": "any"}, "required": False},
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "required": False},
                    "message": {"type": "string", "required": True},
                },
                "required": False,
            },
            "id": {"type": "string", "required": False},
            "incomplete_details": {
                "type": "object",
                "properties": {"reason": {"type": "string", "required": False}},
                "required": False,
            },
            "instructions": {"type": "string", "required": False},
            "max_output_tokens": {"type": "long", "required": False},
            "metadata": {"type": "map", "values": {"type": "string"}, "required": False},
            "model": {"type": "string", "required": False},
            "object": {"type": "string", "required": True},
            "output": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"type": {"type": "string", "required": True}},
                },
                "required": True,
            },
            "parallel_tool_calls": {"type": "boolean", "required": False},
            "previous_response_id": {"type": "string", "required": False},
            "reasoning": {
                "type": "object",
                "properties": {
                    "effort": {"type": "string", "required": False},
                    "generate_summary": {"type": "string", "required": False},
                },
                "required": False,
            },
            "status": {"type": "string", "required": False},
            "temperature": {"type": "double", "required": False},
            "text": {"type": "any", "required": False},
            "tool_choice": {"type": "any", "required": False},
            "tools": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"type": {"type": "string", "required": True}},
                },
                "required": False,
            },
            "top_p": {"type": "double", "required": False},
            "truncation": {"type": "string", "required": False},
            "usage": {
                "type": "object",
                "properties": {
                    "input_tokens": {"type": "long", "required": True},
                    "input_tokens_details": {
                        "type": "object",
                        "properties": {"cached_tokens": {"type": "long", "required": True}},
                        "required": True,
                    },
                    "output_tokens": {"type": "long", "required": True},
                    "output_tokens_details": {
                        "type": "object",
                        "properties": {"reasoning_tokens": {"type": "long", "required": True}},
                        "required": True,
                    },
                    "total_tokens": {"type": "long", "required": True},
                },
                "required": False,
            },
            "user": {"type": "string", "required": False},
        },
        "required": True,
    }
]


def signature() -> dict[str, Any]:
    """The `signature` section of an agent's MLmodel: JSON strings, as MLflow writes them."""
    return {"inputs": json.dumps(INPUTS), "outputs": json.dumps(OUTPUTS), "params": None}
