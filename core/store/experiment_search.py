"""MLflow's `search_experiments`: its filter language, order-by keys and view types, in SQL.

    name = 'support-agent' AND tags.team LIKE 'nlp%' AND creation_time > 1700000000000

A filter is comparisons joined by AND (MLflow's `SearchExperimentsUtils`): attributes `name`,
`experiment_id`, `creation_time`, `last_update_time` (optionally prefixed `attribute.`), tags
as `tags.<key>` (a key may be backticked or double-quoted). Comparators: `=`, `!=`, `LIKE`,
`ILIKE` for text, also `<`, `<=`, `>`, `>=` for the times, `IN (...)` for `experiment_id`,
`IS [NOT] NULL` for tags. Values become bound parameters only.

Hostile text fails as `QuerySyntaxError` at its position, within the trace filter's limits
(`core.query.parser`): no NUL or lone surrogate, whole numbers within BIGINT, at most
`MAX_COMPARISONS` comparisons, `MAX_LIST_VALUES` listed ids and `MAX_PATTERN` characters in a
pattern; a statement the database still refuses as too big is one too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, not_, or_, select, true

from core.entities import Experiment
from core.errors import QuerySyntaxError
from core.query.parser import MAX_COMPARISONS, MAX_LIST_VALUES, MAX_PATTERN
from core.query.tokens import check_characters, number_value
from core.store import schema as t
from core.store.dialect import ilike, like
from core.store.filter_sql import database_limits

if TYPE_CHECKING:
    from core.store.store import Store

ATTRIBUTES = ("name", "experiment_id", "creation_time", "last_update_time")
NUMERIC = frozenset({"creation_time", "last_update_time"})
DEFAULT_ORDER = ("creation_time DESC", "experiment_id ASC")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<number>[+-]?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<word>(?:`[^`]*`|[\w.])+)
    )""",
    re.VERBOSE,
)


class ViewType(enum.IntEnum):
    """Which experiments to list (MLflow's `ViewType`)."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def of(cls, value: ViewType | int | str) -> ViewType:
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                names = ", ".join(cls.__members__)
                raise ValueError(f"Unknown view type {value!r}: use {names}.") from None
        return cls(int(value))


def search_experiments(
    store: Store,
    view_type: ViewType | int | str = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """The experiments of `store` that match, in order, at most `max_results` of them."""
    e = t.experiments
    statement = select(e.c.experiment_id).where(
        _view(ViewType.of(view_type)), *_filter(filter_string or "")
    )
    statement = statement.order_by(*_order(order_by or DEFAULT_ORDER))
    if max_results is not None:
        if max_results < 1:
            raise ValueError(f"max_results must be 1 or more, not {max_results}.")
        statement = statement.limit(max_results)
    with database_limits(filter_string, locate=lambda _text, _part: 0):
        ids = [str(row[0]) for row in store.reader.rows(statement)]
    by_id = {x.experiment_id: x for x in store.reader.experiments(include_deleted=True)}
    return [by_id[i] for i in ids if i in by_id]


def _view(view_type: ViewType) -> ColumnElement[bool]:
    stage = t.experiments.c.lifecycle_stage
    if view_type is ViewType.ACTIVE_ONLY:
        return or_(stage.is_(None), stage != "deleted")
    if view_type is ViewType.DELETED_ONLY:
        return stage == "deleted"
    return true()


def _filter(text: str) -> list[ColumnElement[bool]]:
    tokens = _tokens(text)
    clauses: list[ColumnElement[bool]] = []
    while tokens:
        if len(clauses) == MAX_COMPARISONS:
            message = f"the filter has more than {MAX_COMPARISONS} comparisons"
            raise QuerySyntaxError(message, text=text, position=tokens[0][2])
        clauses.append(_comparison(tokens, text))
        if tokens:
            word = tokens.pop(0)
            if word[1].upper() != "AND":
                raise QuerySyntaxError(
                    f"expected AND, found {word[1]!r}", text=text, position=word[2]
                )
    return clauses


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of every token; QuerySyntaxError on anything else."""
    check_characters(text)
    found, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[position:].lstrip())
            raise QuerySyntaxError("unexpected character", text=text, position=start)
        kind = match.lastgroup
        found.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return found


def _comparison(tokens: list[tuple[str, str, int]], text: str) -> ColumnElement[bool]:
    kind, name, where = tokens.pop(0)
    if kind != "word":
        raise QuerySyntaxError("expected an attribute or tags.<key>", text=text, position=where)
    scope, key = _identifier(name, text, where)
    op = _operator(tokens, text)
    if op in ("IS NULL", "IS NOT NULL"):
        if scope != "tag":
            raise QuerySyntaxError(f"{op} works on tags only", text=text, position=where)
        return _tag_exists(key) if op == "IS NOT NULL" else not_(_tag_exists(key))
    if op == "IN":
        if key != "experiment_id":
            raise QuerySyntaxError("IN works on experiment_id only", text=text, position=where)
        ids = [_whole_number(key, v, text, at) for v, at in _list(tokens, text)]
        return t.experiments.c.experiment_id.in_(ids)
    value, value_at = _value(tokens, text)
    if op in ("LIKE", "ILIKE") and len(value) > MAX_PATTERN:
        message = f"{op} takes a pattern of at most {MAX_PATTERN:,} characters"
        raise QuerySyntaxError(message, text=text, position=value_at)
    if scope == "tag":
        tags = t.experiment_tags
        return exists().where(
            tags.c.experiment_id == t.experiments.c.experiment_id,
            tags.c.key == key,
            _compare(tags.c.value, op, value, text, where),
        )
    column = t.experiments.c[key]
    if key in NUMERIC or key == "experiment_id":
        if op in ("LIKE", "ILIKE"):
            message = f"{op} compares text; {key} is a number"
            raise QuerySyntaxError(message, text=text, position=where)
        value = _whole_number(key, value, text, value_at)
    return _compare(column, op, value, text, where)


def _whole_number(key: str, value: str, text: str, where: int) -> int:
    """`value` (a number token, or a quoted number) as a whole number within BIGINT."""
    if re.fullmatch(r"\s*[+-]?\d+\s*", value) is None:
        raise QuerySyntaxError(f"{key} is compared with a whole number", text=text, position=where)
    return int(number_value(value, text, where))


def _identifier(name: str, text: str, where: int) -> tuple[str, str]:
    prefix, _, rest = name.partition(".")
    if rest and prefix in ("tag", "tags"):
        return "tag", rest.strip('`"')
    key = (rest if rest and prefix in ("attribute", "attributes") else name).strip('`"')
    if key not in ATTRIBUTES:
        raise QuerySyntaxError(
            f"unknown attribute {key!r} (use {', '.join(ATTRIBUTES)} or tags.<key>)",
            text=text,
            position=where,
        )
    return "attribute", key


def _operator(tokens: list[tuple[str, str, int]], text: str) -> str:
    if not tokens:
        raise QuerySyntaxError("expected a comparison", text=text, position=len(text))
    kind, value, where = tokens.pop(0)
    upper = value.upper()
    if kind == "op" and value in ("=", "!=", "<", "<=", ">", ">="):
        return value
    if kind == "word" and upper in ("LIKE", "ILIKE", "IN"):
        return upper
    if kind == "word" and upper == "IS":
        words = []
        while tokens and tokens[0][1].upper() in ("NOT", "NULL"):
            words.append(tokens.pop(0)[1].upper())
        if words in (["NULL"], ["NOT", "NULL"]):
            return "IS " + " ".join(words)
    raise QuerySyntaxError(f"expected a comparator, found {value!r}", text=text, position=where)


def _value(tokens: list[tuple[str, str, int]], text: str) -> tuple[Any, int]:
    """The value at the cursor and its position."""
    if not tokens:
        raise QuerySyntaxError("expected a value", text=text, position=len(text))
    kind, value, where = tokens.pop(0)
    if kind == "string":
        return value[1:-1].replace(value[0] * 2, value[0]), where
    if kind == "number":
        return value, where
    raise QuerySyntaxError("expected a quoted value or a number", text=text, position=where)


def _list(tokens: list[tuple[str, str, int]], text: str) -> list[tuple[Any, int]]:
    """The values of an IN list, each with its position."""
    if not tokens or tokens.pop(0)[1] != "(":
        raise QuerySyntaxError("expected ( after IN", text=text, position=len(text))
    values = [_value(tokens, text)]
    while tokens and tokens[0][1] == ",":
        tokens.pop(0)
        if len(values) == MAX_LIST_VALUES:
            message = f"IN takes at most {MAX_LIST_VALUES:,} values"
            raise QuerySyntaxError(message, text=text, position=tokens[0][2] if tokens else 0)
        values.append(_value(tokens, text))
    if not tokens or tokens.pop(0)[1] != ")":
        raise QuerySyntaxError("expected ) to close IN", text=text, position=len(text))
    return values


def _compare(column: Any, op: str, value: Any, text: str, where: int) -> ColumnElement[bool]:
    if op == "LIKE":
        return like(column, str(value))
    if op == "ILIKE":
        return ilike(column, str(value))
    comparisons = {
        "=": column == value,
        "!=": column != value,
        "<": column < value,
        "<=": column <= value,
        ">": column > value,
        ">=": column >= value,
    }
    if op not in ("=", "!=") and isinstance(value, str):
        raise QuerySyntaxError(f"{op} compares numbers only", text=text, position=where)
    result: ColumnElement[bool] = comparisons[op]
    return result


def _tag_exists(key: str) -> ColumnElement[bool]:
    tags = t.experiment_tags
    return exists().where(tags.c.experiment_id == t.experiments.c.experiment_id, tags.c.key == key)


def _order(order_by: Sequence[str]) -> list[ColumnElement[Any]]:
    clauses: list[ColumnElement[Any]] = []
    keys = []
    for item in order_by:
        parts = item.split()
        if not parts or len(parts) > 2:
            raise QuerySyntaxError("expected '<attribute> [ASC|DESC]'", text=item, position=0)
        key = parts[0].removeprefix("attributes.").removeprefix("attribute.").strip('`"')
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if key not in ATTRIBUTES or direction not in ("ASC", "DESC"):
            raise QuerySyntaxError(
                f"order by one of {', '.join(ATTRIBUTES)}, then ASC or DESC", text=item, position=0
            )
        column = t.experiments.c[key]
        clauses.append(column.desc() if direction == "DESC" else column.asc())
        keys.append(key)
    if "experiment_id" not in keys:  # MLflow's tie-breaker
        clauses.append(t.experiments.c.experiment_id.desc())
    return clauses
