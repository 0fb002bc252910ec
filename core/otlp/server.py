"""`OtlpReceiver`: a local OTLP/HTTP endpoint (`POST /v1/traces`) that stores what it receives.

Bodies are protobuf or JSON, plain, gzip or deflate. Request threads only read and decode;
one writer thread stores every request's spans in its own transaction, in arrival order, so
SQLite never sees two writers from here, and a request is answered 200 only once its spans
are committed (an exporter that gets an error sends again). Bad input never stops the
receiver: a malformed body gets 400 with the reason, a wrong content type 415, a body over
`max_body_bytes` 413, a store that stays locked 503 (exporters retry that).

It listens on 127.0.0.1 unless told otherwise: any other address needs `allow_remote=True`,
since whoever can reach the port can write traces into the store.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import queue
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.errors import NotFoundError, StoreError, StoreLockedError, TraceDeskError
from core.otlp.decode import JSON, BadBody, OtlpSpan, read_body
from core.otlp.ingest import Stored, TraceElsewhereError, store_spans
from core.store.otlp_spans import require_spans_table
from core.store.store import Store

log = logging.getLogger(__name__)

TRACES_PATH = "/v1/traces"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4318
#: The largest body accepted (compressed or not, and once decompressed).
MAX_BODY_BYTES = 64 << 20
EXPERIMENT_HEADER = "x-mlflow-experiment-id"


class ReceiverStopped(StoreError):
    """Spans arrived while the receiver was stopping (the exporter sends them again)."""


class RemoteBindRefused(TraceDeskError, ValueError):
    """A receiver asked to listen on an address other machines can reach, without consent."""


def check_host(host: str, allow_remote: bool) -> None:
    """Refuse a non-loopback `host` unless `allow_remote`."""
    if allow_remote:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise RemoteBindRefused(
            f"Refusing to listen on {host}: other machines could write traces into the store. "
            "Listen on 127.0.0.1 (the default), or pass --allow-remote if that is intended."
        )


class OtlpReceiver:
    """Receives OTLP traces on `host:port` into experiment `experiment_id` of `store`.

    `on_stored(stored)` is called from the writer thread after each committed batch. Port 0
    picks a free port (`address` tells which).
    """

    def __init__(
        self,
        store: Store,
        experiment_id: str,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        allow_remote: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        on_stored: Callable[[Stored], None] | None = None,
    ) -> None:
        check_host(host, allow_remote)
        require_spans_table(store.layout)  # said now, not at the first request
        self.store = store
        self.experiment_id = experiment_id
        self.max_body_bytes = max_body_bytes
        self.on_stored = on_stored
        self._lock = threading.Lock()
        self._spans = 0
        self._traces: set[str] = set()
        self._closed = False
        self._requests: queue.Queue[tuple[list[OtlpSpan], str, Future[Stored]] | None] = (
            queue.Queue()
        )
        self._server = _Server((host, port), _Handler)
        self._server.receiver = self
        self._serving: threading.Thread | None = None
        self._writing: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}{TRACES_PATH}"

    def counts(self) -> tuple[int, int]:
        """(spans stored, distinct traces they belong to) since the start."""
        with self._lock:
            return self._spans, len(self._traces)

    def start(self) -> OtlpReceiver:
        self._writing = threading.Thread(target=self._write_loop, name="otlp-writer", daemon=True)
        self._writing.start()
        self._serving = threading.Thread(
            target=self._server.serve_forever, name="otlp-receiver", daemon=True
        )
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop accepting connections, write what was received, answer it, close the port
        and the connections exporters keep open."""
        if self._serving is not None:
            self._server.shutdown()
            self._serving.join()
            self._serving = None
        with self._lock:
            self._closed = True
        if self._writing is not None:
            self._requests.put(None)  # after everything queued before it
            self._writing.join()
            self._writing = None
        self._server.close_connections()
        self._server.server_close()

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- the writer thread ----------------------------------------------------------------

    def submit(self, spans: list[OtlpSpan], experiment_id: str) -> Future[Stored]:
        """Queue spans for the writer thread; `ReceiverStopped` once `stop()` began."""
        future: Future[Stored] = Future()
        with self._lock:
            if self._closed:
                raise ReceiverStopped("The receiver is stopping: send again later.")
            self._requests.put((spans, experiment_id, future))
        return future

    def _write_loop(self) -> None:
        while True:
            item = self._requests.get()
            if item is None:
                return
            spans, experiment_id, future = item
            try:
                stored = store_spans(self.store, experiment_id, spans)
            except Exception as error:  # answered to the client; the loop goes on
                future.set_exception(error)
                continue
            with self._lock:
                self._spans += stored.spans
                self._traces.update(stored.traces)
            future.set_result(stored)
            if self.on_stored is not None:
                try:
                    self.on_stored(stored)
                except Exception:
                    log.exception("The OTLP receiver's on_stored callback failed")


class _Refused(Exception):
    """A request answered with an error status and its reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _store_status(error: Exception) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, TraceElsewhereError):
        return 400
    if isinstance(error, StoreLockedError | ReceiverStopped):
        return 503  # exporters retry it
    return 500


class _Server(ThreadingHTTPServer):
    """Tracks its open connections so that stopping can end idle keep-alive ones."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # many exporters connecting at once are queued, not refused
    receiver: OtlpReceiver

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection (their threads then see the end of the stream)."""
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "TraceDesk-OTLP"

    def do_POST(self) -> None:
        as_json = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() == JSON
        try:
            self._receive()
        except _Refused as refusal:
            self._answer(refusal.status, str(refusal), as_json)
            return
        if as_json:
            self._send(200, b"{}", JSON)
        else:  # an empty ExportTraceServiceResponse
            self._send(200, b"", "application/x-protobuf")

    def _receive(self) -> None:
        """Read, decode and store one request; `_Refused` says why not."""
        receiver = self.server.receiver
        if self.path.split("?")[0] != TRACES_PATH:
            self._drain()
            raise _Refused(404, f"Not found: send traces to {TRACES_PATH}.")
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise _Refused(411, "A Content-Length header is required.")
        if int(length) > receiver.max_body_bytes:
            self.close_connection = True
            raise _Refused(413, f"The body is larger than {receiver.max_body_bytes} bytes.")
        body = self.rfile.read(int(length))
        try:
            spans = read_body(
                body,
                self.headers.get("Content-Type"),
                self.headers.get("Content-Encoding"),
                limit=receiver.max_body_bytes,
            )
        except BadBody as error:
            raise _Refused(error.status, str(error)) from error
        except Exception as error:  # a decoder bug must not take the receiver down
            log.exception("Could not decode an OTLP body")
            raise _Refused(400, f"The body could not be read ({type(error).__name__}).") from error
        if not spans:
            return
        experiment_id = self.headers.get(EXPERIMENT_HEADER) or receiver.experiment_id
        if not experiment_id.isdigit():
            raise _Refused(400, f"{EXPERIMENT_HEADER} {experiment_id[:40]!r} is not an id.")
        try:
            receiver.submit(spans, experiment_id).result()
        except Exception as error:
            if not isinstance(error, StoreError):
                log.exception("Could not store received spans")
            raise _Refused(_store_status(error), f"The spans were not stored: {error}") from error

    def do_GET(self) -> None:
        self._answer(405, f"Send traces with POST {TRACES_PATH}.", False)

    def _drain(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= self.server.receiver.max_body_bytes:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    def _answer(self, status: int, reason: str, as_json: bool) -> None:
        """An error with its reason: a `google.rpc.Status` as JSON, else plain text."""
        if as_json:
            body = json.dumps({"code": 3 if status < 500 else 14, "message": reason}).encode()
            self._send(status, body, JSON)
        else:
            self._send(status, reason.encode(), "text/plain; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("OTLP %s: " + format, self.address_string(), *args)
