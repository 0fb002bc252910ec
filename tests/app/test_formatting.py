"""Cell and tooltip text, and the guard against PySide6 6.12.0's emit refcount bug."""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from PySide6.QtCore import QObject, Signal

from app import formatting as fmt


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "—"),
        (0, "0 ms"),
        (999, "999 ms"),
        (1_234, "1.23 s"),
        (12_345, "12.3 s"),
        (185_000, "3 min 05 s"),
        (3_725_000, "1 h 02 min"),
    ],
)
def test_duration(ms: int | None, text: str) -> None:
    assert fmt.duration(ms) == text


def test_local_time_is_local_and_readable() -> None:
    ms = 1_795_677_585_718
    expected = dt.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")
    assert fmt.local_time(ms) == expected
    assert fmt.local_time_detail(ms).startswith(expected + ".718")


def test_one_line_and_counts() -> None:
    assert fmt.one_line("a\n\tb   c") == "a b c"
    assert fmt.one_line(None) == ""
    cut = fmt.one_line("x" * 500)
    assert len(cut) == fmt.PREVIEW_CHARS and cut.endswith("…")
    assert fmt.count(None) == "" and fmt.count(1234567) == "1,234,567"


def test_tooltips_escape_untrusted_text() -> None:
    tip = fmt.rich_tooltip("<img src=x onerror=alert(1)> & <b>")
    assert "<img" not in tip and "&lt;img" in tip and "&amp;" in tip
    assert fmt.rich_tooltip("") == ""
    assert len(fmt.rich_tooltip("y" * 5000)) < fmt.TOOLTIP_CHARS + 100


class _Emitter(QObject):
    fired = Signal(object)


def test_many_emits_cannot_free_true() -> None:
    """PySide6 6.12.0 takes a reference from `True` per emit (pyproject.toml pins below it):
    this many emits would then abort the interpreter ("deallocating True or False")."""
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(100_000):
        emitter.fired.emit(True)
    assert sys.getrefcount(True) > 1_000
    if sys.version_info < (3, 12):  # 3.12 made True immortal: its count says nothing there
        assert before - sys.getrefcount(True) < 100  # emits take no reference from True
