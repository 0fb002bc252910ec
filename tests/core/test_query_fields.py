"""The field table (`core.query.fields`) is what the parser and the SQL compiler accept.

The app's query help and completer are generated from this table, so every row must parse with
exactly its operators and compile on a 3.18 database, and every sortable field must have SQL.
"""

from __future__ import annotations

import pytest

from core.errors import QuerySyntaxError
from core.query import fields
from core.query.fields import FieldSpec, Values
from core.query.parser import parse_filter
from core.query.tree import Comparison
from core.store.filter_sql import compile_filter
from core.store.order_sql import compile_order_by, order_fields
from core.store.schema import Layout
from tests.core.test_query import LAYOUT_31, LAYOUT_318

ALL_FIELDS = fields.TRACE_FIELDS + fields.SCOPED_FIELDS


def written(spec: FieldSpec) -> str:
    """The field as a user would write it, a free key filled in."""
    return spec.name.replace("<key>", "k").replace("<name>", "k")


def value_for(spec: FieldSpec, operator: str) -> str:
    if operator in fields.NULLNESS:
        return ""
    if operator in fields.MEMBERSHIP:
        return "('p/1')"
    numeric = spec.values is Values.NUMBER or (
        spec.values is Values.ASSESSMENT and operator in fields.ORDERING
    )
    return "1" if numeric else "'p/1'"


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=lambda s: s.name)
def test_every_field_takes_exactly_its_operators(spec: FieldSpec) -> None:
    for operator in fields.OPERATORS:
        text = f"{written(spec)} {operator} {value_for(spec, operator)}".strip()
        if operator in spec.operators:
            node = parse_filter(text)
            assert isinstance(node, Comparison) and node.operator == operator
            assert compile_filter(text, LAYOUT_318) is not None
        else:
            with pytest.raises(QuerySyntaxError, match=f"cannot be compared with {operator};"):
                parse_filter(text)


@pytest.mark.parametrize("spec", fields.TRACE_FIELDS, ids=lambda s: s.name)
def test_trace_fields_are_read_by_every_spelling(spec: FieldSpec) -> None:
    operator = spec.operators[0]
    for spelling in spec.spellings:
        for prefix in ("trace.", "attributes.", "TRACE.", ""):
            text = f"{prefix}{spelling} {operator} {value_for(spec, operator)}"
            node = parse_filter(text)
            assert isinstance(node, Comparison)
            assert node.field.key == ("content" if spec.key == "text" else spec.key)


def test_the_field_table_names_each_field_once() -> None:
    names = [spec.name for spec in ALL_FIELDS]
    spellings = [s for spec in fields.TRACE_FIELDS for s in spec.spellings]
    assert len(set(names)) == len(names) and len(set(spellings)) == len(spellings)


@pytest.mark.parametrize("layout", [LAYOUT_318, LAYOUT_31], ids=["3.18", "3.1"])
def test_every_order_field_has_sql(layout: Layout) -> None:
    assert set(order_fields(layout)) == set(fields.ORDER_FIELDS)
    assert set(fields.ORDER_ALIASES.values()) <= set(fields.ORDER_FIELDS)
    for name in (*fields.ORDER_FIELDS, *fields.ORDER_ALIASES):
        assert compile_order_by([f"{name} DESC"], layout)
