"""`autolog()`: put the tracer into every LangChain run through a configure hook."""

from __future__ import annotations

import contextvars
import threading
from typing import Any, cast

from langchain_core.tracers.context import register_configure_hook

from core.langchain.handler import CoreLangchainTracer

# --------------------------------------------------------------------------- autolog


class _HandlerSwitch:
    """What LangChain's configure hook reads: our handler while autolog is on, else None.

    LangChain only calls `.get()` on the registered "context variable"; a plain object answers
    the same in every thread, where a real ContextVar set here would be unset in new threads.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.registered = False
        self.handler: CoreLangchainTracer | None = None

    def get(self, default: Any = None) -> CoreLangchainTracer | None:
        return self.handler


_switch = _HandlerSwitch()


def autolog(disable: bool = False) -> None:
    """Trace every LangChain run from now on (idempotent); `disable=True` stops it."""
    with _switch.lock:
        if not _switch.registered:
            hook = cast("contextvars.ContextVar[Any | None]", _switch)
            # handle_class: a run that already carries one of our handlers gets no second one
            register_configure_hook(hook, inheritable=True, handle_class=CoreLangchainTracer)
            _switch.registered = True
        if disable:
            _switch.handler = None
        elif _switch.handler is None:
            _switch.handler = CoreLangchainTracer()
