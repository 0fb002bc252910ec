"""Small core-only agents ("models from code") for the Agents page tests, each misbehaving in
its own way; `log_agents` registers them in a fresh MLflow 3.18 database."""

from __future__ import annotations

import sys
from pathlib import Path

import core
from core import tracking

ANSWER = "The result of 4 * 3 in Python is 12."
QUESTION = "what is 4*3 in python"

_HEAD = """
import os, sys, time
import core

CALLS = 0


def answer(text, item_id="msg_1"):
    return core.ResponsesAgentResponse(
        output=[core.create_text_output_item(text=text, id=item_id)]
    )
"""

SIMPLE = (
    _HEAD
    + f'''
class SimpleAgent(core.ResponsesAgent):
    def predict(self, request):
        print("thinking about", request.input[-1].content, file=sys.stderr)
        return answer("{ANSWER}")


core.set_model(SimpleAgent())
'''
)

STREAMING = (
    _HEAD
    + f'''
class StreamingAgent(core.ResponsesAgent):
    def predict(self, request):
        return answer("{ANSWER}")

    def predict_stream(self, request):
        for word in ("The result", " of 4 * 3", " in Python", " is 12."):
            yield core.ResponsesAgentStreamEvent(**self.create_text_delta(word, "msg_1"))
            time.sleep(0.05)
        item = self.create_text_output_item(text="{ANSWER}", id="msg_1")
        yield core.ResponsesAgentStreamEvent(type="response.output_item.done", item=item)


core.set_model(StreamingAgent())
'''
)

CRASHING = (
    _HEAD
    + """
class CrashingAgent(core.ResponsesAgent):
    def predict(self, request):
        global CALLS
        CALLS += 1
        if CALLS == 2:
            print("about to crash on call", CALLS, file=sys.stderr)
            sys.stderr.flush()
            os._exit(3)
        return answer("Still here.")


core.set_model(CrashingAgent())
"""
)

HANGING = (
    _HEAD
    + """
class HangingAgent(core.ResponsesAgent):
    def predict(self, request):
        print("entered predict", file=sys.stderr)
        sys.stderr.flush()
        time.sleep(3600)
        return answer("never")


core.set_model(HangingAgent())
"""
)

JUNK = (
    _HEAD
    + f'''
print("junk printed at import")


class JunkAgent(core.ResponsesAgent):
    def predict(self, request):
        print("{{not json at all")
        sys.__stdout__.write("[1, 2, 3]\\n")
        return answer("{ANSWER}")


core.set_model(JunkAgent())
'''
)

TOOLS = (
    _HEAD
    + """
class ToolAgent(core.ResponsesAgent):
    def predict(self, request):
        question = request.input[-1].content
        call = self.create_function_call_item(
            id="fc_1", call_id="call_1", name="python", arguments='{"code": "print(4 * 3)"}'
        )
        result = self.create_function_call_output_item(call_id="call_1", output="12")
        text = f"I ran `print(4 * 3)` for **{question}**: the result is 12."
        message = self.create_text_output_item(text=text, id="msg_1")
        return core.ResponsesAgentResponse(output=[call, result, message])


core.set_model(ToolAgent())
"""
)

AGENTS = {
    "simple": SIMPLE,
    "streaming": STREAMING,
    "crashing": CRASHING,
    "hanging": HANGING,
    "junk": JUNK,
    "tools": TOOLS,
}


def log_agents(db: Path, folder: Path) -> None:
    """Register every agent above in `db` (created), `simple` twice (versions 1 and 2)."""
    folder.mkdir(parents=True, exist_ok=True)
    core.set_tracking_uri(db)
    try:
        for name, code in AGENTS.items():
            path = folder / f"{name}_agent.py"
            path.write_text(code, "utf-8")
            core.log_model(python_model=path, name=name, registered_model_name=name)
        core.log_model(
            python_model=folder / "simple_agent.py", name="simple", registered_model_name="simple"
        )
        core.set_model_alias("simple", "champion", 1)
    finally:
        tracking.reset()


def junk_interpreter(folder: Path) -> Path:
    """A `python` that prints junk on the protocol's stdout before it runs the child."""
    wrapper = folder / "python-with-junk"
    wrapper.write_text(
        f'#!/bin/sh\necho "junk before start"\necho "[1, 2]"\nexec "{sys.executable}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper
