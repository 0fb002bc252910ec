"""The demo's registered agent: `support-agent`, a small deterministic `ResponsesAgent`.

Logged twice (versions 1 and 2, greeting differently), alias `champion` -> 1. Its code is
`resources/demo/support_agent.py.template` with the greeting filled in, written to a temporary
folder that `log_model` copies into the model's artifacts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import core
from core.demo import template

AGENT_EXPERIMENT = "support-agent"
AGENT_MODEL = "support-agent"
AGENT_CODE = template("support_agent.py.template")
#: How each version greets (the greeting goes into the code with `repr`).
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
