"""TraceDesk: the PySide6 desktop application over `core`."""

# First of all: the guard against PySide6 6.12.0's reference-count bug (see app/qtcompat.py).
from app.qtcompat import BOOL_GUARD_APPLIED

__all__ = ["BOOL_GUARD_APPLIED"]
