"""A guard against PySide6 6.12.0's reference-count bug in signal emission.

In PySide6 6.12.0, `SignalInstance.emit()` (and `disconnect()`) return `True`/`False` without
a new reference, so every emit from Python takes one reference from the `True` singleton.
On CPython 3.11 (3.12 made the singletons immortal) the count reaches zero after enough emits,
or at exit, and the interpreter aborts with "bool_dealloc: deallocating True or False".
PySide6 6.11.3 does not have the bug. Where a probe shows it, `True` and `False` get a reserve
of references no process can use up, which is what 3.12's immortal objects do.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_PROBE_EMITS = 16
_RESERVE = 1 << 40


class _Probe(QObject):
    fired = Signal()


def emit_steals_true() -> bool:
    """True when emitting a signal from Python lowers the reference count of `True`."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.fired.emit()
    return before - sys.getrefcount(True) >= _PROBE_EMITS // 2


def protect_bool_singletons() -> bool:
    """Apply the guard if this PySide6 needs it; return whether it was applied."""
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return False  # immortal singletons, or a debug build whose object layout differs
    if not emit_steals_true():
        return False
    for singleton in (True, False):
        # ob_refcnt is the first field of every object in a release build of CPython 3.11.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
    return True


BOOL_GUARD_APPLIED = protect_bool_singletons()
