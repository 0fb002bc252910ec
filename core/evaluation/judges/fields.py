"""What a built-in judge reads from a row or its trace, as text for the prompt.

As MLflow's built-in scorers do: a field not given is taken from the trace (the root span's
inputs and outputs; the trace's human expectations); retrieved documents come from the trace's
top-level RETRIEVER spans (those not inside another RETRIEVER span), each span's output being a
list of documents whose text is `page_content`, `content` or `text`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.entities import Span, SpanType, Trace
from core.evaluation.builtin import output_text
from core.tracing.encode import message_text

#: Keys of a retrieved document's text, in the order MLflow tries them.
DOCUMENT_TEXT_KEYS = ("page_content", "content", "text")
#: The source of expectations a judge reads from a trace (MLflow reads human labels only).
HUMAN = "HUMAN"


@dataclass(frozen=True)
class Document:
    """One retrieved document (a "chunk"): its text and, when the retriever gave it, its URI."""

    content: str | None
    doc_uri: str | None = None


@dataclass(frozen=True)
class Retrieval:
    """The documents one top-level RETRIEVER span returned."""

    span_id: str
    documents: tuple[Document, ...]


def request_text(inputs: Any) -> str:
    """The request as the judge reads it: a string as is, a chat's last user message, else
    the inputs as JSON."""
    if isinstance(inputs, str):
        return inputs
    question = message_text(inputs, "user")
    if question is not None:
        return question
    return json.dumps(inputs, ensure_ascii=False, default=str)


def response_text(outputs: Any) -> str:
    """The response as the judge reads it: a string as is, a chat answer's text, else JSON."""
    return output_text(outputs)


def resolve(
    scorer: str,
    *,
    trace: Trace | None,
    inputs: Any = None,
    outputs: Any = None,
    needs: Sequence[str] = ("inputs", "outputs"),
) -> tuple[Any, Any]:
    """(inputs, outputs), each taken from the trace's root span when not given; raises
    `ValueError` naming what is still missing among `needs`."""
    root = trace.data.root_span if trace is not None else None
    if inputs is None and root is not None:
        inputs = root.inputs
    if outputs is None and root is not None:
        outputs = root.outputs
    given = {"inputs": inputs, "outputs": outputs}
    missing = [field for field in needs if given.get(field) is None]
    if missing:
        raise ValueError(
            f"{scorer} scorer requires the following fields: {', '.join(missing)}. "
            "Provide them directly or pass a trace containing them."
        )
    return inputs, outputs


def resolve_expectations(
    expectations: Mapping[str, Any] | None, trace: Trace | None
) -> dict[str, Any]:
    """The row's expectations; when it has none, the human expectations on the trace."""
    if expectations:
        return dict(expectations)
    if trace is None:
        return {}
    return {
        a.name: a.value
        for a in trace.info.assessments
        if a.assessment_type == "expectation" and a.valid is not False and a.source_type == HUMAN
    }


def retrievals(trace: Trace | None) -> list[Retrieval]:
    """The documents of each top-level RETRIEVER span of `trace`, in the trace's span order."""
    if trace is None:
        return []
    spans = {span.span_id: span for span in trace.data.spans}
    return [
        Retrieval(span.span_id, documents(span.outputs))
        for span in trace.data.spans
        if span.span_type == SpanType.RETRIEVER and not _inside_retriever(span, spans)
    ]


def documents(outputs: Any) -> tuple[Document, ...]:
    """The documents in a RETRIEVER span's outputs (a list, or its JSON text)."""
    if isinstance(outputs, str):
        try:
            outputs = json.loads(outputs)
        except ValueError:
            return (Document(outputs),)
    if not isinstance(outputs, list):
        return ()
    found = (_document(item) for item in outputs)
    return tuple(d for d in found if d is not None)


def no_retrieval(scorer: str) -> ValueError:
    return ValueError(
        f"No retrieval context found in the trace. The {scorer} scorer requires the trace to "
        "contain at least one span with type 'RETRIEVER'."
    )


def render_documents(docs: Sequence[Document]) -> str:
    """Documents for a prompt, one tagged block each."""
    return "\n".join(render_document(doc) for doc in docs)


def render_document(doc: Document) -> str:
    uri = f' uri="{doc.doc_uri}"' if doc.doc_uri else ""
    return f"<document{uri}>{doc.content or ''}</document>"


def _document(item: Any) -> Document | None:
    if isinstance(item, str):
        return Document(item)
    if not isinstance(item, Mapping):
        return None
    key = next((k for k in DOCUMENT_TEXT_KEYS if k in item), None)
    content = item.get(key) if key is not None else None
    metadata = item.get("metadata")
    uri = metadata.get("doc_uri") if isinstance(metadata, Mapping) else None
    text = content if content is None or isinstance(content, str) else json.dumps(content)
    return Document(text, str(uri) if uri else None)


def _inside_retriever(span: Span, spans: Mapping[str, Span]) -> bool:
    parent_id, seen = span.parent_id, set()
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = spans.get(parent_id)
        if parent is None:
            return False
        if parent.span_type == SpanType.RETRIEVER:
            return True
        parent_id = parent.parent_id
    return False
