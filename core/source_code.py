"""Reading Python source while other threads do the same: one `inspect.getsource` at a time.

CPython 3.11.7's parser can fail with "AST constructor recursion depth mismatch" when several
threads build ASTs at once (`inspect.getsource` of a class parses its whole file), which an
evaluation's rows, or reruns side by side, do. The lock costs nothing measurable: sources are
read once per scorer and evaluation.
"""

from __future__ import annotations

import ast
import inspect
import threading
from typing import Any

_parsing = threading.Lock()


def source_of(target: Any) -> str | None:
    """The source text of a function, method or class; None when there is none to read (a
    builtin, code typed into a REPL)."""
    with _parsing:
        try:
            return inspect.getsource(target)
        except (OSError, TypeError):
            return None


def parse(source: str, filename: str) -> ast.Module:
    """`ast.parse`, one thread at a time (see above); raises SyntaxError as it does."""
    with _parsing:
        return ast.parse(source, filename=filename)
