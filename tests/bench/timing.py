"""Timing helpers: medians of repeated calls and of fresh child processes."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
#: MLflow 3 reports usage over the network unless told not to; keep it out of the timings.
CHILD_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "PYTHONHASHSEED": "0"}


@dataclass(frozen=True)
class Sample:
    """Seconds of repeated measurements: median, min and max."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def ms(self) -> str:
        """`median (min-max)` in milliseconds."""
        return f"{self.median * 1e3:.2f} ({self.low * 1e3:.2f}-{self.high * 1e3:.2f})"

    def s(self) -> str:
        """`median (min-max)` in seconds."""
        return f"{self.median:.3f} ({self.low:.3f}-{self.high:.3f})"


def repeat(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> Sample:
    """Call `fn` `warmup` times untimed, then `repeats` times timed."""
    for _ in range(warmup):
        fn()
    values = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        values.append(time.perf_counter() - started)
    return Sample(tuple(values))


@dataclass(frozen=True)
class ChildRun:
    """One child process: what it printed (its own timings) and its wall time."""

    result: dict[str, Any]
    process_s: float


def run_child(command: Sequence[str], timeout_s: float | None = None) -> ChildRun:
    """Run `command` from the repository root; its last stdout line must be a JSON object.
    Raises `subprocess.TimeoutExpired` when it takes longer than `timeout_s` (it is killed)."""
    env = {**os.environ, **CHILD_ENV}
    started = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
    )
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(command[:4])} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return ChildRun(json.loads(lines[-1]), wall)


def run_children(command: Sequence[str], times: int) -> list[ChildRun]:
    return [run_child(command) for _ in range(times)]


def run_interleaved(commands: Sequence[Sequence[str]], rounds: int) -> list[list[ChildRun]]:
    """Each command once per round, in turn, so a change of machine load hits all alike."""
    runs: list[list[ChildRun]] = [[] for _ in commands]
    for _ in range(rounds):
        for i, command in enumerate(commands):
            runs[i].append(run_child(command))
    return runs


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Sample:
    """Per-round ratios of paired measurements."""
    return Sample(tuple(a / b for a, b in zip(numerators, denominators, strict=True)))


def ours(*args: str) -> list[str]:
    """The command line of our probe in the project interpreter."""
    return [sys.executable, "-m", "tests.bench.probe", *args]


def child_sample(runs: Sequence[ChildRun], key: str) -> Sample:
    return Sample(tuple(float(run.result[key]) for run in runs))


def process_sample(runs: Sequence[ChildRun]) -> Sample:
    return Sample(tuple(run.process_s for run in runs))
