"""The agent's child process: how it is started and how it is ended.

The child imports `core` from this process's copy (the repository folder goes first on
PYTHONPATH), and the packages `core` needs that the interpreter lacks from this process's
site-packages, appended last so the interpreter's own packages win. `python -m
core.agents.child` would import `core` (and so its dependencies) before anything could append
them, hence the short `-c` bootstrap that does so and then runs the module.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sysconfig
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BOOTSTRAP = (
    "import os, runpy, sys\n"
    "extra = os.environ.pop('TRACEDESK_FALLBACK_PATH', '')\n"
    "sys.path.extend(p for p in extra.split(os.pathsep) if p and p not in sys.path)\n"
    "runpy.run_module('core.agents.child', run_name='__main__', alter_sys=True)\n"
)


def core_root() -> Path:
    """The folder that holds this process's `core` package (this file is core/agents/...)."""
    return Path(__file__).resolve().parents[2]


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: `core` importable first, this process's packages as a fallback."""
    env = {**os.environ, **(extra or {})}
    root = str(core_root())
    sites = list(
        dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    )
    if root not in sites:  # a source checkout; an installed core comes with the fallback
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["TRACEDESK_FALLBACK_PATH"] = os.pathsep.join(sites)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@dataclass
class ChildProcess:
    """One child process and what its reader threads collected."""

    process: subprocess.Popen[bytes]
    messages: queue.Queue[dict[str, Any] | None] = field(default_factory=queue.Queue)
    threads: list[threading.Thread] = field(default_factory=list)

    def end(self, grace_s: float) -> int | None:
        """Terminate, then kill, the child (and what it started); close its pipes. Its exit
        code (None if it outlived even the kill)."""
        process = self.process
        _close(process.stdin)
        for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
            if process.poll() is not None:
                break
            _signal(process, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(grace_s, 0.5) if sig == signal.SIGTERM else 10)
        for thread in self.threads:  # they end at the end of the child's output
            if thread is not threading.current_thread():
                thread.join(timeout=2)
        _close(process.stdout)
        _close(process.stderr)
        return process.poll()


def _signal(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to the child's process group (it has its own session), else to the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(process.pid, sig)
        elif sig == signal.SIGTERM:
            process.terminate()
        else:
            process.kill()


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            stream.close()
