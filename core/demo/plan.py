"""The plan: spans as plain trees with absolute times, the seeded randomness and the clock.

Every pipeline module turns a seeded `Gen` into `TraceSpec`s made of `Node` trees; `build`
replays them through core's tracing API. The same seed gives the same traces at any hour: only
the dates, which end at the current hour (`now`), and the ids core draws, change from run to run.
"""

from __future__ import annotations

import hashlib
import math
import random
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

MS = 1_000_000  # nanoseconds
SECOND = 1_000 * MS
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
SPREAD_DAYS = 14
ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Failure:
    """An exception as MLflow records it: the span's status message plus an `exception` event."""

    type_name: str
    message: str
    stacktrace: str


@dataclass
class Node:
    """One span to write, with its children; times are absolute nanoseconds."""

    name: str
    span_type: str
    start_ns: int
    end_ns: int
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any], int]] = field(default_factory=list)
    failure: Failure | None = None

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class TraceSpec:
    """A whole trace: its root span and what `update_current_trace` adds to it."""

    experiment: str
    root: Node
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    user: str | None = None


class Gen:
    """The one source of randomness, so that a seed fixes every choice."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # Start times come from their own stream: how many draws `moment` needs depends on the
        # clock, and that must not shift the content (same seed, same traces at any hour).
        self.clock = random.Random(f"{seed}:clock")

    def ms(self, low: float, high: float) -> int:
        """A duration in ns between `low` and `high` ms, log-uniform: most calls are quick."""
        return int(math.exp(self.rng.uniform(math.log(low), math.log(high))) * MS)

    def pick(self, items: Sequence[T]) -> T:
        return self.rng.choice(items)

    def weighted(self, table: Sequence[tuple[T, float]]) -> T:
        """One of the table's values, each as likely as its weight says."""
        return self.rng.choices([v for v, _ in table], [w for _, w in table])[0]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def between(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}x}"

    def token(self, length: int) -> str:
        return "".join(self.rng.choices(ALPHANUMERIC, k=length))


class Seq:
    """Lays spans out one after another, with the small gaps real code leaves between calls."""

    def __init__(self, g: Gen, start_ns: int) -> None:
        self.g = g
        self.start_ns = start_ns
        self.t = start_ns + g.ms(0.05, 3)
        self.nodes: list[Node] = []

    def add(self, *nodes: Node) -> None:
        """Append spans that ran side by side (one, or parallel tool calls)."""
        self.nodes.extend(nodes)
        self.t = max(n.end_ns for n in nodes) + self.g.ms(0.2, 6)

    def close(
        self,
        name: str,
        span_type: str,
        inputs: Any = None,
        outputs: Any = None,
        attributes: dict[str, Any] | None = None,
        failure: Failure | None = None,
    ) -> Node:
        """The parent span around everything added, ending a moment after the last child."""
        end = max([n.end_ns for n in self.nodes], default=self.t) + self.g.ms(0.1, 4)
        return Node(
            name,
            span_type,
            self.start_ns,
            end,
            inputs,
            outputs,
            attributes or {},
            self.nodes,
            failure=failure,
        )


def group(
    name: str,
    span_type: str,
    nodes: Sequence[Node],
    inputs: Any = None,
    outputs: Any = None,
    propagate: bool = True,
) -> Node:
    """A parent span hugging its children, as framework layers (LangGraph nodes) produce.

    An exception in a child propagates through the layer, so the layer fails with it, unless
    the layer handles it (`propagate=False`, as LangGraph's ToolNode does with tool errors).
    """
    error = next((n.failure for n in reversed(nodes) if n.failure), None) if propagate else None
    start, end = nodes[0].start_ns - 40_000, max(n.end_ns for n in nodes) + 60_000
    return Node(
        name,
        span_type,
        start,
        end,
        inputs,
        None if error else outputs,
        children=list(nodes),
        failure=error,
    )


def run_parallel(g: Gen, t: int, jobs: Sequence[Callable[[int], Node]], workers: int) -> list[Node]:
    """Start each job on the first free worker, as a thread pool does."""
    free = [t + g.ms(0.05, 2) for _ in range(workers)]
    nodes = []
    for job in jobs:
        slot = min(range(workers), key=free.__getitem__)
        nodes.append(node := job(free[slot]))
        free[slot] = node.end_ns + g.ms(0.1, 3)
    return nodes


def leaf(
    g: Gen,
    t: int,
    name: str,
    span_type: str,
    span_ms: tuple[float, float],
    inputs: Any = None,
    outputs: Any = None,
    attributes: dict[str, Any] | None = None,
) -> Node:
    """A span without children lasting between `span_ms` milliseconds."""
    return Node(name, span_type, t, t + g.ms(*span_ms), inputs, outputs, attributes or {})


def day_text(t: int, days: int = 0, pattern: str = "%a %d %b") -> str:
    """A date `days` after time `t`, as support agents and documents write them."""
    return (datetime.fromtimestamp(t / SECOND, tz=UTC) + timedelta(days=days)).strftime(pattern)


def iso(t: int) -> str:
    return datetime.fromtimestamp(t / SECOND, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def moment(g: Gen, now: int) -> int:
    """A start time in the last two weeks: busier on weekdays and in office hours (UTC)."""
    while True:
        t = now - g.clock.randint(HOUR, SPREAD_DAYS * DAY)
        when = datetime.fromtimestamp(t / SECOND, tz=UTC)
        weight = (1.0 if 7 <= when.hour < 19 else 0.2) * (0.4 if when.weekday() >= 5 else 1.0)
        if g.clock.random() < weight:
            return t


RELEASES = {  # (version, released this many days before now), oldest first
    "support-agent": (("1.7.4", 99), ("1.8.0", 8.5), ("1.8.1", 3.2)),
    "rag-qa": (("0.12.0", 99), ("0.13.0", 6.1)),
    "summarizer": (("2.3.1", 99), ("2.4.0", 10.4)),
    "evaluation": (("eval-harness 0.9.2", 99),),
}


def release(app: str, t: int, now: int) -> str:
    days_ago = (now - t) / DAY
    return [version for version, released in RELEASES[app] if released >= days_ago][-1]


def trace_context(app: str, t: int, now: int, g: Gen) -> tuple[dict[str, str], dict[str, str]]:
    """Tags and metadata every production trace of `app` carries.

    The `mlflow.source.*` and `mlflow.user` keys replace what core records about this process,
    so the demo looks like a deployed service and does not name whoever built it.
    """
    version = release(app, t, now)
    commit = hashlib.sha1(f"{app}@{version}".encode()).hexdigest()
    env = "staging" if g.chance(0.15) else "prod"
    tags = {"env": env, "version": version}
    metadata = {
        "mlflow.user": f"svc-{app}",
        "mlflow.source.name": f"{app.replace('-', '_')}/server.py",
        "mlflow.source.type": "JOB" if app == "evaluation" else "LOCAL",
        "mlflow.source.git.branch": "main" if env == "prod" else f"release/{version}",
        "mlflow.source.git.commit": commit,
        "mlflow.source.git.repoURL": f"git@github.com:northwind-ai/{app}.git",
        "region": g.pick(("eu-west-1", "us-east-1", "ap-northeast-1")),
        "deployment": f"{app}-{commit[:5]}-{g.token(5).lower()}",
    }
    return tags, metadata
