"""Span types with MLflow's names (`mlflow.entities.SpanType`); other strings are custom types."""

from __future__ import annotations


class SpanType:
    """The span types MLflow knows (`mlflow.entities.SpanType`); values are plain strings."""

    LLM = "LLM"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    CHAT_MODEL = "CHAT_MODEL"
    RETRIEVER = "RETRIEVER"
    PARSER = "PARSER"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    MEMORY = "MEMORY"
    WORKFLOW = "WORKFLOW"
    TASK = "TASK"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"
    UNKNOWN = "UNKNOWN"


KNOWN_SPAN_TYPES: tuple[str, ...] = tuple(
    value for key, value in vars(SpanType).items() if key.isupper()
)
