"""What differs between two values of a span: JSON by structure, text by word.

`json_changes` walks two decoded JSON values together and lists each key added, removed or
changed with its path (`messages[2].content`); lists are compared item by item (an item
appended or dropped at the end is added/removed). Two strings that differ are one change; the
window word-diffs them. Paths stop at `MAX_CHANGES`: a rewritten 1 MB document says how many
more there were rather than listing them all. Values Python holds equal are the same (1 and
1.0, as JSON readers do; also true and 1, which JSON tells apart: a known blind spot).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
MAX_CHANGES = 200


@dataclass(frozen=True)
class Change:
    """One difference: where (`path`, "" for the value itself), what kind, and both values."""

    path: str
    kind: str  # added | removed | changed
    left: Any = None
    right: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "left": self.left, "right": self.right}


def json_changes(left: Any, right: Any, limit: int = MAX_CHANGES) -> list[Change]:
    """The differences between two decoded JSON values in document order, at most `limit`
    (then a last change at path "…" counts the rest)."""
    out: list[Change] = []
    extra = [0]
    stack: list[tuple[str, Any, Any]] = [("", left, right)]
    while stack:
        path, a, b = stack.pop()
        if a is _MISSING:
            _add(out, extra, limit, Change(path, ADDED, None, b))
        elif b is _MISSING:
            _add(out, extra, limit, Change(path, REMOVED, a, None))
        elif a == b and type(a) is type(b):
            continue
        elif isinstance(a, Mapping) and isinstance(b, Mapping):
            keys = list(dict.fromkeys([*a, *b]))
            stack += [
                (_key_path(path, str(k)), a.get(k, _MISSING), b.get(k, _MISSING)) for k in keys
            ][::-1]
        elif isinstance(a, list) and isinstance(b, list):
            items = range(max(len(a), len(b)))
            stack += [(f"{path}[{i}]", _item(a, i), _item(b, i)) for i in items][::-1]
        else:
            _add(out, extra, limit, Change(path, CHANGED, a, b))
    if extra[0]:
        out.append(Change("…", CHANGED, None, f"{extra[0]:,} more differences"))
    return out


class _Missing:
    """A key or item one side does not have (None is a JSON value)."""


_MISSING: Any = _Missing()


def _item(items: list[Any], index: int) -> Any:
    return items[index] if index < len(items) else _MISSING


def _add(out: list[Change], extra: list[int], limit: int, change: Change) -> None:
    if len(out) < limit:
        out.append(change)
    else:
        extra[0] += 1


def _key_path(path: str, key: str) -> str:
    plain = key.isidentifier()
    if not path:
        return key if plain else f"[{key!r}]"
    return f"{path}.{key}" if plain else f"{path}[{key!r}]"
