"""The Qt-free parts of the Evaluations page: cells, diffs, grid selection, prompts, scorer
files, the Ollama helpers and the rerun's bookkeeping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import ollama
from app.evaluations import rerun
from app.evaluations.cell_text import (
    ERROR,
    FAIL,
    NONE,
    NUMBER,
    PASS,
    TEXT,
    Cell,
    canonical_json,
    score_cell,
    unquoted,
    value_cell,
)
from app.evaluations.diff import DELETE, EQUAL, INSERT, Segment, segments_html, word_diff
from app.evaluations.predictor import OllamaPredictor, PredictionError, prompt_messages
from app.evaluations.rows import GridColumns, GridQuery, GridRow, Show, select
from app.evaluations.scorer_files import CodeFile, ScorerFileError, load_scorers, read_code
from core.entities.evaluation import Score
from core.entities.prompt import PromptVersion
from tests.ollama_server import OllamaStandIn


def score(value: Any, error: dict[str, Any] | None = None, rationale: str | None = None) -> Score:
    return Score("s", value, "a-1", "CODE", "s", rationale=rationale, error=error)


def test_score_cells() -> None:
    assert score_cell("s", score(True)) == Cell(PASS, "Pass", "s: true\nSource: CODE · s", 1.0)
    assert score_cell("s", score("No")).kind == FAIL and score_cell("s", score("No")).text == "No"
    assert score_cell("s", score(0.25)).text == "0.25" and score_cell("s", score(3)).kind == NUMBER
    assert score_cell("s", score("fine")).kind == TEXT
    failed = score_cell("s", score(None, {"error_code": "X", "error_message": "boom"}))
    assert (failed.kind, failed.text) == (ERROR, "boom") and "Error (X): boom" in failed.tooltip
    assert score_cell("s", None).kind == NONE
    assert "Rationale: because" in score_cell("s", score(False, rationale="because")).tooltip
    assert value_cell({"b": 1}).text == '{"b": 1}'
    cells = [Cell(ERROR, "e"), Cell(NONE, "—"), Cell(TEXT, "b"), Cell(PASS, "Pass", number=1.0)]
    assert sorted(cells, key=lambda c: c.sort_key)[0].kind == PASS


def test_previews_and_join_keys() -> None:
    assert unquoted('"Unicorn"') == "Unicorn" and unquoted('{"a": 1}') == '{"a": 1}'
    assert unquoted('"not json') == '"not json'
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1})


def test_word_diff_marks_words_and_escapes() -> None:
    left, right = word_diff("the <b>cat</b> sat", "the <b>dog</b> sat down")
    assert Segment(DELETE, "cat") in left and Segment(INSERT, "dog") in right
    assert right[-1] == Segment(INSERT, " down")
    html = segments_html(right)
    assert "&lt;b&gt;" in html and "<b>" not in html
    same, _ = word_diff("same text", "same  text")
    assert all(s.kind == EQUAL for s in same)  # spacing alone is not a change
    long_left, _ = word_diff("x" * 50, "y", limit=10)
    assert "more characters not compared" in long_left[0].text


def _row(
    number: int, scores: tuple[Cell, ...], text: str = "", error: str | None = None
) -> GridRow:
    return GridRow(
        f"tr-{number}",
        number,
        text,
        text,
        "out",
        "out",
        error,
        (),
        scores,
        text.casefold(),
    )


def test_select_filters_and_orders() -> None:
    ok, bad = Cell(PASS, "Pass", number=1.0), Cell(FAIL, "Fail", number=0.0)
    broken = Cell(ERROR, "boom")
    rows = [
        _row(1, (ok, bad), "alpha"),
        _row(2, (ok, ok), "beta"),
        _row(3, (broken, ok), "gamma"),
        _row(4, (ok, ok), "delta", error="down"),
    ]
    columns = GridColumns((), ("first", "second"))

    def numbers(query: GridQuery) -> list[int]:
        return [row.number for row in select(rows, query, columns)]

    assert numbers(GridQuery(show=Show.FAILING)) == [1]
    assert numbers(GridQuery(show=Show.FAILING, scorer=0)) == []
    assert numbers(GridQuery(show=Show.PASSING)) == [2]
    assert numbers(GridQuery(show=Show.ERRORS)) == [3, 4]
    assert numbers(GridQuery(show=Show.ERRORS, scorer=0)) == [3]
    assert numbers(GridQuery(text="ALPHA")) == [1]
    assert numbers(GridQuery(sort_column=4)) == [1, 2, 3, 4]  # second scorer: fail first
    assert numbers(GridQuery(sort_column=3, descending=True)) == [3, 4, 2, 1]
    assert GridQuery().natural and not GridQuery(text=" x").natural


def test_prompts_become_messages() -> None:
    text = PromptVersion("qa", 1, "Answer: {{ question }}")
    assert prompt_messages(text, {"question": "Why?"}) == [
        {"role": "user", "content": "Answer: Why?"}
    ]
    chat_inputs = {"messages": [{"role": "user", "content": "Who?"}]}
    assert prompt_messages(text, chat_inputs)[0]["content"] == "Answer: Who?"
    assert prompt_messages(text, {"q": "only one"})[0]["content"] == "Answer: only one"
    chat = PromptVersion(
        "c",
        2,
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "{{ question }} ({{ style }})"},
        ],
    )
    assert prompt_messages(chat, {"question": "Why?", "style": "terse"}) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Why? (terse)"},
    ]
    with pytest.raises(KeyError, match="style"):
        prompt_messages(chat, {"question": "Why?", "other": "x"})


def test_predictor_retries_a_failing_server(ollama_server: OllamaStandIn) -> None:
    prompt = PromptVersion("qa", 1, "{{ question }}")
    predict = OllamaPredictor(ollama_server.url, "llama3.2:1b", prompt, retry_delays=(0.01,))
    ollama_server.configure(fail_status=500, fail_times=1)
    assert predict.ask([{"role": "user", "content": "Who wrote Romeo and Juliet?"}]) == (
        "William Shakespeare"
    )
    ollama_server.configure(fail_status=404, fail_times=None, fail_message="model not found")
    with pytest.raises(PredictionError, match="HTTP 404") as raised:
        predict.ask([{"role": "user", "content": "Hi"}])
    assert "after" not in str(raised.value)  # a 404 is not retried
    assert len(ollama_server.chat_requests) == 3


def test_model_list(ollama_server: OllamaStandIn) -> None:
    assert ollama.list_models(ollama_server.url + "/ ") == ["llama3.2:1b"]
    with pytest.raises(ollama.OllamaUnavailable, match="not an Ollama URL"):
        ollama.list_models("localhost:11434")
    with OllamaStandIn() as gone:
        url = gone.url
    with pytest.raises(ollama.OllamaUnavailable, match="cannot reach the Ollama server"):
        ollama.list_models(url)


def test_scorer_files(tmp_path: Path) -> None:
    path = tmp_path / "s.py"
    path.write_text(
        "import core\nfrom core.scorers import exact_match, MaxLength\n"
        "short = MaxLength(5, name='short')\n"
        "@core.scorer\ndef polite(outputs):\n    return 'please' in outputs\n",
        "utf-8",
    )
    found = {s.name: s for s in load_scorers(read_code(path))}
    assert sorted(found) == ["polite", "short"]  # core's own exact_match is left out
    assert found["polite"].run(outputs="please") is True
    with pytest.raises(ScorerFileError, match="defines no scorer"):
        load_scorers(CodeFile(path, "x = 1\n"))
    with pytest.raises(ScorerFileError, match="failed while loading: ZeroDivisionError"):
        load_scorers(CodeFile(path, "1 / 0\n"))
    with pytest.raises(ScorerFileError, match="failed while loading: SystemExit"):
        load_scorers(CodeFile(path, "import sys\nsys.exit('bye')\n"))
    with pytest.raises(ScorerFileError, match="cannot be read"):
        read_code(tmp_path / "missing.py")


def test_progress_text_and_time_left() -> None:
    assert rerun.progress_text(0, 40, 0, 0.0) == "0 of 40 rows"
    assert rerun.progress_text(10, 40, 1, 5.0) == "10 of 40 rows · 1 error · about 15 s left"
    assert rerun.progress_text(20, 200, 2, 60.0).endswith("2 errors · about 9 min 00 s left")
    assert rerun.time_left(0, 10, 3.0) is None and rerun.time_left(10, 10, 3.0) == 0.0
    progress = rerun.RerunProgress(3, 9, 1, 2.0)
    assert (progress.done, progress.total, progress.errors) == (3, 9, 1)
    assert progress.text == "3 of 9 rows · 1 error · about 4 s left"
