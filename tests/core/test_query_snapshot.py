"""The SQL that filters and order-by items compile to is what it was: a snapshot test.

`SNAPSHOT` (query_sql_snapshot.json beside this file) holds, for every filter and order-by
string that tests/core/test_query.py names, a digest of what it compiles to on the 3.18 and 3.1
layouts: the SQLite and PostgreSQL text with its parameters, or the error's message, position
and expectation. It was taken before `core/query.py` was split into the parser (`core.query`)
and the compiler (`core.store.filter_sql`, `core.store.order_sql`). Filters compile for every
page of the trace list, so a change in that text is a change in speed too. After a deliberate
change, `python -m tests.core.test_query_snapshot --full` prints the whole text (diff it with
the output from before the change) and `python -m tests.core.test_query_snapshot` rewrites the
snapshot.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from core.errors import QuerySyntaxError
from core.store.filter_sql import compile_filter
from core.store.order_sql import compile_order_by
from core.store.schema import Layout, trace_info

SNAPSHOT = Path(__file__).with_name("query_sql_snapshot.json")
DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def _error(problem: QuerySyntaxError) -> dict[str, Any]:
    return {"error": problem.reason, "position": problem.position, "expected": problem.expected}


def _sql(statement: Any) -> dict[str, Any]:
    """The text and positional parameters of `statement` in each dialect."""
    shown: dict[str, Any] = {}
    for name, dialect in DIALECTS.items():
        result = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        names = result.positiontup or sorted(result.params)
        shown[name] = [str(result), [repr(result.params[n]) for n in names]]
    return shown


def filter_sql(text: str, layout: Layout) -> dict[str, Any]:
    """What `compile_filter(text, layout)` gives, as text."""
    try:
        expression = compile_filter(text, layout)
    except QuerySyntaxError as problem:
        return _error(problem)
    if expression is None:
        return {"none": True}
    return _sql(select(trace_info.c.request_id).where(expression))


def order_sql(items: list[str], layout: Layout, ids_ascending: bool) -> dict[str, Any]:
    """What `compile_order_by(items, layout)` gives, as text."""
    try:
        keys = compile_order_by(items, layout, ids_ascending=ids_ascending)
    except QuerySyntaxError as problem:
        return _error(problem)
    statement = select(trace_info.c.request_id).order_by(
        *(k.expression.desc() if k.descending else k.expression.asc() for k in keys)
    )
    return _sql(statement)


def layouts() -> dict[str, Layout]:
    from tests.core.test_query import LAYOUT_31, LAYOUT_318

    return {"3.18": LAYOUT_318, "3.1": LAYOUT_31}


def snapshot_of(filters: list[str], orders: list[list[str]]) -> dict[str, Any]:
    """The compiled text of every filter and order-by list, in every layout."""
    shown: dict[str, Any] = {"filters": {}, "orders": {}}
    for text in filters:
        shown["filters"][text] = {n: filter_sql(text, lay) for n, lay in layouts().items()}
    for items in orders:
        shown["orders"][json.dumps(items)] = {
            f"{n}{' ids_ascending' * ascending}": order_sql(items, lay, ascending)
            for n, lay in layouts().items()
            for ascending in (False, True)
        }
    return shown


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def inputs() -> tuple[list[str], list[list[str]]]:
    """The filters and order-by lists of test_query.py's parametrize marks (and more)."""
    from tests.core import test_query as q

    strings = [s for test in _tests(q) for case in _cases(test) for s in _strings(case)]
    literals = ["'" + payload.replace("'", "''") + "'" for payload in q.INJECTIONS]
    strings += [s.format(literal, literal) for s in strings if "{}" in s for literal in literals]
    keys = ["`" + payload.replace("`", "``") + "`" for payload in q.INJECTIONS]
    strings += [f"{scope}.{key} = 'v'" for scope in ("tag", "metadata", "feedback") for key in keys]
    filters = list(dict.fromkeys(s for s in strings if s.strip() and "{}" not in s))
    orders: list[list[str]] = [[], ["timestamp_ms DESC", "request_time ASC"]]
    orders += [list(items) for items, _ in _cases(q.test_order_keys)]
    orders += [[item] for item, *_ in _cases(q.test_order_by_errors)]
    fields = [c for c in _cases(q.test_every_order_field_is_never_null) if isinstance(c, str)]
    orders += [[f"{f} {d}".strip()] for f in fields for d in ("", "ASC", "DESC")]
    orders += [[order] for order in q.MLFLOW_ORDERS]
    return filters, orders


def _tests(module: Any) -> list[Any]:
    return [getattr(module, n) for n in dir(module) if n.startswith("test_")]


def _cases(test: Any) -> list[Any]:
    """The parameter sets of every `parametrize` mark of `test`."""
    marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
    return [case for mark in marks for case in mark.args[1]]


def test_compiled_sql_matches_the_snapshot() -> None:
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    filters = list(expected["filters"])
    orders = [json.loads(items) for items in expected["orders"]]
    actual = digests(snapshot_of(filters, orders))
    for part in ("filters", "orders"):
        changed = [key for key, digest in expected[part].items() if actual[part][key] != digest]
        assert changed == [], f"{part} that compile differently: {changed}"


def digests(shown: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A short digest of what each input compiled to (the full text is 1 MB)."""
    return {
        part: {key: _digest(value) for key, value in entries.items()}
        for part, entries in shown.items()
    }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


if __name__ == "__main__":
    import sys

    filters, orders = inputs()
    shown = snapshot_of(filters, orders)
    if sys.argv[1:] == ["--full"]:  # the whole text, to diff by eye
        print(json.dumps(shown, indent=1, ensure_ascii=False))
        sys.exit()
    SNAPSHOT.write_text(json.dumps(digests(shown), indent=1) + "\n", encoding="utf-8")
    print(f"{SNAPSHOT}: {len(filters)} filters, {len(orders)} orders")
