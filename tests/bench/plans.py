"""The SQL our reader really issues for a trace page, its query plan, and its work in SQLite.

The statement is captured from the engine (`before_cursor_execute`) while the public reader
method runs, so the plan is the plan of what the reader sends, not of a reproduction. Work is
counted in SQLite virtual-machine steps with a progress handler: a keyset page that seeks in
an index does the same work on 1k and 100k traces, a scan-and-sort grows with the table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from core.store.store import Store

#: SQLite calls the progress handler every this many VM steps.
STEP_GRAIN = 100


@dataclass(frozen=True)
class CapturedQuery:
    sql: str
    parameters: tuple[Any, ...]


@dataclass(frozen=True)
class PlanReport:
    """The plan of one captured statement and what it costs SQLite."""

    label: str
    nodes: tuple[tuple[int, int, str], ...]  # (id, parent id, detail) as SQLite reports them
    vm_steps: int
    sql: str

    @property
    def plan(self) -> tuple[str, ...]:
        """The plan as lines indented by depth."""
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, detail in self.nodes:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return tuple(lines)

    @property
    def full_sort(self) -> bool:
        """A temp B-tree for the whole ORDER BY beside a read of trace_info itself.

        That sorts every matching row. Sorting the few rows a LIMITed subquery returned (as
        a UNION ALL of per-experiment pages does) is not a full sort.
        """
        reads = {
            p for _, p, d in self.nodes if d.startswith(("SEARCH trace_info", "SCAN trace_info"))
        }
        sorts = {p for _, p, d in self.nodes if d.startswith("USE TEMP B-TREE FOR ORDER BY")}
        return bool(reads & sorts)

    @property
    def table_scan(self) -> bool:
        """A scan of trace_info without any index."""
        return any(d.startswith("SCAN trace_info") and "INDEX" not in d for _, _, d in self.nodes)

    @property
    def index_friendly(self) -> bool:
        return not (self.full_sort or self.table_scan)


def capture(store: Store, call: Callable[[], Any]) -> list[CapturedQuery]:
    """Run `call` and return every statement it sent through `store`'s engine."""
    captured: list[CapturedQuery] = []

    def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        captured.append(CapturedQuery(statement, tuple(parameters or ())))

    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)
    return captured


def _plan_nodes(
    connection: sqlite3.Connection, query: CapturedQuery
) -> tuple[tuple[int, int, str], ...]:
    rows = connection.execute("EXPLAIN QUERY PLAN " + query.sql, query.parameters).fetchall()
    return tuple((int(node), int(parent), str(detail)) for node, parent, _unused, detail in rows)


def _vm_steps(connection: sqlite3.Connection, query: CapturedQuery) -> int:
    counter = [0]

    def tick() -> int:
        counter[0] += 1
        return 0

    connection.set_progress_handler(tick, STEP_GRAIN)
    try:
        connection.execute(query.sql, query.parameters).fetchall()
    finally:
        connection.set_progress_handler(None, STEP_GRAIN)
    return counter[0] * STEP_GRAIN


def explain(db_path: Path, label: str, query: CapturedQuery) -> PlanReport:
    """Plan and VM steps of `query` on a fresh read-only connection to `db_path`."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        nodes = _plan_nodes(connection, query)
        steps = _vm_steps(connection, query)
    finally:
        connection.close()
    return PlanReport(label, nodes, steps, query.sql)


def page_queries(
    store: Store, scope: Sequence[str] | None, after: Sequence[Any] | None
) -> CapturedQuery:
    """The statement `trace_page` sends for this scope and keyset position."""
    captured = capture(store, lambda: store.reader.trace_page(scope, after=after, limit=100))
    pages = [q for q in captured if "FROM trace_info" in q.sql and "LIMIT" in q.sql]
    if len(pages) != 1:
        raise RuntimeError(f"expected one page query, captured {len(captured)} statements")
    return pages[0]
