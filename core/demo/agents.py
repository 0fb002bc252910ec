"""The demo's registered agent: `support-agent`, a small deterministic `ResponsesAgent`.

Logged twice (versions 1 and 2, greeting differently), alias `champion` -> 1. Its code is
`resources/demo/support_agent.py.template` with the greeting filled in, written to a temporary
folder that `log_model` copies into the model's artifacts.

It is logged before the traces are written so that the support-agent's ResponsesAgent
conversations name it, as MLflow names the model that served a trace: metadata
`mlflow.modelId` = the champion's logged model (`link_agent_traces`). "Replay in Agent" then
finds the agent of such a trace in the same database.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

import core
from core.demo import template
from core.demo.plan import TraceSpec
from core.mlflow_keys import MODEL_ID_METADATA

AGENT_EXPERIMENT = "support-agent"
AGENT_MODEL = "support-agent"
AGENT_CODE = template("support_agent.py.template")
#: How each version greets (the greeting goes into the code with `repr`).
AGENT_VERSIONS = ("Hello!", "Hi, thanks for reaching out!")
#: The version the alias `champion` names: it served the recorded conversations.
CHAMPION = 1


def add_agent() -> dict[int, str]:
    """Log and register every version; the logged model id of each version, by number."""
    core.set_experiment(AGENT_EXPERIMENT)
    example = {"input": [{"role": "user", "content": "How long do refunds take?"}]}
    model_ids: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="tracedesk-demo-agent-") as folder:
        for number, greeting in enumerate(AGENT_VERSIONS, start=1):
            code = Path(folder) / f"v{number}" / "support_agent.py"
            code.parent.mkdir()
            code.write_text(AGENT_CODE.format(greeting=greeting), "utf-8")
            with core.start_run(run_name=f"support-agent-v{number}"):
                info = core.pyfunc.log_model(
                    python_model=code,
                    name="agent",
                    registered_model_name=AGENT_MODEL,
                    input_example=example,
                )
            model_ids[number] = info.model_id
    core.set_model_alias(AGENT_MODEL, "champion", CHAMPION)
    return model_ids


def link_agent_traces(specs: Sequence[TraceSpec], model_id: str) -> list[TraceSpec]:
    """`specs` with every planned `mlflow.modelId` pointing at `model_id` (the plan draws
    placeholder ids: the real one exists only once the agent is logged)."""
    return [
        dataclasses.replace(spec, metadata={**spec.metadata, MODEL_ID_METADATA: model_id})
        if MODEL_ID_METADATA in spec.metadata
        else spec
        for spec in specs
    ]
