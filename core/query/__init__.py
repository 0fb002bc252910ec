"""The trace filter language and order-by items, parsed with no SQL and no database.

* `tokens`: the tokenizer; `errors`: failing at a position (`QuerySyntaxError`).
* `fields`: the field table, the one list of fields, spellings, operators and meanings.
* `tree` and `parser`: the syntax tree and the recursive-descent parser (the grammar is there).
* `order`: order-by items (`"timestamp_ms DESC"`).

The SQL lives in the store: `core.store.filter_sql.compile_filter` and
`core.store.order_sql.compile_order_by` compile what is parsed here for one database layout.
The app imports the field table (for the query bar's help) and the replay tags from here; the
rest of `core` imports the submodules.
"""

from core.query.fields import (
    OPERATORS,
    REPLAY_OF_SPAN_TAG,
    REPLAY_OF_TRACE_TAG,
    SCOPED_FIELDS,
    TRACE_FIELDS,
    FieldSpec,
)

__all__ = [
    "OPERATORS",
    "REPLAY_OF_SPAN_TAG",
    "REPLAY_OF_TRACE_TAG",
    "SCOPED_FIELDS",
    "TRACE_FIELDS",
    "FieldSpec",
]
