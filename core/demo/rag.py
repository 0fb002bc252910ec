"""The rag-qa experiment: questions about the docs of "Vela", a fictional developer platform.

Each turn retrieves (hybrid search: a dense retriever down to the vector store's shards, and
BM25), reranks, generates a Markdown answer with [n] citations and extracts the sources:
seven levels deep. The topics, documents and answers are in `resources/demo/rag.toml`.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from core.demo import texts
from core.demo.failures import (
    MESSAGES,
    app_frames,
    context_length_failure,
    ollama_failure,
    qdrant_failure,
    rate_limit_failure,
    validation_failure,
)
from core.demo.llm import MODELS, chat_call, count_tokens, failed_chat_call
from core.demo.plan import SECOND, Failure, Gen, Node, Seq, TraceSpec, leaf, moment, trace_context

TEXTS = texts("rag")


@dataclass(frozen=True)
class Topic:
    key: str
    questions: tuple[str, ...]
    docs: tuple[tuple[str, str, str], ...]  # (source, section, text)
    answer: str  # Markdown, with [n] citations into the top documents


TOPICS = tuple(
    Topic(
        topic["key"],
        tuple(topic["questions"]),
        tuple((doc["source"], doc["section"], doc["text"]) for doc in topic["docs"]),
        topic["answer"],
    )
    for topic in TEXTS["topics"]
)
RAG_SYSTEM: str = TEXTS["system"]
RAG_FRAMES = app_frames("rag_retrieve")
EMBED_FRAMES = app_frames("rag_embed")
CITE_FRAMES = app_frames("rag_cite")
GENERATION_FRAMES = app_frames("rag_generate")


def as_document(g: Gen, source: str, section: str, text: str) -> dict[str, Any]:
    """A retrieved chunk in MLflow's Document shape (page_content, metadata, id)."""
    chunk = zlib.crc32(section.encode()) % 17
    metadata = {
        "source": source,
        "section": section,
        "chunk": chunk,
        "updated_at": f"2024-{g.between(6, 12):02d}-{g.between(1, 28):02d}",
    }
    return {
        "page_content": text,
        "metadata": metadata,
        "id": f"doc-{zlib.crc32(source.encode()):08x}#chunk-{chunk}",
    }


def topic_documents(g: Gen, topic: Topic) -> list[dict[str, Any]]:
    """The topic's chunks plus a near miss from another topic, as real retrieval returns."""
    other = g.pick([t for t in TOPICS if t is not topic])
    chosen = [*topic.docs, g.pick(other.docs)]
    return [as_document(g, *doc) for doc in chosen]


def embedding(g: Gen, t: int, text: str, fail: bool) -> Node:
    inputs = {"input": [text], "model": "text-embedding-3-small", "dimensions": 256}
    attributes = {"mlflow.llm.model": "text-embedding-3-small", "mlflow.llm.provider": "openai"}
    node = leaf(g, t, "embed_query", "EMBEDDING", (60, 400), inputs, None, attributes)
    if fail:
        node.failure = rate_limit_failure(g, "text-embedding-3-small", EMBED_FRAMES)
        return node
    vector = [round(g.rng.gauss(0.0, 0.0625), 6) for _ in range(256)]
    tokens = count_tokens(text)
    node.outputs = {
        "object": "list",
        "model": "text-embedding-3-small",
        "data": [{"object": "embedding", "index": 0, "embedding": vector}],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return node


def vector_lookup(g: Gen, t: int, docs: list[dict[str, Any]], fail: bool) -> Node:
    """The vector store call, down to the per-shard scans (levels 5 to 7 of the tree)."""
    inputs = {
        "collection": "vela-docs-v7",
        "vector_dim": 256,
        "limit": 20,
        "filter": {"must": [{"key": "visibility", "match": {"value": "public"}}]},
    }
    if fail:
        node = Node("vector-lookup", "vector-lookup", t, t + 5 * SECOND + g.ms(1, 20), inputs)
        node.failure = qdrant_failure(RAG_FRAMES)
        return node
    outer = Seq(g, t)
    inner = Seq(g, outer.t)
    inner.add(
        *(
            leaf(
                g,
                inner.t + g.ms(0.05, 0.5),
                f"shard_scan[{shard}]",
                "custom span",
                (30, 300),
                {"shard": shard, "segments": g.between(3, 9)},
                {"candidates": g.between(40, 160)},
            )
            for shard in range(g.between(2, 3))
        )
    )
    hits = {"hits": 20, "distance": "cosine", "ef_search": 64}
    outer.add(inner.close("hnsw.search", "custom span", {"ef_search": 64, "k": 20}, hits))
    ids = [{"id": d["id"], "score": round(0.89 - i * 0.04, 3)} for i, d in enumerate(docs)]
    return outer.close("vector-lookup", "vector-lookup", inputs, {"points": ids})


def dense_retriever(g: Gen, t: int, question: str, topic: Topic, fail: bool) -> Node:
    docs = topic_documents(g, topic)
    seq = Seq(g, t)
    seq.add(lookup := vector_lookup(g, seq.t, docs, fail))
    outputs = None if fail else docs
    inputs = {"query": question, "k": 20}
    return seq.close("dense_retriever", "RETRIEVER", inputs, outputs, failure=lookup.failure)


def hybrid_search(g: Gen, t: int, question: str, topic: Topic, mishap: str | None) -> Node:
    seq = Seq(g, t)
    inputs = {"query": question, "k": 20, "alpha": 0.7}
    seq.add(embed := embedding(g, seq.t, question, mishap == "embed_rate_limit"))
    if embed.failure:
        return seq.close("hybrid_search", "CHAIN", inputs, failure=embed.failure)
    dense = dense_retriever(g, seq.t, question, topic, mishap == "vector_timeout")
    keyword_docs = [as_document(g, *doc) for doc in topic.docs[:2]]
    sparse = leaf(
        g,
        seq.t + g.ms(0.05, 1),
        "bm25_retriever",
        "RETRIEVER",
        (50, 400),
        {"query": question, "k": 20},
        keyword_docs,
    )
    seq.add(dense, sparse)
    merged = {d["id"]: d for d in [*(dense.outputs or []), *keyword_docs]}
    node = seq.close("hybrid_search", "CHAIN", inputs, list(merged.values()))
    if dense.failure:  # degrade to keyword search rather than fail the question
        node.events.append(
            (
                "fallback",
                {"reason": "dense retriever failed", "using": "bm25_retriever"},
                dense.end_ns,
            )
        )
    return node


def rerank(g: Gen, t: int, question: str, docs: list[dict[str, Any]]) -> Node:
    inputs = {
        "query": question,
        "model": "bge-reranker-v2-m3",
        "top_n": 3,
        "documents": [{"id": d["id"], "text": d["page_content"]} for d in docs],
    }
    top = [
        d | {"metadata": d["metadata"] | {"relevance_score": round(0.97 - i * 0.11, 3)}}
        for i, d in enumerate(docs[:3])
    ]
    return leaf(g, t, "rerank", "RERANKER", (40, 300), inputs, top)


RAG_MISHAPS = (  # vector timeouts and bad citations are survived; the other two fail the trace
    (None, 0.78),
    ("vector_timeout", 0.06),
    ("embed_rate_limit", 0.05),
    ("citation_out_of_range", 0.05),
    ("generation_failed", 0.06),
)
RAG_TENANTS: tuple[str, ...] = tuple(TEXTS["tenants"])
RAG_USERS: tuple[str, ...] = tuple(TEXTS["users"])


def retrieve(g: Gen, t: int, question: str, topic: Topic, mishap: str | None) -> Node:
    seq = Seq(g, t)
    seq.add(hybrid := hybrid_search(g, seq.t, question, topic, mishap))
    return seq.close(
        "retrieve", "CHAIN", {"question": question}, hybrid.outputs, failure=hybrid.failure
    )


def generate(
    g: Gen,
    t: int,
    model: str,
    messages: list[dict[str, Any]],
    answer: str,
    style: str,
    fail: bool,
) -> Node:
    if not fail:
        return chat_call(
            g, t, model, messages, {"role": "assistant", "content": answer}, style=style
        )
    error = (
        context_length_failure(g, GENERATION_FRAMES)
        if MODELS[model].provider == "openai"
        else ollama_failure("timeout", GENERATION_FRAMES)
    )
    return failed_chat_call(g, t, model, messages, error)


def extract_citations(g: Gen, t: int, answer: str, docs: list[dict[str, Any]], fail: bool) -> Node:
    numbers = sorted({int(n) for n in re.findall(r"\[(\d)\]", answer)})
    inputs = {"answer": answer[:400] + ("…" if len(answer) > 400 else ""), "documents": len(docs)}
    cited = [
        {"index": n, "source": docs[n - 1]["metadata"]["source"]} for n in numbers if n <= len(docs)
    ]
    node = leaf(g, t, "extract_citations", "PARSER", (0.3, 6), inputs, {"citations": cited})
    if fail:  # the model cited a source that is not in the context
        detail = MESSAGES["citation_out_of_range"].format(count=len(docs), index=len(docs) + 1)
        node.failure = validation_failure("Citation", "index", detail, CITE_FRAMES)
        node.outputs = None
    return node


def condense(g: Gen, t: int, history: list[dict[str, Any]], question: str) -> Node:
    """Rewrite a follow-up into a standalone question (these users ask standalone ones)."""
    messages = [*history, {"role": "user", "content": question}]
    reply = {"role": "assistant", "content": question}
    return chat_call(g, t, "gpt-4o-mini", messages, reply, name="condense_question")


def rag_messages(
    question: str, history: list[dict[str, Any]], docs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    context = "\n\n".join(
        f"[{n}] ({d['metadata']['source']}) {d['page_content']}" for n, d in enumerate(docs, 1)
    )
    system = {"role": "system", "content": RAG_SYSTEM.format(context=context)}
    return [system, *history, {"role": "user", "content": question}]


def answer_and_cite(
    g: Gen,
    seq: Seq,
    topic: Topic,
    question: str,
    history: list[dict[str, Any]],
    docs: list[dict[str, Any]],
    model: str,
    mishap: str | None,
) -> tuple[list[str], Failure | None]:
    """Generate the answer from the reranked documents, then pull out its sources."""
    messages = rag_messages(question, history, docs)
    style = "langchain" if g.chance(0.35) else "openai"
    failing = mishap == "generation_failed"
    seq.add(answer := generate(g, seq.t, model, messages, topic.answer, style, failing))
    if answer.failure:
        return [], answer.failure
    failing = mishap == "citation_out_of_range"
    seq.add(cite := extract_citations(g, seq.t, topic.answer, docs, failing))
    return [c["source"] for c in (cite.outputs or {"citations": []})["citations"]], None


def rag_turn(
    g: Gen,
    t: int,
    topic: Topic,
    question: str,
    history: list[dict[str, Any]],
    model: str,
    mishap: str | None,
) -> Node:
    """Retrieve, rerank, answer and cite: seven levels deep at the vector store's shards."""
    seq = Seq(g, t)
    inputs: dict[str, Any] = {"question": question} | ({"chat_history": history} if history else {})
    if history:
        seq.add(condense(g, seq.t, history, question))
    seq.add(found := retrieve(g, seq.t, question, topic, mishap))
    if found.failure:
        return seq.close("rag_pipeline", "CHAIN", inputs, failure=found.failure)
    seq.add(ranked := rerank(g, seq.t, question, found.outputs))
    docs = ranked.outputs
    sources, error = answer_and_cite(g, seq, topic, question, history, docs, model, mishap)
    outputs = None if error else {"answer": topic.answer, "sources": sources}
    return seq.close("rag_pipeline", "CHAIN", inputs, outputs, failure=error)


def rag_session(g: Gen, now: int, turns: int) -> list[TraceSpec]:
    t, user, session = moment(g, now), g.pick(RAG_USERS), f"qa-{g.hex(10)}"
    model = g.pick(("gpt-4o-mini", "gpt-4o-mini", "llama3.2:1b", "qwen2.5:7b"))
    tenant = g.pick(RAG_TENANTS)
    history: list[dict[str, Any]] = []
    specs = []
    for _ in range(turns):
        topic = g.pick(TOPICS)
        question = g.pick(topic.questions)
        mishap = g.weighted(RAG_MISHAPS)
        root = rag_turn(g, t, topic, question, history[-4:], model, mishap)
        tags, metadata = trace_context("rag-qa", t, now, g)
        tags |= {"customer": tenant, "topic": topic.key, "retriever": "hybrid"}
        metadata |= {"index_version": "vela-docs-v7", "reranker": "bge-reranker-v2-m3"}
        specs.append(
            TraceSpec("rag-qa", root, tags, metadata, session if turns > 1 else None, user)
        )
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": root.outputs["answer"] if root.outputs else ""},
        ]
        t = root.end_ns + g.ms(30_000, 400_000)
    return specs


def rag_traces(g: Gen, now: int) -> list[TraceSpec]:
    specs: list[TraceSpec] = []
    for _ in range(12):
        specs += rag_session(g, now, g.between(2, 3))
    for _ in range(70):
        specs += rag_session(g, now, 1)
    return specs
