"""The evaluation experiment: the eval harness's scored rows and the nightly regression suite.

Three runs of the harness over the golden questions (one candidate is buggy: it hedges, and
its model server restarts mid-run), each row a trace with the agent's answer and the scorers'
verdicts; and one nightly batch of exactly 2,000 spans. Texts: `resources/demo/harness.toml`.
"""

from __future__ import annotations

import json

from core.demo import texts
from core.demo.failures import app_frames, ollama_failure, timeout_failure
from core.demo.llm import chat_call, completion_call, failed_chat_call
from core.demo.plan import (
    DAY,
    HOUR,
    SECOND,
    Gen,
    Node,
    Seq,
    TraceSpec,
    leaf,
    run_parallel,
    trace_context,
)

TEXTS = texts("harness")
BATCH_ROWS = 333  # 333 rows x 6 spans + root + aggregate = 2,000 spans
BATCH_SPAN_COUNT = BATCH_ROWS * 6 + 2
#: question, expected answer, the agent's answer, whether that answer is right
EVAL_SET: tuple[tuple[str, str, str, bool], ...] = tuple(
    (row["question"], row["expected"], row["answer"], row["right"]) for row in TEXTS["questions"]
)
JUDGE = TEXTS["judge"]
EVAL_RUNS = (
    ("baseline", 12.3, "llama3.2:1b"),
    ("prompt-v3", 6.2, "gpt-4o-mini"),
    ("candidate-buggy", 1.8, "qwen2.5:7b"),
)
PREDICT_FRAMES = app_frames("eval_predict")
JUDGE_FRAMES = app_frames("eval_judge")


def judge(g: Gen, t: int, item: tuple[str, str, str, bool], answer: str, fail: bool) -> Node:
    question, expected, _, _ = item
    right = expected.lower() in answer.lower() or (answer == item[2] and item[3])
    verdict = {
        "value": "yes" if right else "no",
        "rationale": JUDGE["right"] if right else JUDGE["wrong"].format(expected=expected),
    }
    seq = Seq(g, t)
    prompt = JUDGE["prompt"].format(q=question, e=expected, r=answer)
    call = completion_call(g, seq.t, "gpt-4o-mini", prompt, json.dumps(verdict), "judge")
    if fail:
        call.failure, call.outputs = timeout_failure(JUDGE_FRAMES), None
        call.attributes.pop("mlflow.chat.tokenUsage")
        call.end_ns = call.start_ns + 3 * SECOND
    seq.add(call)
    return seq.close(
        "correctness",
        "EVALUATOR",
        {"response": answer, "expected": expected},
        None if fail else verdict,
        failure=call.failure,
    )


def predict_node(g: Gen, t: int, model: str, question: str, answer: str, down: bool) -> Node:
    """The agent under evaluation; with `down`, its Ollama server refuses the connection."""
    messages = [
        {"role": "system", "content": TEXTS["predict_system"]},
        {"role": "user", "content": question},
    ]
    seq = Seq(g, t)
    if down:
        error = ollama_failure("connect", PREDICT_FRAMES)
        seq.add(failed_chat_call(g, seq.t, model, messages, error))
        return seq.close("predict", "AGENT", {"question": question}, failure=error)
    seq.add(chat_call(g, seq.t, model, messages, {"role": "assistant", "content": answer}))
    return seq.close("predict", "AGENT", {"question": question}, answer)


def eval_row(
    g: Gen, t: int, item: tuple[str, str, str, bool], model: str, name: str, trouble: str = ""
) -> Node:
    """One dataset row: the agent answers, then the scorers judge the answer.

    `trouble` is "hedge" (the buggy candidate drops its context and hedges) or "down" (the
    model server is unreachable, so the row fails before any scorer runs).
    """
    question, expected, answer, _ = item
    if trouble == "hedge":
        answer = TEXTS["hedge"]
    inputs = {"inputs": {"question": question}, "expectations": {"expected_response": expected}}
    seq = Seq(g, t)
    seq.add(predicted := predict_node(g, seq.t, model, question, answer, trouble == "down"))
    if predicted.failure:
        return seq.close(name, "TASK", inputs, failure=predicted.failure)
    seq.add(judge(g, seq.t, item, answer, g.chance(0.015)))
    exact = float(expected.lower() in answer.lower())
    scored = {"response": answer, "expected": expected}
    seq.add(leaf(g, seq.t, "exact_match", "EVALUATOR", (0.1, 2), scored, {"value": exact}))
    outputs = {"response": answer, "scores": {"exact_match": exact}}
    return seq.close(name, "TASK", inputs, outputs)


def eval_trouble(g: Gen, run: str, index: int) -> str:
    """What goes wrong in a run: only the buggy candidate has trouble, and always some."""
    if run != "candidate-buggy":
        return ""
    if index in (4, 5):  # the Ollama server restarted in the middle of the run
        return "down"
    return "hedge" if g.chance(0.4) else ""


def eval_traces(g: Gen, now: int) -> list[TraceSpec]:
    specs = []
    for run, days_ago, model in EVAL_RUNS:
        t = now - int(days_ago * DAY)
        for index, item in enumerate(EVAL_SET):
            trouble = eval_trouble(g, run, index)
            root = eval_row(g, t, item, model, "evaluate_row", trouble)
            tags, metadata = trace_context("evaluation", t, now, g)
            tags |= {"eval.run": run, "eval.dataset": "qa_golden_v1", "model": model}
            specs.append(TraceSpec("evaluation", root, tags, metadata, None, "ci-bot"))
            t = root.end_ns + g.ms(50, 400)
    specs.append(batch_trace(g, now))
    return specs


def batch_trace(g: Gen, now: int) -> TraceSpec:
    """The nightly regression suite: 333 rows on 8 workers, exactly 2,000 spans."""
    t = now - 2 * DAY - 9 * HOUR
    prefixes = TEXTS["batch_prefixes"]
    items = [(p + q, e, a, ok) for p in prefixes for q, e, a, ok in EVAL_SET]
    seq = Seq(g, t)
    jobs = [
        lambda start, i=i: eval_row(g, start, items[i % len(items)], "llama3.2:1b", f"row[{i}]")
        for i in range(BATCH_ROWS)
    ]
    seq.add(*run_parallel(g, seq.t, jobs, workers=8))
    passed = sum(1 for n in seq.nodes if n.outputs["scores"]["exact_match"] == 1.0)
    metrics = {"rows": BATCH_ROWS, "exact_match/mean": round(passed / BATCH_ROWS, 4)}
    seq.add(leaf(g, seq.t, "aggregate_metrics", "TASK", (5, 40), {"rows": BATCH_ROWS}, metrics))
    inputs = {
        "dataset": "qa_regression_v2",
        "rows": BATCH_ROWS,
        "workers": 8,
        "model": "llama3.2:1b",
    }
    root = seq.close("nightly_regression_suite", "WORKFLOW", inputs, metrics)
    tags, metadata = trace_context("evaluation", t, now, g)
    tags |= {
        "eval.run": "nightly",
        "eval.dataset": "qa_regression_v2",
        "schedule": "cron 0 2 * * *",
    }
    return TraceSpec("evaluation", root, tags, metadata, None, "ci-bot")
