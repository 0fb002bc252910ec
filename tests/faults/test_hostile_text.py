"""Hostile text in the data: escape sequences never reach the terminal, overrides stay inside.

A traced program writes whatever names and inputs it likes. Printed raw, `ESC ] 0 ;` retitles
the user's terminal, `ESC [ 2 J` clears it and `ESC [ 31 m` turns it red; in a window, a
right-to-left override reorders the words after it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

import core
from app.formatting import one_line
from app.spans.value_view import ValueView
from core import tracking
from core.cli import main
from core.safe_text import BIDI_CONTROLS, for_terminal, isolated

ROOT = Path(__file__).resolve().parents[2]
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"
OVERRIDE = "\u202e"
NAME = f"{ESCAPES}agent{OVERRIDE}txt.exe"
QUESTION = f"What is {ESCAPES}{OVERRIDE}MLflow?\x9b1m"


@pytest.fixture
def hostile_db(tmp_path: Path) -> Iterator[Path]:
    """A database with one trace whose name, span name and inputs carry escapes and overrides."""
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(f"sqlite:///{path}")
    with core.start_span(name=NAME) as span:
        span.set_inputs({"question": QUESTION})
        span.set_outputs({"answer": f"{OVERRIDE}olleh"})
    core.flush_trace_async_logging()
    tracking.reset()
    yield path


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def assert_inert(text: str) -> None:
    """Nothing a terminal acts on: no C0/C1 control but newlines, no bidi control."""
    acting = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert acting == [] and not BIDI_CONTROLS.intersection(text), repr(text)


def test_trace_table_escapes_control_characters(hostile_db: Path) -> None:
    status, text = cli("traces", str(hostile_db))
    assert status == 0
    assert_inert(text)
    assert "\\x1b]0;pwned\\x07" in text and "agent\\u202etxt.exe" in text


def test_span_tree_escapes_names(hostile_db: Path) -> None:
    trace_id = json.loads(cli("traces", str(hostile_db), "--json")[1])["trace_id"]
    status, text = cli("trace", str(hostile_db), trace_id, "--spans")
    assert status == 0
    assert_inert(text)
    assert text.startswith("\\x1b]0;pwned")


def test_json_output_stays_exact_and_inert(hostile_db: Path) -> None:
    """`--json` is for scripts: the value round-trips exactly, and JSON escapes the controls."""
    status, text = cli("traces", str(hostile_db), "--json")
    assert status == 0
    assert "\x1b" not in text
    assert json.loads(text)["name"] == NAME


def test_error_messages_escape_what_they_quote(hostile_db: Path) -> None:
    """A trace id or filter typed (or pasted) with escapes comes back escaped on stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "core", "trace", str(hostile_db), f"tr-{ESCAPES}"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("tracedesk-cli: ")
    assert_inert(result.stderr)
    assert "\\x1b]0;pwned" in result.stderr


def test_for_terminal_leaves_ordinary_text_alone() -> None:
    assert for_terminal("naïve résumé — 日本語 🙂") == "naïve résumé — 日本語 🙂"
    assert for_terminal("a\tb\nc\x7f") == "a\\x09b\\x0ac\\x7f"
    assert for_terminal("x\u2028y\u200fz") == "x\\u2028y\\u200fz"


def test_isolated_closes_what_the_text_opens() -> None:
    assert isolated("plain שלום text") == "plain שלום text"  # no control: unchanged
    assert isolated(f"a{OVERRIDE}b") == f"\u2068a{OVERRIDE}b\u2069"
    # a stray POP DIRECTIONAL ISOLATE inside would close the wrapper and let the override out
    assert isolated(f"\u2069{OVERRIDE}b") == f"\u2068{OVERRIDE}b\u2069"


def test_window_cells_keep_an_override_inside(qtbot: QtBot) -> None:
    """A label that shows a name among its own words keeps those words in order on screen:
    drawn, it is exactly the label with the name's own letters reversed and nothing else."""
    cell = one_line(NAME)
    assert cell.startswith("\u2068") and cell.endswith("\u2069")

    def drawn(text: str) -> QImage:
        label = QLabel(text)
        qtbot.addWidget(label)
        label.resize(400, 30)
        return label.grab().toImage()

    looks_like = drawn("name-exe.txt and after")
    assert drawn(f"name-{isolated(OVERRIDE + 'txt.exe')} and after") == looks_like
    assert drawn(f"name-{OVERRIDE}txt.exe and after") != looks_like  # what isolating prevents


def test_json_view_shows_an_override_as_its_escape(qtbot: QtBot) -> None:
    """In a span's inputs, the override shows as `\\u202e` and the closing quote stays put."""
    view = ValueView("No inputs")
    qtbot.addWidget(view)
    view.set_value(json.dumps({"question": QUESTION}, ensure_ascii=False), "json")
    view.ensure_rendered()
    shown = view.browser.toPlainText()
    assert "\\u202eMLflow?" in shown and OVERRIDE not in shown
    assert json.loads(shown)["question"] == QUESTION  # the same value, written visibly
