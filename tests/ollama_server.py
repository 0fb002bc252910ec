"""A stand-in Ollama server for tests: the real HTTP protocol, deterministic canned answers.

Stdlib only, so any interpreter can run it (the MLflow fixture scripts run it under their own
virtualenvs). It speaks the endpoints `langchain-ollama`'s `ChatOllama` and the `ollama` client
use, with the field names of Ollama's own API:

* `POST /api/chat`: NDJSON stream of `{"model", "created_at", "message": {"role", "content"},
  "done": false}` chunks (one per word), then a final chunk with `done: true`, `done_reason`,
  `total_duration`, `load_duration`, `prompt_eval_count`, `prompt_eval_duration`, `eval_count`
  and `eval_duration`; or the same as one JSON object when the request says `"stream": false`.
  A request that offers `tools` and ends with a user message gets a tool call to the first tool.
* `GET /api/tags`, `POST /api/show`, `GET /api/version`, `GET /api/ps`, `GET /`.

The answers and numbers reproduce what the stand-in that wrote the MLflow tutorial fixtures
returned (see `tests/fixtures/mlflow-3.18-tutorial`): one chunk per word, `eval_count` = number
of words, `prompt_eval_count` = 26 + per message (4 + regex tokens of its content), 9 ms per
generated token, 1 ms + 0.35 ms per prompt token, a fixed load time.

Switches (`OllamaStandIn.configure`) make it slow, fail with an HTTP status, drop the connection
mid-stream, or answer judge-style prompts with a yes/no verdict. Every request is recorded.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

DEFAULT_MODEL = "llama3.2:1b"
OLLAMA_VERSION = "0.13.0"

#: Answers keyed by the last user message. The first four are the MLflow tutorial's.
TUTORIAL_ANSWERS: dict[str, str] = {
    "Hello how are you?": (
        "Hello! I'm just a language model, so I don't have feelings, but I'm functioning "
        "properly and ready to help. How can I assist you today?"
    ),
    "Who wrote Romeo and Juliet?": "William Shakespeare",
    "What is the Scotland's national animal?": "Unicorn",
    "Who was the first person to build an airplane?": "Wright Brothers",
}

LOAD_DURATION_NS = 12_345_678
PROMPT_BASE_NS = 1_000_000
PROMPT_TOKEN_NS = 350_000
EVAL_TOKEN_NS = 9_000_000
OVERHEAD_NS = 2_000_000
PROMPT_TEMPLATE_TOKENS = 26
MESSAGE_HEADER_TOKENS = 4

_MODEL_DETAILS: dict[str, Any] = {
    "parent_model": "",
    "format": "gguf",
    "family": "llama",
    "families": ["llama"],
    "parameter_size": "1.2B",
    "quantization_level": "Q8_0",
}
_MODEL_SIZE = 1_321_098_329
_MODEL_DIGEST = "baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878"
_MODIFIED_AT = "2026-11-01T09:30:00.123456789Z"
_TEMPLATE = (
    "<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>"
)
_PARAMETERS = "\n".join(
    f'stop                           "{token}"'
    for token in ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
)
_MODEL_INFO: dict[str, Any] = {
    "general.architecture": "llama",
    "general.basename": "Llama-3.2",
    "general.finetune": "Instruct",
    "general.parameter_count": 1_235_814_432,
    "general.quantization_version": 2,
    "general.size_label": "1B",
    "llama.attention.head_count": 32,
    "llama.attention.head_count_kv": 8,
    "llama.block_count": 16,
    "llama.context_length": 131_072,
    "llama.embedding_length": 2048,
    "llama.feed_forward_length": 8192,
    "llama.vocab_size": 128_256,
    "tokenizer.ggml.model": "gpt2",
    "tokenizer.ggml.pre": "llama-bpe",
}

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_PIECE_RE = re.compile(r"\S+\s*")
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
#: How often `serve_forever` checks for `shutdown()`: the bound on `stop()` latency.
_POLL_INTERVAL = 0.02


# --------------------------------------------------------------------------- switches, records


@dataclass(frozen=True)
class Switches:
    """How the stand-in misbehaves. Change them with `OllamaStandIn.configure(...)`."""

    #: Seconds to wait before each streamed chunk (non-streamed replies wait for all of them).
    chunk_delay: float = 0.0
    #: Answer `/api/chat` with this HTTP status and `{"error": fail_message}`.
    fail_status: int | None = None
    fail_message: str = "llama runner process has terminated: exit status 2"
    #: How many requests fail before the server recovers; None = every request.
    fail_times: int | None = None
    #: Close the socket after this many content chunks (0 = before any; non-streamed: no reply).
    drop_after_chunks: int | None = None
    #: True: always answer as a judge; False: never; None: when the prompt looks like a judge's.
    judge: bool | None = None
    judge_verdict: str = "yes"
    #: Answer with a tool call when the request offers tools and the last message is a user's.
    tool_calls: bool = True
    #: Reject models it does not list (404, like a model that was never pulled).
    strict_models: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the stand-in received."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """What the model 'generates' for one chat request."""

    content: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    done_reason: str = "stop"

    @property
    def pieces(self) -> list[str]:
        """The streamed content chunks: one per word, trailing whitespace kept."""
        return split_into_pieces(self.content)

    @property
    def eval_count(self) -> int:
        """Generated tokens: one per streamed word, or the tokens of the tool call arguments."""
        if self.tool_calls:
            return sum(count_tokens(json.dumps(call["function"])) for call in self.tool_calls)
        return len(self.pieces)


# --------------------------------------------------------------------------- pure helpers


def count_tokens(text: str) -> int:
    """A tokenizer stand-in: words and punctuation marks."""
    return len(_TOKEN_RE.findall(text))


def split_into_pieces(text: str) -> list[str]:
    """Split text the way the stand-in streams it; `"".join(pieces) == text`."""
    stripped = text.lstrip()
    pieces = _PIECE_RE.findall(stripped)
    if pieces and len(stripped) != len(text):
        pieces[0] = text[: len(text) - len(stripped)] + pieces[0]
    return pieces


def message_text(message: Mapping[str, Any]) -> str:
    """The text content of a request message (`content` may be missing or null)."""
    content = message.get("content")
    return content if isinstance(content, str) else ""


def prompt_eval_count(messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] = ()) -> int:
    """Prompt tokens: a chat-template preamble, a header per message, the texts, the tools."""
    total = PROMPT_TEMPLATE_TOKENS
    total += sum(MESSAGE_HEADER_TOKENS + count_tokens(message_text(m)) for m in messages)
    total += sum(count_tokens(json.dumps(tool)) for tool in tools)
    return total


def generation_metrics(prompt_tokens: int, eval_tokens: int) -> dict[str, int]:
    """The duration/count fields of a final chunk, in Ollama's order (durations in ns)."""
    prompt_ns = PROMPT_BASE_NS + PROMPT_TOKEN_NS * prompt_tokens
    eval_ns = EVAL_TOKEN_NS * eval_tokens
    return {
        "total_duration": LOAD_DURATION_NS + prompt_ns + eval_ns + OVERHEAD_NS,
        "load_duration": LOAD_DURATION_NS,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": eval_tokens,
        "eval_duration": eval_ns,
    }


def created_at(now_ns: int | None = None) -> str:
    """A `created_at` timestamp as Go's RFC3339Nano writes it (UTC, trailing zeros trimmed)."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    seconds, nanos = divmod(now_ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"


def last_message_with_role(messages: Sequence[Mapping[str, Any]], role: str) -> str | None:
    """Text of the last message with `role`, or None."""
    for message in reversed(messages):
        if message.get("role") == role:
            return message_text(message)
    return None


def fallback_answer(prompt: str) -> str:
    """The deterministic answer to a prompt with no canned answer."""
    return f"You said: {prompt}" if prompt else "Hello! How can I help you today?"


def looks_like_judge_prompt(messages: Sequence[Mapping[str, Any]]) -> bool:
    """LLM-judge prompts ask for a rationale and a yes/no result (MLflow's judges do)."""
    text = " ".join(message_text(m) for m in messages).lower()
    return "rationale" in text and "yes" in text and re.search(r"\bno\b", text) is not None


def judge_answer(messages: Sequence[Mapping[str, Any]], verdict: str) -> str:
    """A judge verdict as the JSON object MLflow's judges parse."""
    question = (last_message_with_role(messages, "user") or "").strip().splitlines()
    subject = question[0][:80] if question else "the request"
    rationale = f'The response addresses "{subject}" as asked, so the verdict is {verdict}.'
    return json.dumps({"rationale": rationale, "result": verdict})


def value_for_schema(schema: Mapping[str, Any], text: str) -> Any:
    """A deterministic value of a JSON-schema type, derived from `text` where it can be."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    number = _NUMBER_RE.search(text)
    value = float(number.group()) if number else 0.0
    by_kind: dict[Any, Any] = {
        "integer": int(value),
        "number": value,
        "boolean": True,
        "array": [text],
        "object": {},
    }
    return by_kind.get(kind, text)


def object_for_schema(schema: Mapping[str, Any], text: str, verdict: str) -> dict[str, Any]:
    """Fill an object schema (structured output); `result`/`rationale` get a judge verdict."""
    properties: Mapping[str, Any] = schema.get("properties") or {}
    if {"result", "rationale"} <= set(properties):
        return {"rationale": f"Deterministic verdict for: {text[:80]}", "result": verdict}
    return {name: value_for_schema(spec, text) for name, spec in properties.items()}


def tool_arguments(tool: Mapping[str, Any], text: str) -> dict[str, Any]:
    """Arguments for a tool call: every required parameter (or the first one) from `text`."""
    parameters: Mapping[str, Any] = tool.get("function", {}).get("parameters") or {}
    properties: Mapping[str, Any] = parameters.get("properties") or {}
    names = list(parameters.get("required") or list(properties)[:1])
    return {name: value_for_schema(properties.get(name, {}), text) for name in names}


def tool_call_for(tools: Sequence[Mapping[str, Any]], text: str) -> dict[str, Any]:
    """A call to the first offered tool, in Ollama's `message.tool_calls` shape."""
    name = tools[0].get("function", {}).get("name")
    call_id = f"call_{zlib.crc32(f'{name}:{text}'.encode()):08x}"
    arguments = tool_arguments(tools[0], text)
    return {"id": call_id, "function": {"name": name, "arguments": arguments}}


def plan_reply(request: Mapping[str, Any], answers: Mapping[str, str], switches: Switches) -> Reply:
    """Decide the reply to a chat request: tool call, judge verdict, structured or plain text."""
    messages: Sequence[Mapping[str, Any]] = request.get("messages") or []
    prompt = last_message_with_role(messages, "user") or ""
    tools: Sequence[Mapping[str, Any]] = request.get("tools") or []
    last_role = messages[-1].get("role") if messages else None
    if tools and switches.tool_calls and last_role == "user":
        return Reply(content="", tool_calls=[tool_call_for(tools, prompt)])
    schema = request.get("format")
    if isinstance(schema, Mapping) and schema.get("properties"):
        obj = object_for_schema(schema, prompt, switches.judge_verdict)
        return Reply(content=json.dumps(obj))
    wants_judge = switches.judge
    if wants_judge is None:
        wants_judge = looks_like_judge_prompt(messages)
    if wants_judge:
        return Reply(content=judge_answer(messages, switches.judge_verdict))
    if last_role == "tool":
        return Reply(content=f"The tool returned: {message_text(messages[-1])}")
    answer = answers.get(prompt.strip(), fallback_answer(prompt.strip()))
    if schema == "json":
        answer = json.dumps({"answer": answer})
    return Reply(content=answer)


def truncate_reply(reply: Reply, options: Mapping[str, Any] | None) -> Reply:
    """Honour `options.num_predict`: cut the content and say `done_reason: length`."""
    limit = (options or {}).get("num_predict")
    if not isinstance(limit, int) or limit <= 0 or reply.tool_calls:
        return reply
    pieces = reply.pieces
    if len(pieces) <= limit:
        return reply
    return replace(reply, content="".join(pieces[:limit]), done_reason="length")


# --------------------------------------------------------------------------- the HTTP server


class _Server(ThreadingHTTPServer):
    """The socket server; knows its stand-in and its open connections."""

    daemon_threads = True

    def __init__(self, standin: OllamaStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        """Remember (or forget) a client connection so `close_connections` can end it."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open client connection (keep-alive readers then return)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            _shutdown_quietly(connection)


def _shutdown_quietly(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _DroppedConnection(Exception):
    """Raised inside the handler to abandon a response on purpose."""


class _Handler(BaseHTTPRequestHandler):
    """Ollama's HTTP API over the stand-in's state."""

    protocol_version = "HTTP/1.1"
    server: _Server

    # BaseHTTPRequestHandler override: register the connection.
    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    # BaseHTTPRequestHandler override: forget the connection.
    def finish(self) -> None:
        self.server.track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    # BaseHTTPRequestHandler override: keep test output clean.
    def log_message(self, format: str, *args: Any) -> None:
        return

    @property
    def standin(self) -> OllamaStandIn:
        return self.server.standin

    def do_HEAD(self) -> None:
        self._record(None)
        self._send_bytes(200, b"", "text/plain; charset=utf-8")

    def do_GET(self) -> None:
        self._record(None)
        routes = {
            "/": lambda: self._send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8"),
            "/api/tags": lambda: self._send_json(200, self.standin.tags()),
            "/api/version": lambda: self._send_json(200, {"version": self.standin.version}),
            "/api/ps": lambda: self._send_json(200, self.standin.running()),
        }
        routes.get(self.path, self._not_found)()

    def do_POST(self) -> None:
        body = self._read_json()
        self._record(body)
        if body is None:
            self._send_json(400, {"error": "invalid JSON in request body"})
        elif self.path == "/api/chat":
            self._chat(body)
        elif self.path == "/api/show":
            self._show(body)
        else:
            self._not_found()

    def _not_found(self) -> None:
        self._send_bytes(404, b"404 page not found", "text/plain")

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return None

    def _record(self, body: Any) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.standin.record(RecordedRequest(self.command, self.path, body, headers))

    # -- responses

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _show(self, body: Mapping[str, Any]) -> None:
        model = str(body.get("model") or body.get("name") or "")
        if not self.standin.knows(model):
            self._send_json(404, {"error": f"model '{model}' not found"})
        else:
            self._send_json(200, self.standin.show(model))

    # -- chat

    def _chat(self, body: Mapping[str, Any]) -> None:
        switches, failure = self.standin.take_switches()
        model = str(body.get("model") or "")
        if failure is not None:
            self._send_json(failure, {"error": switches.fail_message})
        elif not model:
            self._send_json(400, {"error": "model is required"})
        elif switches.strict_models and not self.standin.knows(model):
            self._send_json(404, {"error": f'model "{model}" not found, try pulling it first'})
        else:
            try:
                self._answer_chat(body, model, switches)
            except (_DroppedConnection, BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                _shutdown_quietly(self.connection)

    def _answer_chat(self, body: Mapping[str, Any], model: str, switches: Switches) -> None:
        messages: Sequence[Mapping[str, Any]] = body.get("messages") or []
        head = {"model": model}
        if not messages:
            done = {"message": {"role": "assistant", "content": ""}, "done_reason": "load"}
            self._send_json(200, {**head, "created_at": created_at(), **done, "done": True})
            return
        reply = plan_reply(body, self.standin.answers, switches)
        reply = truncate_reply(reply, body.get("options"))
        metrics = generation_metrics(
            prompt_eval_count(messages, body.get("tools") or ()), reply.eval_count
        )
        if body.get("stream", True):
            self._stream_chat(head, reply, metrics, switches)
        else:
            self._single_chat(head, reply, metrics, switches)

    def _pause(self, seconds: float) -> None:
        """Wait like a slow model, but give up at once when the server stops."""
        if seconds > 0 and self.server.stopping.wait(seconds):
            raise _DroppedConnection

    def _single_chat(
        self, head: dict[str, Any], reply: Reply, metrics: dict[str, int], switches: Switches
    ) -> None:
        if switches.drop_after_chunks is not None:
            raise _DroppedConnection
        self._pause(switches.chunk_delay * max(1, len(reply.pieces)))
        message = _assistant_message(reply.content, reply.tool_calls)
        final = {"message": message, "done_reason": reply.done_reason, "done": True}
        self._send_json(200, {**head, "created_at": created_at(), **final, **metrics})

    def _stream_chat(
        self, head: dict[str, Any], reply: Reply, metrics: dict[str, int], switches: Switches
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, message in enumerate(_streamed_messages(reply)):
            if switches.drop_after_chunks is not None and index >= switches.drop_after_chunks:
                raise _DroppedConnection
            self._pause(switches.chunk_delay)
            chunk = {**head, "created_at": created_at(), "message": message, "done": False}
            self._write_chunk(chunk)
        empty = _assistant_message("", [])
        final = {"message": empty, "done_reason": reply.done_reason, "done": True}
        self._write_chunk({**head, "created_at": created_at(), **final, **metrics})
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, payload: Mapping[str, Any]) -> None:
        line = json.dumps(payload).encode() + b"\n"
        self.wfile.write(f"{len(line):X}\r\n".encode() + line + b"\r\n")
        self.wfile.flush()


def _assistant_message(content: str, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def _streamed_messages(reply: Reply) -> Iterator[dict[str, Any]]:
    """The `message` objects of the non-final chunks: words, or one tool-call chunk."""
    if reply.tool_calls:
        yield _assistant_message("", reply.tool_calls)
        return
    for piece in reply.pieces:
        yield _assistant_message(piece, [])


# --------------------------------------------------------------------------- the public object


class OllamaStandIn:
    """A stand-in Ollama server on 127.0.0.1 and a free port; a context manager.

    >>> with OllamaStandIn() as ollama:  # doctest: +SKIP
    ...     chat = ChatOllama(model="llama3.2:1b", base_url=ollama.url)
    ...     chat.invoke("Who wrote Romeo and Juliet?").content
    'William Shakespeare'
    """

    def __init__(
        self,
        models: Sequence[str] = (DEFAULT_MODEL,),
        answers: Mapping[str, str] | None = None,
        version: str = OLLAMA_VERSION,
    ) -> None:
        self.models = list(models)
        self.answers: dict[str, str] = {**TUTORIAL_ANSWERS, **(answers or {})}
        self.version = version
        self._switches = Switches()
        self._failures_left: int | None = None
        self._requests: list[RecordedRequest] = []
        self._changed = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle

    @property
    def url(self) -> str:
        """Base URL for `ChatOllama(base_url=...)`, `ollama.Client(host=...)`, `OLLAMA_HOST`."""
        if self._server is None:
            raise RuntimeError("the stand-in Ollama server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OllamaStandIn:
        """Bind a free port and serve in a background thread."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL},
                name="ollama-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end slow streams and open connections, release the port."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> OllamaStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- switches

    @property
    def switches(self) -> Switches:
        with self._changed:
            return self._switches

    def configure(self, **changes: Any) -> Switches:
        """Change switches by name (see `Switches`); returns the new set."""
        known = {f.name for f in fields(Switches)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown switches: {sorted(unknown)}")
        with self._changed:
            self._switches = replace(self._switches, **changes)
            if "fail_status" in changes or "fail_times" in changes:
                self._failures_left = self._switches.fail_times
            return self._switches

    def reset(self) -> None:
        """Back to a well-behaved server; forget recorded requests."""
        with self._changed:
            self._switches = Switches()
            self._failures_left = None
            self._requests.clear()

    def take_switches(self) -> tuple[Switches, int | None]:
        """Switches for one chat request, and the HTTP status to fail it with (or None)."""
        with self._changed:
            switches = self._switches
            if switches.fail_status is None:
                return switches, None
            if self._failures_left is None:
                return switches, switches.fail_status
            if self._failures_left <= 0:
                return switches, None
            self._failures_left -= 1
            return switches, switches.fail_status

    # -- recorded requests

    def record(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._changed:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """JSON bodies of the `/api/chat` requests, oldest first."""
        return [cast(dict[str, Any], r.body) for r in self.requests if r.path == "/api/chat"]

    def wait_for_requests(self, count: int, timeout: float = 5.0, path: str | None = None) -> bool:
        """Block until `count` requests (to `path`, if given) arrived; False on timeout."""

        def enough() -> bool:
            matching = [r for r in self._requests if path is None or r.path == path]
            return len(matching) >= count

        with self._changed:
            return self._changed.wait_for(enough, timeout=timeout)

    # -- model metadata

    def knows(self, model: str) -> bool:
        """Whether `model` is 'pulled' (a name without tag means `:latest`)."""
        name = model if ":" in model else f"{model}:latest"
        return name in self.models or model in self.models

    def _model_entry(self, model: str) -> dict[str, Any]:
        return {
            "name": model,
            "model": model,
            "modified_at": _MODIFIED_AT,
            "size": _MODEL_SIZE,
            "digest": _MODEL_DIGEST,
            "details": dict(_MODEL_DETAILS),
        }

    def tags(self) -> dict[str, Any]:
        """The `/api/tags` payload."""
        return {"models": [self._model_entry(model) for model in self.models]}

    def running(self) -> dict[str, Any]:
        """The `/api/ps` payload: every model loaded, with a context window."""
        entries = [
            {**self._model_entry(model), "expires_at": "2099-01-01T00:00:00Z"}
            | {"size_vram": 0, "context_length": 4096}
            for model in self.models
        ]
        for entry in entries:
            entry.pop("modified_at")
        return {"models": entries}

    def show(self, model: str) -> dict[str, Any]:
        """The `/api/show` payload."""
        return {
            "license": "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT",
            "modelfile": f'# Modelfile generated by "ollama show"\nFROM {model}\n'
            f'TEMPLATE """{_TEMPLATE}"""\n{_PARAMETERS}\n',
            "parameters": _PARAMETERS,
            "template": _TEMPLATE,
            "details": dict(_MODEL_DETAILS),
            "model_info": dict(_MODEL_INFO),
            "capabilities": ["completion", "tools"],
            "modified_at": _MODIFIED_AT,
        }
