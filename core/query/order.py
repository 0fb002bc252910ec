"""Order-by items as MLflow writes them (`"timestamp_ms DESC"`, `"tag.env"`), parsed.

An item is a field and an optional direction: `field [ASC | DESC]`, ascending by default. The
field is a trace field of `core.query.fields.ORDER_FIELDS` (or one of its aliases), or
`tag.<key>` / `metadata.<key>`; a reserved key that names a sortable trace field is that field.
`core.store.order_sql` turns the parsed items into SQL sort keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.query.errors import fail
from core.query.fields import ORDER_ALIASES, ORDER_FIELDS, RESERVED_KEYS, SCOPES
from core.query.tokens import Kind, Token, tokenize


@dataclass(frozen=True)
class OrderItem:
    """One parsed order-by item."""

    #: The canonical name: a name of `ORDER_FIELDS`, or `tag.<key>` / `metadata.<key>`.
    name: str
    scope: str  # trace | tag | metadata
    key: str  # the trace field, tag key or metadata key
    descending: bool


def parse_order_item(item: str) -> OrderItem:
    """One order-by item -> its field and direction, or fail with a position."""
    tokens = tokenize(item)
    tokens += [tokens[-1]] * 2  # pad with the END token so the three slots always exist
    field, direction, end = tokens[:3]
    if field.kind is not Kind.NAME:
        fail(item, field.position, "Expected a field to order by", expected="a field")
    scope, key = _order_field(item, field)
    descending = False
    if direction.kind is not Kind.END:
        word = direction.text.upper()
        if direction.kind is not Kind.NAME or word not in ("ASC", "DESC"):
            fail(item, direction.position, "Expected ASC or DESC", expected="ASC or DESC")
        descending = word == "DESC"
        if end.kind is not Kind.END:
            fail(item, end.position, "Expected the end after ASC or DESC", expected="the end")
    name = key if scope == "trace" else f"{scope}.{key}"
    return OrderItem(name, scope, key, descending)


def _order_field(item: str, token: Token) -> tuple[str, str]:
    """The (scope, key) a field token orders by: a canonical trace field, a tag or metadata."""
    segments: tuple[str, ...] = token.value
    scope = SCOPES.get(segments[0].lower()) if len(segments) > 1 else "trace"
    key = ".".join(segments[1:]) if len(segments) > 1 else segments[0]
    if scope in ("tag", "metadata"):
        reserved = RESERVED_KEYS.get((scope, key), "")
        return ("trace", reserved) if reserved in ORDER_FIELDS else (scope, key)
    name = ORDER_ALIASES.get(key.lower(), key.lower())
    if scope != "trace" or name not in ORDER_FIELDS:
        valid = ", ".join(sorted(ORDER_FIELDS))
        fail(
            item,
            token.position,
            f"Unknown order-by field {token.text!r}. Order by {valid}, tag.<key> or metadata.<key>",
            expected="a field",
        )
    return "trace", name
