"""Recognising span types, inputs, outputs, tokens and models from attribute conventions
(values are JSON text, as stored)."""

from __future__ import annotations

import json

from core.otlp.conventions import translate


def _translated(**attributes: object) -> dict[str, object]:
    stored = {key.replace("__", "."): json.dumps(value) for key, value in attributes.items()}
    translate(stored)
    return {key: json.loads(value) for key, value in stored.items() if key.startswith("mlflow.")}


def test_openllmetry_prompts_and_completions() -> None:
    found = _translated(
        gen_ai__system="anthropic",
        gen_ai__request__model="claude-3",
        gen_ai__prompt__0__role="system",
        gen_ai__prompt__0__content="Be brief.",
        gen_ai__prompt__1__role="user",
        gen_ai__prompt__1__content="Hi",
        gen_ai__completion__0__role="assistant",
        gen_ai__completion__0__content="Hello",
        gen_ai__usage__prompt_tokens=9,
        gen_ai__usage__completion_tokens=2,
        llm__usage__total_tokens=11,
    )
    assert found == {
        # MLflow's rule: the first prompt's content (not the conversation)
        "mlflow.spanInputs": "Be brief.",
        "mlflow.spanOutputs": "Hello",
        "mlflow.chat.tokenUsage": {"input_tokens": 9, "output_tokens": 2, "total_tokens": 11},
        "mlflow.llm.model": "claude-3",
        "mlflow.llm.provider": "anthropic",
    }


def test_genai_tokens_caches_and_precedence() -> None:
    found = _translated(
        gen_ai__operation__name="invoke_agent",
        gen_ai__provider__name="aws.bedrock",
        gen_ai__system="ignored when the provider is named",
        gen_ai__response__model="nova-pro-v1",
        gen_ai__request__model="nova-pro",
        gen_ai__usage__input_tokens=100,
        gen_ai__usage__output_tokens=20,
        gen_ai__usage__cache_read__input_tokens=80,
        gen_ai__usage__cache_creation__input_tokens=5,
        gen_ai__tool__definitions=[{"name": "search"}],
    )
    assert found == {
        "mlflow.spanType": "AGENT",
        "mlflow.chat.tokenUsage": {
            "input_tokens": 100,
            "output_tokens": 20,
            "total_tokens": 120,
            "cache_read_input_tokens": 80,
            "cache_creation_input_tokens": 5,
        },
        "mlflow.chat.tools": [{"name": "search"}],
        "mlflow.llm.model": "nova-pro-v1",
        "mlflow.llm.provider": "aws.bedrock",
    }


def test_what_the_sender_set_is_kept() -> None:
    found = _translated(
        mlflow__spanType="RETRIEVER",
        mlflow__spanInputs={"query": "q"},
        openinference__span__kind="LLM",
        input__value="other",
    )
    assert found == {"mlflow.spanType": "RETRIEVER", "mlflow.spanInputs": {"query": "q"}}
    unknown = _translated(mlflow__spanType="UNKNOWN", openinference__span__kind="EMBEDDING")
    assert unknown == {"mlflow.spanType": "EMBEDDING"}


def test_empty_values_and_unknown_kinds_are_skipped() -> None:
    found = _translated(
        openinference__span__kind="SOMETHING_NEW",
        input__value={},
        output__value="",
        llm__token_count__total="7",
    )
    assert found == {"mlflow.chat.tokenUsage": {"total_tokens": 7}}
