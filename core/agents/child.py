"""The child process of `AgentRunner`: load one model, answer requests over JSON lines.

    python -m core.agents.child --model-uri models:/agent/2 --tracking-uri sqlite:///mlflow.db

Protocol: `core.agents.protocol`. The real stdout and stdin are kept for the protocol; file
descriptors 1 and 0 are pointed at stderr and /dev/null before the agent's code runs, so its
prints (even from C code or subprocesses) land on stderr, which the runner shows.

Each call is traced into the tracking database (by `core`, or by MLflow for code that imports
mlflow) in the model's experiment unless `--experiment-id` says otherwise; traces are written
before the answer is sent, so the trace id in the answer can be opened at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

from core import context, tracking
from core.agents.loader import LoadedModel, open_model
from core.agents.protocol import (
    ERROR,
    EVENT,
    LOAD_ID,
    LOG,
    PING,
    PREDICT,
    PREDICT_STREAM,
    REQUEST_TYPES,
    RESULT,
    SHUTDOWN,
    decode,
    encode,
    error_payload,
)
from core.errors import TraceDeskError
from core.tracing import disable as disable_tracing

FLUSH_TIMEOUT_S = 60.0


class Channel:
    """The protocol's ends: the real stdin and stdout, kept away from the agent's code."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self._out: BinaryIO = os.fdopen(os.dup(1), "wb", buffering=0)
        self._in: BinaryIO = os.fdopen(os.dup(0), "rb")
        os.dup2(2, 1)  # whatever writes to fd 1 now writes to stderr
        sys.stdout = sys.stderr
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._lock:
            self._out.write(data)

    def log(self, message: str, level: str = "info") -> None:
        self.send({"id": None, "type": LOG, "level": level, "message": message})

    def requests(self) -> Iterator[bytes]:
        yield from self._in


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m core.agents.child", description=__doc__)
    parser.add_argument("--model-uri", required=True)
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--experiment-id", default=None)
    parser.add_argument("--no-trace", action="store_true", help="write no traces")
    return parser.parse_args(argv)


def _use_experiment(channel: Channel, experiment_id: str | None) -> None:
    if experiment_id is None:
        return
    try:
        tracking.set_experiment(experiment_id=experiment_id)
    except TraceDeskError as error:
        channel.log(f"Traces go to the Default experiment: {error}", "warning")


def _load(arguments: argparse.Namespace, channel: Channel) -> LoadedModel | None:
    """Load the model and report it (`load` result or error); None when it failed."""
    try:
        tracking.set_tracking_uri(arguments.tracking_uri)
        client = context.default_client()
        resolved = client.registry_store().models.resolve(arguments.model_uri)
        _use_experiment(channel, arguments.experiment_id or resolved.experiment_id)
        model = open_model(resolved, client, trace=not arguments.no_trace)
    except Exception as error:
        payload = error_payload(error)
        payload["traceback"] = getattr(error, "traceback", "") or payload["traceback"]
        channel.send({"id": LOAD_ID, "type": ERROR, "error": payload})
        return None
    channel.send({"id": LOAD_ID, "type": RESULT, "result": _load_info(model)})
    if model.untraced_because is not None:
        disable_tracing()  # core-run agents: the spans still run, nothing is written
        channel.log(f"Calls are not traced: {model.untraced_because}.", "warning")
    return model


def _load_info(model: LoadedModel) -> dict[str, Any]:
    facts = model.metadata
    return {
        "runtime": model.runtime.name,
        "traced": model.traced,
        "model_id": model.model_id,
        "code_file": str(model.code_file) if model.code_file else None,
        "artifact_dir": str(facts.folder) if facts is not None else None,
        "experiment_id": context.default_client().experiment_id,
        "pid": os.getpid(),
        "python": sys.executable,
        "python_version": sys.version.split()[0],
        "mlflow_version": getattr(sys.modules.get("mlflow"), "__version__", None),
    }


def _trace_id(model: LoadedModel, channel: Channel) -> str | None:
    """Write the call's trace; its id, or None (with a warning) when it was not written."""
    if not model.traced:
        return None  # said once, when the model was loaded
    why = model.flush_traces(FLUSH_TIMEOUT_S)
    if why is not None:
        channel.log(f"The trace {model.last_trace_id} could not be written: {why}", "warning")
        return None
    return model.last_trace_id


def _failed(model: LoadedModel, channel: Channel, call_id: Any, error: Exception) -> None:
    trace_id = _trace_id(model, channel)
    channel.send(
        {"id": call_id, "type": ERROR, "error": error_payload(error), "trace_id": trace_id}
    )


def _answer(
    model: LoadedModel,
    channel: Channel,
    message: dict[str, Any],
    response: Any,
    started: float,
    **extra: Any,
) -> None:
    """Send a call's result: the response, its trace and how long it took."""
    result = {
        "response": response,
        "trace_id": _trace_id(model, channel),
        "duration_ms": round((time.monotonic() - started) * 1000),
        **extra,
    }
    channel.send({"id": message.get("id"), "type": RESULT, "result": result})


def _predict(model: LoadedModel, channel: Channel, message: dict[str, Any]) -> None:
    started = time.monotonic()
    try:
        response = model.predict(message.get("request") or {})
    except Exception as error:
        _failed(model, channel, message.get("id"), error)
        return
    _answer(model, channel, message, response, started)


def _predict_stream(model: LoadedModel, channel: Channel, message: dict[str, Any]) -> None:
    from core.agents.responses import responses_agent_output_reducer

    started, events = time.monotonic(), []
    try:
        for event in model.predict_stream(message.get("request") or {}):
            events.append(event)
            channel.send({"id": message.get("id"), "type": EVENT, "event": event})
        response = responses_agent_output_reducer(events)
    except Exception as error:
        _failed(model, channel, message.get("id"), error)
        return
    _answer(model, channel, message, response, started, events=len(events))


def _ping(model: LoadedModel, channel: Channel, message: dict[str, Any]) -> None:
    result = {"pong": True, "pid": os.getpid()}
    channel.send({"id": message.get("id"), "type": RESULT, "result": result})


HANDLERS: dict[str, Callable[[LoadedModel, Channel, dict[str, Any]], None]] = {
    PREDICT: _predict,
    PREDICT_STREAM: _predict_stream,
    PING: _ping,
}


def serve(model: LoadedModel, channel: Channel) -> int:
    """Answer requests until `shutdown` or the end of stdin (the runner went away)."""
    for line in channel.requests():
        message = decode(line, REQUEST_TYPES)
        if message is None:
            error = {"type": "ProtocolError", "message": f"Not a request: {line[:200]!r}"}
            channel.send({"id": None, "type": ERROR, "error": error})
            continue
        if message["type"] == SHUTDOWN:
            _flush(model)
            channel.send({"id": message.get("id"), "type": RESULT, "result": {"stopped": True}})
            return 0
        HANDLERS[message["type"]](model, channel, message)
    _flush(model)
    return 0


def _flush(model: LoadedModel) -> None:
    """Write what is still pending (the process ends without its exit hooks)."""
    if model.traced:
        model.flush_traces(FLUSH_TIMEOUT_S)


def main(argv: Sequence[str] | None = None) -> int:
    channel = Channel()
    model = _load(_arguments(argv), channel)
    if model is None:
        return 2
    return serve(model, channel)


def _exit(code: int) -> None:
    """Exit without the interpreter's teardown: traces are already written, and MLflow's exit
    hook alone takes seconds."""
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
