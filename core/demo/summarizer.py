"""The summarizer experiment: map-reduce summaries of documents, some of them 1 MB long.

Each document is split into chunks, summarised chunk by chunk on four workers (a small local
model), merged (a bare list of messages with a few-shot example) and formatted as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable

from core.demo.documents import (
    TEXTS,
    Document,
    call_transcript_ja,
    contract,
    meeting_notes,
    news_ar,
    postmortem,
    server_logs,
    support_call,
)
from core.demo.failures import (
    MESSAGES,
    app_frames,
    context_length_failure,
    ollama_failure,
    validation_failure,
)
from core.demo.llm import chat_call, failed_chat_call
from core.demo.plan import Gen, Node, Seq, TraceSpec, leaf, moment, run_parallel, trace_context

PROMPTS = TEXTS["prompts"]
SUMMARY_HEADINGS: dict[str, str] = PROMPTS["headings"]
SUMMARY_FRAMES = app_frames("summary_chunk")
FORMAT_FRAMES = app_frames("summary_format")
SUMMARY_MISHAPS = (
    (None, 0.83),
    ("chunk_timeout", 0.06),
    ("reduce_too_long", 0.05),
    ("too_many_bullets", 0.06),
)


def summary_of(doc: Document) -> str:
    return f"## {SUMMARY_HEADINGS[doc.language]}: {doc.title}\n\n" + "\n".join(
        f"- {p}" for p in doc.points
    )


def chunk_call(
    g: Gen, t: int, doc: Document, chunk: str, part: tuple[int, int], style: str, fail: bool
) -> Node:
    index, total = part
    messages = [
        {"role": "system", "content": PROMPTS["map"].format(kind=doc.kind.replace("_", " "))},
        {"role": "user", "content": chunk},
    ]
    if fail:
        error = ollama_failure("timeout", SUMMARY_FRAMES)
        return failed_chat_call(g, t, "llama3.2:1b", messages, error, "summarize_chunk")
    bullets = [doc.points[(index + k) % len(doc.points)] for k in range(min(2, len(doc.points)))]
    reply = {
        "role": "assistant",
        "content": f"({index + 1}/{total})\n" + "\n".join(f"- {b}" for b in bullets),
    }
    return chat_call(g, t, "llama3.2:1b", messages, reply, style=style, name="summarize_chunk")


def map_chunks(g: Gen, t: int, doc: Document, chunks: list[str], fail: bool) -> Node:
    style = "langchain" if g.chance(0.5) else "openai"
    failing = g.between(0, len(chunks) - 1) if fail else -1
    jobs = [
        lambda start, i=i, c=c: chunk_call(g, start, doc, c, (i, len(chunks)), style, i == failing)
        for i, c in enumerate(chunks)
    ]
    seq = Seq(g, t)
    seq.add(*run_parallel(g, seq.t, jobs, workers=4))
    error = next((n.failure for n in seq.nodes if n.failure), None)
    partials = None if error else [n.outputs for n in seq.nodes]
    return seq.close(
        "map_summaries",
        "CHAIN",
        {"chunks": len(chunks), "max_concurrency": 4},
        {"partials": partials} if partials else None,
        failure=error,
    )


def reduce_call(g: Gen, t: int, doc: Document, count: int, fail: bool) -> Node:
    """The merge step, called with a bare list of role/content messages (few-shot included)."""
    example, answer = PROMPTS["reduce_example"]
    messages = [
        {"role": "system", "content": PROMPTS["reduce"]},
        {"role": "user", "content": example},
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": PROMPTS["reduce_request"].format(
                count=count, title=doc.title, points="\n".join(f"- {p}" for p in doc.points)
            ),
        },
    ]
    if fail:
        error = context_length_failure(g, SUMMARY_FRAMES)
        return failed_chat_call(g, t, "gpt-4o-mini", messages, error, "reduce_summaries")
    reply = {"role": "assistant", "content": summary_of(doc)}
    return chat_call(g, t, "gpt-4o-mini", messages, reply, style="bare", name="reduce_summaries")


def format_markdown(g: Gen, t: int, doc: Document, fail: bool) -> Node:
    text = summary_of(doc)
    outputs = {"markdown": text, "bullets": len(doc.points), "language": doc.language}
    node = leaf(g, t, "format_markdown", "PARSER", (0.2, 5), {"text": text}, outputs)
    if fail:
        count = g.between(9, 14)
        detail = MESSAGES["too_many_bullets"].format(count=count)
        node.failure = validation_failure("SummaryOutput", "bullets", detail, FORMAT_FRAMES)
        node.outputs = None
    return node


def summarize(g: Gen, t: int, doc: Document, mishap: str | None) -> Node:
    """Split, summarise the chunks in parallel, merge, format: the summarizer's pipeline."""
    chunks = [doc.text[i : i + doc.chunk_chars] for i in range(0, len(doc.text), doc.chunk_chars)]
    inputs = {
        "document": doc.text,
        "title": doc.title,
        "language": doc.language,
        "style": "bullets",
        "max_bullets": 8,
    }
    seq = Seq(g, t)
    split_inputs = {"chars": len(doc.text), "chunk_size": doc.chunk_chars, "overlap": 0}
    split_outputs = {"chunks": len(chunks), "sizes": [len(c) for c in chunks]}
    seq.add(leaf(g, seq.t, "split_into_chunks", "PARSER", (0.2, 12), split_inputs, split_outputs))
    steps: tuple[Callable[[int], Node], ...] = (
        lambda start: map_chunks(g, start, doc, chunks, mishap == "chunk_timeout"),
        lambda start: reduce_call(g, start, doc, len(chunks), mishap == "reduce_too_long"),
        lambda start: format_markdown(g, start, doc, mishap == "too_many_bullets"),
    )
    for step in steps:
        seq.add(node := step(seq.t))
        if node.failure:
            return seq.close("summarize_document", "CHAIN", inputs, failure=node.failure)
    outputs = {"summary": summary_of(doc), "chunks": len(chunks)}
    return seq.close("summarize_document", "CHAIN", inputs, outputs)


SUMMARY_USERS: tuple[str, ...] = tuple(TEXTS["users"])
SMALL_DOCUMENTS: tuple[Callable[[Gen, int], Document], ...] = (
    meeting_notes,
    meeting_notes,
    postmortem,
    postmortem,
    call_transcript_ja,
    news_ar,
)


def summary_spec(g: Gen, now: int, t: int, doc: Document, mishap: str | None) -> TraceSpec:
    root = summarize(g, t, doc, mishap)
    tags, metadata = trace_context("summarizer", t, now, g)
    tags |= {
        "doc_type": doc.kind,
        "language": doc.language,
        "source": g.pick(("slack", "gdrive", "upload", "confluence")),
    }
    metadata["document_chars"] = str(len(doc.text))
    return TraceSpec("summarizer", root, tags, metadata, None, g.pick(SUMMARY_USERS))


def summarizer_traces(g: Gen, now: int) -> list[TraceSpec]:
    specs = []
    for _ in range(58):
        t = moment(g, now)
        doc = g.pick(SMALL_DOCUMENTS)(g, t)
        specs.append(summary_spec(g, now, t, doc, g.weighted(SUMMARY_MISHAPS)))
    # The long payloads: the viewer must stay responsive on 0.2-1 MB inputs.
    for make, size in ((server_logs, 1_000_000), (support_call, 350_000), (contract, 180_000)):
        t = moment(g, now)
        specs.append(summary_spec(g, now, t, make(g, t, size), None))
    return specs
