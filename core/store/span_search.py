r"""Finding the spans of one trace whose stored JSON holds a text: in SQL, no span decoded.

A span's inputs, outputs, attributes and events all live in its JSON document
(`spans.content`), where what the user typed may be stored escaped: attribute values are JSON
inside the JSON, so a quote in an output is stored as `\\\"`, and a writer may have escaped
non-ASCII letters (`\u00e9`). The search looks for every spelling the text can have there.
SQLite ignores the case of ASCII letters only, so a text with other letters is also looked
for in lower case, upper case and title case (`Ünter`); other mixes of case (`üNTER`) are
found only as typed there. PostgreSQL folds every letter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import Select, or_, select

from core.entities import Span
from core.store import schema as t
from core.store.dialect import contains_text, spans_of_trace

_START_AND_ID = attrgetter("start_time_ns", "span_id")


def stored_forms(text: str) -> list[str]:
    """The spellings of `text` inside a span's JSON: as typed, as the inside of a JSON string
    (non-ASCII kept or escaped), and that once more (an attribute value is a JSON string inside
    the document). A spelling holding NUL is left out: PostgreSQL's text cannot hold one."""
    variants = [text] if text.isascii() else [text, text.lower(), text.upper(), text.title()]
    forms: dict[str, None] = {}
    for variant in variants:
        once = [_inside_string(variant, ascii_only) for ascii_only in (False, True)]
        twice = [_inside_string(form, ascii_only) for form in once for ascii_only in (False, True)]
        forms.update(dict.fromkeys([variant, *once, *twice]))
    return [form for form in forms if form and "\x00" not in form]


def _inside_string(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


def matching_spans(trace_id: str, text: str, limit: int | None = None) -> Select[Any]:
    """The ids of `trace_id`'s span rows whose JSON holds `text` in any spelling and case, in
    the order the spans started (then by id)."""
    s = t.spans
    holds = or_(*(contains_text(s.c.content, form) for form in stored_forms(text)))
    statement = (
        select(s.c.span_id)
        .where(spans_of_trace(s, trace_id), holds)
        .order_by(s.c.start_time_unix_nano, s.c.span_id)
    )
    return statement.limit(limit) if limit is not None else statement


def spans_holding(spans: Sequence[Span], text: str, limit: int | None = None) -> list[str]:
    """`matching_spans` for spans already read (from a `traces.json`): their JSON is
    written out again and searched here, ignoring case."""
    forms = [form.lower() for form in stored_forms(text)]
    found = []
    for span in sorted(spans, key=_START_AND_ID):
        document = span.document
        if not isinstance(document, str):
            document = json.dumps(span.content, ensure_ascii=False, default=str)
        stored = document.lower()
        if any(form in stored for form in forms):
            found.append(span.span_id)
            if limit is not None and len(found) >= limit:
                break
    return found
