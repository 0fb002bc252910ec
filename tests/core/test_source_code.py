"""`core.source_code`: sources read from many threads at once come back whole and right."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor

from core import tracking_client
from core.evaluation.judges import answers
from core.source_code import parse, source_of


def test_sources_read_from_many_threads_are_whole() -> None:
    targets = [answers.Correctness, answers.Guidelines, tracking_client.TrackingClient, parse]
    expected = {t: inspect.getsource(t) for t in targets}
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(source_of, targets * 25))
    assert found == [expected[t] for t in targets * 25]


def test_no_source_is_none_and_a_syntax_error_is_raised() -> None:
    assert source_of(len) is None  # a builtin
    try:
        parse("def (:\n", "broken.py")
    except SyntaxError as error:
        assert error.filename == "broken.py"
    else:
        raise AssertionError("a syntax error was not raised")
