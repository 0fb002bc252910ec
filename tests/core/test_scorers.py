"""Scorers without a model: `@scorer`, what scorers may return, the built-ins, and the pieces
an evaluation stores per score (aggregates, metrics, dataset digest and schema)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import core
from core.entities import AssessmentSource
from core.entities.evaluation import assessment_error
from core.evaluation.colspec import infer_schema
from core.evaluation.dataset import describe, pandas_digest
from core.evaluation.metrics import aggregate
from core.evaluation.row_scores import score_row, standardize
from core.evaluation.scorer import as_scorer
from core.scorers import (
    Contains,
    ExactMatch,
    Feedback,
    FunctionScorer,
    MaxLength,
    Scorer,
    contains,
    exact_match,
    output_text,
    scorer,
)
from core.store.assessment_rows import aggregate_value

CHAT_OUTPUT = {
    "choices": [
        {"message": {"role": "assistant", "content": "William Shakespeare"}, "finish_reason": None}
    ]
}


def test_a_scorer_gets_only_the_arguments_it_declares() -> None:
    seen: dict[str, Any] = {}

    @scorer
    def looks(outputs: str, trace: Any) -> bool:
        seen.update(outputs=outputs, trace=trace)
        return True

    @scorer(name="everything")
    def all_of_it(**kwargs: Any) -> bool:
        seen["all"] = sorted(kwargs)
        return True

    assert isinstance(looks, FunctionScorer) and looks.name == "looks"
    assert looks.parameters == {"outputs", "trace"}
    assert looks.run(inputs={"q": 1}, outputs="o", expectations={}, trace="t") is True
    assert seen == {"outputs": "o", "trace": "t"}
    assert all_of_it.name == "everything"
    all_of_it.run(inputs=1, outputs=2, expectations=3, trace=4)
    assert seen["all"] == ["expectations", "inputs", "outputs", "trace"]
    assert looks("direct", None) is True  # still callable as the function
    assert as_scorer(looks) is looks and as_scorer(len).name == "len"
    with pytest.raises(ValueError, match="aggregation"):
        scorer(aggregations=["average"])(len)


def test_core_exports_the_scorer_api() -> None:
    assert core.scorer is scorer and core.Feedback is Feedback and core.Scorer is Scorer
    assert core.scorers.ExactMatch is ExactMatch
    assert {"evaluate", "scorer", "scorers", "Feedback"} <= set(core.__all__)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, [("s", True, "s")]),
        (0.5, [("s", 0.5, "s")]),
        (np.float64(0.25), [("s", 0.25, "s")]),
        (np.bool_(False), [("s", False, "s")]),
        ("yes", [("s", "yes", "s")]),
        (None, []),
        # A Feedback made without a source has MLflow's default one: CODE / "default".
        (Feedback(value=1), [("s", 1, "default")]),
        (Feedback(name="feedback", value=1), [("s", 1, "default")]),
        (Feedback(name="own", value=1, source=AssessmentSource("CODE", "me")), [("own", 1, "me")]),
        (
            [Feedback(name="a", value=1), Feedback(value=2)],
            [("a", 1, "default"), ("s", 2, "default")],
        ),
        # As MLflow: a list of plain values is one feedback each; an empty list is none.
        ([1, np.int64(2)], [("s", 1, "s"), ("s", 2, "s")]),
        ([Feedback(name="a", value=True), "no"], [("a", True, "default"), ("s", "no", "s")]),
        ([], []),
    ],
)
def test_what_a_scorer_returns_becomes_feedback(value: Any, expected: list[Any]) -> None:
    feedbacks = standardize("s", value)
    assert [(f.name, f.value, f.source_id) for f in feedbacks] == expected
    assert all(type(f.value) in (bool, int, float, str) for f in feedbacks)


@pytest.mark.parametrize("value", [{"a": 1}, object()])
def test_other_return_values_are_scorer_errors(value: Any) -> None:
    (output,) = score_row(
        [scorer(name="odd")(lambda: value)], inputs={}, outputs=None, expectations={}, trace=None
    )
    (feedback,) = output.feedbacks
    assert output.failed and feedback.value is None and feedback.source_id == "odd"
    error = feedback.error_dict
    assert error is not None and error["error_code"] == "SCORER_ERROR"
    assert "must return a bool, a number, a string" in error["error_message"]


def test_feedback_errors_in_every_form() -> None:
    try:
        raise KeyError("gone")
    except KeyError as caught:
        from_exception = assessment_error(caught)
    assert from_exception is not None
    assert from_exception["error_code"] == "KeyError"
    assert from_exception["error_message"] == "'gone'"
    assert from_exception["stack_trace"].startswith("KeyError('gone')Traceback")
    assert assessment_error("bad input") == {
        "error_code": "ASSESSMENT_ERROR",
        "error_message": "bad input",
        "stack_trace": None,
    }
    assert Feedback(error={"error_code": "RATE_LIMIT", "error_message": "slow"}).error_dict == {
        "error_code": "RATE_LIMIT",
        "error_message": "slow",
        "stack_trace": None,
    }
    assert Feedback(value=1).error_dict is None


def test_exact_match_and_contains_compare_the_output_text() -> None:
    expectations = {"expected_response": "William Shakespeare"}
    assert exact_match.run(outputs="William Shakespeare", expectations=expectations) is True
    assert exact_match.run(outputs=CHAT_OUTPUT, expectations=expectations) is True
    assert exact_match.run(outputs="Shakespeare", expectations=expectations) is False
    assert ExactMatch(key="n").run(outputs=3, expectations={"n": 3}) is True
    assert contains.run(outputs="It was william shakespeare.", expectations=expectations) is True
    assert (
        Contains(case_sensitive=True).run(outputs="william shakespeare", expectations=expectations)
        is False
    )
    with pytest.raises(ValueError, match=r"exact_match needs expectations\['expected_response'\]"):
        exact_match.run(outputs="x", expectations={})
    assert (exact_match.name, contains.name) == ("exact_match", "contains")


def test_max_length_limits_the_output_text() -> None:
    assert MaxLength(7).run(outputs="Unicorn") is True
    assert MaxLength(6).run(outputs="Unicorn") is False
    assert MaxLength(30, name="short").run(outputs=CHAT_OUTPUT) is True
    assert MaxLength(1).name == "max_length" and MaxLength(1).parameters == {"outputs"}
    with pytest.raises(ValueError, match="needs an output"):
        MaxLength(3).run(outputs=None)
    with pytest.raises(ValueError, match="0 or more"):
        MaxLength(-1)


def test_output_text() -> None:
    assert output_text("plain") == "plain"
    assert output_text(CHAT_OUTPUT) == "William Shakespeare"
    assert output_text({"messages": [{"role": "assistant", "content": "hi"}]}) == "hi"
    assert output_text({"answer": 42}) == '{"answer": 42}'


def test_scorer_digests_identify_the_logic() -> None:
    one = MaxLength(5)
    assert one.digest == MaxLength(5).digest != MaxLength(6).digest
    assert one.digest.startswith("sha256:")

    @scorer
    def a(outputs: str) -> bool:
        return True

    @scorer
    def b(outputs: str) -> bool:
        return False

    assert a.digest != b.digest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, (1.0, False)),
        (False, (0.0, False)),
        (3, (3.0, True)),
        (0.5, (0.5, True)),
        (float("nan"), (None, False)),
        (float("inf"), (None, False)),
        (10**400, (None, False)),
        ("yes", (1.0, False)),
        (" No ", (0.0, False)),
        ("maybe", (None, False)),
        (None, (None, False)),
        ({"a": 1}, (None, False)),
    ],
)
def test_aggregate_value_is_mlflows(value: Any, expected: tuple[float | None, bool]) -> None:
    assert aggregate_value(value) == expected


def test_metrics_average_numbers_booleans_and_yes_no_only() -> None:
    feedbacks = [
        Feedback(name="ok", value=True),
        Feedback(name="ok", value=False),
        Feedback(name="ok", value=None, error="broke"),
        Feedback(name="judge", value="yes"),
        Feedback(name="judge", value="No"),
        Feedback(name="judge", value="yes"),
        Feedback(name="word", value="meh"),
        Feedback(name="size", value=2),
        Feedback(name="size", value=8),
        Feedback(name="size", value=5),
    ]
    sized = scorer(name="size", aggregations=["min", "max", "median", "variance", "p90"])(len)
    assert aggregate(feedbacks, [sized]) == {
        "ok/mean": 0.5,
        "judge/mean": pytest.approx(2 / 3),
        "size/min": 2.0,
        "size/max": 8.0,
        "size/median": 5.0,
        "size/variance": 6.0,
        "size/p90": pytest.approx(7.4),
    }


TUTORIAL = {
    "What is the Scotland's national animal?": "Unicorn",
    "Who was the first person to build an airplane?": "Wright Brothers",
    "Who wrote Romeo and Juliet?": "William Shakespeare",
}


def test_dataset_digest_equals_mlflows() -> None:
    data = [
        {"inputs": {"question": q}, "expectations": {"expected_response": a}}
        for q, a in TUTORIAL.items()
    ]
    assert pandas_digest(pd.DataFrame(data)) == "c9f31245"  # tests/fixtures/mlflow-3.18-tutorial
    single = [{"inputs": {"inp": "inputs value"}, "expectations": {"exp": "expectations value"}}]
    assert pandas_digest(pd.DataFrame(single)) == "c02f98ac"
    record = describe(pd.DataFrame(data), {"mlflow.user": "root"})
    assert (record.name, record.source_type, record.digest) == ("dataset", "code", "c9f31245")
    assert json.loads(record.profile) == {"num_rows": 3, "num_elements": 6}
    assert json.loads(record.source) == {"tags": {"mlflow.user": "root"}}


# What `mlflow.types.utils._infer_schema` (MLflow 3.18) gives for the same frames.
SCHEMAS: list[tuple[list[dict[str, Any]], Any]] = [
    (
        [
            {
                "inputs": {"q": "a", "n": 1, "x": 1.5, "b": True, "l": ["a"], "d": {"k": 1}},
                "s": "t",
                "i": 3,
            }
        ],
        [
            {
                "type": "object",
                "properties": {
                    "b": {"type": "boolean", "required": True},
                    "d": {
                        "type": "object",
                        "properties": {"k": {"type": "long", "required": True}},
                        "required": True,
                    },
                    "l": {"type": "array", "items": {"type": "string"}, "required": True},
                    "n": {"type": "long", "required": True},
                    "q": {"type": "string", "required": True},
                    "x": {"type": "double", "required": True},
                },
                "name": "inputs",
                "required": True,
            },
            {"type": "string", "name": "s", "required": True},
            {"type": "long", "name": "i", "required": True},
        ],
    ),
    (
        [{"inputs": {"q": "a"}}, {"inputs": {"q": "b", "extra": 2}}],
        [
            {
                "type": "object",
                "properties": {
                    "extra": {"type": "long", "required": False},
                    "q": {"type": "string", "required": True},
                },
                "name": "inputs",
                "required": True,
            }
        ],
    ),
    (
        [{"inputs": {"q": "a"}, "expectations": {"e": None}}],
        [
            {
                "type": "object",
                "properties": {"q": {"type": "string", "required": True}},
                "name": "inputs",
                "required": True,
            },
            {
                "type": "object",
                "properties": {"e": {"type": "any", "required": False}},
                "name": "expectations",
                "required": True,
            },
        ],
    ),
    (
        [{"inputs": {"q": 1}, "expectations": {"e": 1, "f": True}}, {"inputs": {"q": 2}}],
        [
            {
                "type": "object",
                "properties": {"q": {"type": "long", "required": True}},
                "name": "inputs",
                "required": True,
            },
            {
                "type": "object",
                "properties": {
                    "e": {"type": "long", "required": False},
                    "f": {"type": "boolean", "required": False},
                },
                "name": "expectations",
                "required": False,
            },
        ],
    ),
    (
        [{"inputs": {"q": "a"}, "l": [{"a": 1}]}],
        [
            {
                "type": "object",
                "properties": {"q": {"type": "string", "required": True}},
                "name": "inputs",
                "required": True,
            },
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"a": {"type": "long", "required": True}},
                },
                "name": "l",
                "required": True,
            },
        ],
    ),
    ([{"inputs": {}}], [{"type": "any", "name": "inputs", "required": True}]),
    ([{"inputs": {"q": 1}}, {"inputs": {"q": 2.5}}], None),
    ([{"inputs": {"q": "a"}, "outputs": {"x": 1}}, {"inputs": {"q": "b"}, "outputs": "str"}], None),
]


@pytest.mark.parametrize(("rows", "expected"), SCHEMAS)
def test_dataset_schema_is_mlflows(rows: list[dict[str, Any]], expected: Any) -> None:
    assert infer_schema(pd.DataFrame(rows)) == expected
