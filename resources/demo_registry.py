"""The demo's prompts, evaluation runs and registered agent, written only through `core`.

`build_demo_database` calls `add_registry(path)` once its traces are on disk, with core's
tracking URI already pointing at `path`, so the Prompts, Evaluations and Agents tabs have
something to show:

- prompts: a text prompt `support-triage` (three versions, `production` -> 2, `staging` -> 3)
  and a chat prompt `rag-answer` (two versions, `production` -> 2);
- evaluations: two `core.evaluate` runs over the same twelve questions in the `rag-qa`
  experiment, "baseline" and "new prompt", with canned answers (no network, no model) so that
  Compare shows rows that improved and rows that regressed, and one scorer that fails on one row;
- agent: `support-agent`, a small deterministic `ResponsesAgent` logged twice (versions 1 and
  2), alias `champion` -> 1. Its code is written to a temporary folder: `log_model` copies it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import core
from core.scorers import Contains, Feedback, MaxLength, exact_match, scorer

EVAL_EXPERIMENT = "rag-qa"
AGENT_EXPERIMENT = "support-agent"
AGENT_MODEL = "support-agent"

# ------------------------------------------------------------------------------------------------
# Prompts
# ------------------------------------------------------------------------------------------------

TRIAGE_VERSIONS = (
    (
        "Classify the customer message into one of: billing, shipping, account, other.\n\n"
        "Message: {{ message }}\n\nAnswer with the category only.",
        "First version: four categories, category only.",
    ),
    (
        "You triage support tickets for {{ company }}.\n"
        "Classify the message into one of: billing, shipping, returns, account, other.\n"
        'Reply as JSON: {"category": ..., "urgent": true|false}.\n\n'
        "Customer ({{ language }}): {{ message }}",
        "Add a returns category, an urgency flag and JSON output; name the company.",
    ),
    (
        "You triage support tickets for {{ company }}.\n"
        "Classify the message into one of: billing, shipping, returns, account, other.\n"
        "A message that mentions a chargeback, a legal threat or a safety issue is always urgent.\n"
        'Reply as JSON: {"category": ..., "urgent": true|false, "reason": "..."}.\n\n'
        "Customer ({{ language }}, plan {{ plan }}): {{ message }}",
        "Spell out what is urgent, ask for a one-line reason, pass the customer's plan.",
    ),
)

RAG_VERSIONS: tuple[tuple[list[dict[str, str]], str], ...] = (
    (
        [
            {
                "role": "system",
                "content": "Answer the question using the context below.\n\n{{ context }}",
            },
            {"role": "user", "content": "{{ question }}"},
        ],
        "First chat version: context in the system message.",
    ),
    (
        [
            {
                "role": "system",
                "content": (
                    "You are the {{ product }} documentation assistant. Answer only from the "
                    'context; if it does not say, answer "I don\'t know". Cite sources as [n].\n\n'
                    "Context:\n{{ context }}"
                ),
            },
            {"role": "user", "content": "{{ question }}"},
        ],
        'Ground answers in the context, allow "I don\'t know", cite sources.',
    ),
)


def add_prompts() -> None:
    for template, message in TRIAGE_VERSIONS:
        core.register_prompt(
            "support-triage", template, commit_message=message, tags={"team": "support"}
        )
    core.set_prompt_alias("support-triage", "production", 2)
    core.set_prompt_alias("support-triage", "staging", 3)
    for chat, message in RAG_VERSIONS:
        core.register_prompt("rag-answer", chat, commit_message=message, tags={"team": "docs"})
    core.set_prompt_alias("rag-answer", "production", 2)


# ------------------------------------------------------------------------------------------------
# Evaluations
# ------------------------------------------------------------------------------------------------

#: question, expected answer, the baseline's answer, the new prompt's answer.
EVAL_ROWS: tuple[tuple[str, str, str, str], ...] = (
    (
        "How long do refunds take?",
        "Refunds take 5-7 business days.",
        "Refunds usually take a while, depending on your bank.",
        "Refunds take 5-7 business days.",
    ),
    (
        "Can I change my delivery address?",
        "Yes, until the order ships.",
        "Yes, until the order ships.",
        "Yes, until the order ships.",
    ),
    (
        "Which regions do you ship to?",
        "We ship to the EU, the UK and Japan.",
        "We ship to the EU, the UK and Japan.",
        "We ship worldwide except to a few regions; see the shipping policy page for the full "
        "and current list, which changes from time to time as carriers add and drop routes.",
    ),
    (
        "How do I reset my password?",
        "Use the 'Forgot password' link on the sign-in page.",
        "Contact support.",
        "Use the 'Forgot password' link on the sign-in page.",
    ),
    (
        "Is the Vela dock compatible with USB-C laptops?",
        "Yes, any USB-C laptop with DisplayPort Alt Mode.",
        "Yes, any USB-C laptop with DisplayPort Alt Mode.",
        "Yes, any USB-C laptop with DisplayPort Alt Mode.",
    ),
    (
        "What is the warranty on the dock?",
        "Two years.",
        "One year.",
        "The dock has a warranty of two years.",
    ),
    (
        "Do you offer invoices with VAT?",
        "Yes, download them from Orders > Invoice.",
        "Yes, download them from Orders > Invoice.",
        "Invoices are available.",
    ),
    (
        "How do I cancel my subscription?",
        "Go to Settings > Plan > Cancel.",
        "Go to Settings > Plan > Cancel.",
        "Go to Settings > Plan > Cancel.",
    ),
    (
        "What does error E42 mean?",
        "The dock is overheating; unplug it for ten minutes.",
        "I don't know.",
        "E42: the dock is overheating; unplug it for ten minutes.",
    ),
    (
        "¿Puedo pagar con PayPal?",
        "Sí, aceptamos PayPal.",
        "Sí, aceptamos PayPal.",
        "Sí, aceptamos PayPal.",
    ),
    (
        "配送にはどのくらいかかりますか？",  # noqa: RUF001 -- Japanese punctuation on purpose
        "通常3〜5営業日です。",
        "通常3〜5営業日です。",
        "通常3〜5営業日です。",
    ),
    (
        "Can I return an opened item?",
        "Yes, within 30 days.",
        "No.",
        "Yes, within 30 days, in its original packaging.",
    ),
)

BANNED = ("contact support", "i don't know")


@scorer
def helpful(outputs: str) -> Feedback:
    """A custom scorer: an answer that sends the customer elsewhere is not helpful."""
    text = str(outputs).casefold()
    for phrase in BANNED:
        if phrase in text:
            return Feedback(value="no", rationale=f"The answer only says {phrase!r}.")
    return Feedback(value="yes", rationale="The answer addresses the question itself.")


@scorer
def cites_policy(inputs: Mapping[str, Any], outputs: str) -> bool:
    """A scorer with a bug: it cannot handle the Spanish question, which shows an error cell."""
    question = str(inputs["question"])
    if question.startswith("¿"):
        raise ValueError(f"cites_policy cannot parse the question {question!r}")
    return "policy" in str(outputs).casefold() or any(ch.isdigit() for ch in str(outputs))


#: Replaces what core records about this process on the evaluation traces (see
#: `demo_data.trace_context`): the demo names a CI job, not whoever built it.
EVAL_METADATA = {
    "mlflow.user": "ci-bot",
    "mlflow.source.name": "rag_qa/evaluate.py",
    "mlflow.source.type": "JOB",
    "mlflow.source.git.branch": "main",
    "mlflow.source.git.commit": "4f0c2a9d1b7e83c56a0e9d2f41b8c7a3e5d6f012",
    "mlflow.source.git.repoURL": "git@github.com:northwind-ai/rag-qa.git",
}


def canned(answers: Mapping[str, str], version: str) -> Callable[..., str]:
    """A deterministic `predict_fn(question=...)` that returns a fixed answer per question."""

    def answer_question(question: str) -> str:
        core.update_current_trace(tags={"prompt": version}, metadata=EVAL_METADATA)
        return answers[question]

    return answer_question


def add_evaluations() -> None:
    core.set_experiment(EVAL_EXPERIMENT)
    data = [
        {"inputs": {"question": q}, "expectations": {"expected_response": want}}
        for q, want, _, _ in EVAL_ROWS
    ]
    scorers = [exact_match, Contains(), MaxLength(80), helpful, cites_policy]
    runs = (("baseline", 2, "rag-answer@1"), ("new prompt", 3, "rag-answer@2"))
    for run_name, column, version in runs:
        answers = {row[0]: str(row[column]) for row in EVAL_ROWS}
        predict_fn = canned(answers, version)
        core.evaluate(data=data, predict_fn=predict_fn, scorers=scorers, run_name=run_name)


# ------------------------------------------------------------------------------------------------
# The agent
# ------------------------------------------------------------------------------------------------

AGENT_CODE = '''"""The demo's support agent: canned answers by keyword, no network and no model."""

import core

GREETING = {greeting!r}
ANSWERS = (
    ("refund", "Refunds take 5-7 business days once the parcel is back with us."),
    ("address", "You can change the delivery address until the order ships."),
    ("password", "Use the 'Forgot password' link on the sign-in page."),
    ("warranty", "The Vela dock has a two-year warranty."),
    ("ship", "We ship to the EU, the UK and Japan; delivery takes 3-5 business days."),
)


class SupportAgent(core.ResponsesAgent):
    def predict(self, request):
        question = str(request.input[-1].content)
        lowered = question.lower()
        text = next(
            (answer for keyword, answer in ANSWERS if keyword in lowered),
            "I can help with refunds, orders, shipping, passwords and the warranty.",
        )
        item = self.create_text_output_item(text=f"{{GREETING}} {{text}}", id="msg_1")
        return core.ResponsesAgentResponse(output=[item])


core.set_model(SupportAgent())
'''

AGENT_VERSIONS = ("Hello!", "Hi, thanks for reaching out!")


def add_agent() -> None:
    core.set_experiment(AGENT_EXPERIMENT)
    example = {"input": [{"role": "user", "content": "How long do refunds take?"}]}
    with tempfile.TemporaryDirectory(prefix="tracedesk-demo-agent-") as folder:
        for number, greeting in enumerate(AGENT_VERSIONS, start=1):
            code = Path(folder) / f"v{number}" / "support_agent.py"
            code.parent.mkdir()
            code.write_text(AGENT_CODE.format(greeting=greeting), "utf-8")
            with core.start_run(run_name=f"support-agent-v{number}"):
                core.pyfunc.log_model(
                    python_model=code,
                    name="agent",
                    registered_model_name=AGENT_MODEL,
                    input_example=example,
                )
    core.set_model_alias(AGENT_MODEL, "champion", 1)


def add_registry(path: Path) -> None:
    """Add the prompts, evaluation runs and agent to the demo database at `path`, which core's
    tracking URI must already point at (`build_demo_database` set it)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} does not exist; build the demo traces first.")
    add_prompts()
    add_evaluations()
    add_agent()
    if not core.flush_trace_async_logging(timeout_s=60.0):
        raise RuntimeError(f"Timed out writing the demo's evaluation traces to {path}.")
