"""The column schema MLflow records for a dataset (`{"mlflow_colspec": [...]}`).

A port of what `mlflow.types.utils._infer_schema` gives for evaluation data: per column a type
(`string`, `long`, `double`, `boolean`, `binary`, `array` of a type, `object` with sorted
`properties`, or `any` when only empty values were seen) and whether every row has a value.
Like MLflow, columns whose values mix types have no schema: `infer_schema` returns None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

Spec = dict[str, Any]
ANY: Spec = {"type": "any"}


class MixedTypes(ValueError):
    """Values of one column (or property) have different types."""


def infer_schema(frame: pd.DataFrame) -> list[Spec] | None:
    """The colspec list of `frame`, or None when a column has no single type."""
    try:
        return [_column(str(name), list(frame[name])) for name in frame.columns]
    except MixedTypes:
        return None


def _column(name: str, values: list[Any]) -> Spec:
    present = [v for v in values if not _empty(v)]
    spec = _merge([_infer(v) for v in present]) if present else dict(ANY)
    required = len(present) == len(values)
    if not required and spec["type"] == "object":  # a missing object has none of its keys
        spec["properties"] = {k: {**p, "required": False} for k, p in spec["properties"].items()}
    return {**spec, "name": name, "required": required}


def _infer(value: Any) -> Spec:
    scalar = _scalar_type(value)
    if scalar is not None:
        return {"type": scalar}
    if isinstance(value, Mapping):
        return _object([value]) if value else dict(ANY)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = [v for v in value if not _empty(v)]
        return {"type": "array", "items": _merge([_infer(v) for v in items]) if items else ANY}
    return {"type": "string"}  # MLflow's inference reads other objects as strings


def _scalar_type(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "binary"
    return None


def _object(values: Sequence[Mapping[str, Any]]) -> Spec:
    keys = sorted({str(k) for v in values for k in v})
    properties = {}
    for key in keys:
        seen = [v.get(key) for v in values]
        present = [s for s in seen if not _empty(s)]
        spec = _merge([_infer(s) for s in present]) if present else dict(ANY)
        properties[key] = {**spec, "required": len(present) == len(seen)}
    return {"type": "object", "properties": properties}


def _merge(specs: list[Spec]) -> Spec:
    """One spec for values seen in several rows; objects merge their properties."""
    first = specs[0]
    if first["type"] == "object" and all(s["type"] == "object" for s in specs):
        return _merge_objects(specs)
    if any(s != first for s in specs):
        raise MixedTypes(f"values of types {sorted({s['type'] for s in specs})} in one column")
    return first


def _merge_objects(specs: list[Spec]) -> Spec:
    keys = sorted({k for s in specs for k in s["properties"]})
    properties = {}
    for key in keys:
        seen = [s["properties"].get(key) for s in specs]
        found = [{k: v for k, v in p.items() if k != "required"} for p in seen if p]
        known = [f for f in found if f != ANY] or [dict(ANY)]
        required = all(p is not None and p["required"] for p in seen) and known[0] != ANY
        properties[key] = {**_merge(known), "required": required}
    return {"type": "object", "properties": properties}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
