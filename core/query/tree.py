"""The syntax tree of a filter: comparisons combined by NOT, AND and OR."""

from __future__ import annotations

from dataclasses import dataclass

from core.query.fields import Field

#: A comparison's value: None for IS [NOT] NULL, a tuple of strings for [NOT] IN.
Value = str | int | float | bool | tuple[str, ...] | None


@dataclass(frozen=True)
class Comparison:
    field: Field
    operator: str  # one of `core.query.fields.OPERATORS`
    value: Value
    value_position: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Comparison | Not | And | Or


def combine(kind: type[And] | type[Or], operands: list[Node]) -> Node:
    """One operand stays itself; nested groups of the same kind are flattened."""
    if len(operands) == 1:
        return operands[0]
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else [operand])
    return kind(tuple(flat))
