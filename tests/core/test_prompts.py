"""The prompt registry: versions, URIs, formatting, aliases, concurrency, links to traces."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core import tracking
from core.errors import NotFoundError, StoreError
from core.store.store import Store
from tests.conftest import load_expected


@pytest.fixture
def registry_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "mlflow.db"
    core.set_tracking_uri(path)
    yield path
    tracking.reset()


def test_register_twice_and_load_every_way(registry_db: Path) -> None:
    first = core.register_prompt(
        "knowledge_prompt", "This is my prompt", commit_message="Initial prompt"
    )
    second = core.register_prompt(
        "knowledge_prompt", "Updated {{ topic }} prompt", tags={"team": "qa"}
    )
    assert (first.version, second.version) == (1, 2)
    assert first.commit_message == "Initial prompt" and second.commit_message is None
    assert second.tags == {"team": "qa"}
    assert core.load_prompt("prompts:/knowledge_prompt/1").template == "This is my prompt"
    assert core.load_prompt("knowledge_prompt", version=1).version == 1
    assert core.load_prompt("knowledge_prompt").version == 2
    assert core.load_prompt("prompts:/knowledge_prompt@latest").version == 2
    assert core.load_prompt("prompts:/knowledge_prompt").version == 2
    core.set_prompt_alias("knowledge_prompt", "production", 1)
    loaded = core.load_prompt("prompts:/knowledge_prompt@production")
    assert loaded is not None and loaded.version == 1 and loaded.aliases == ("production",)


def test_missing_things_raise_clearly(registry_db: Path) -> None:
    core.register_prompt("p", "x")
    with pytest.raises(NotFoundError, match="no version 9"):
        core.load_prompt("prompts:/p/9")
    with pytest.raises(NotFoundError, match="no alias 'staging'"):
        core.load_prompt("prompts:/p@staging")
    with pytest.raises(NotFoundError, match="does not exist"):
        core.load_prompt("nope")
    assert core.load_prompt("nope", allow_missing=True) is None
    with pytest.raises(ValueError, match="not a prompt URI"):
        core.load_prompt("prompts:/p/x/y")
    with pytest.raises(ValueError, match="cannot be a prompt name"):
        core.register_prompt("has space", "x")
    with pytest.raises(ValueError, match="reserved"):
        core.set_prompt_alias("p", "latest", 1)


def test_format_fills_variables_and_names_the_missing_ones(registry_db: Path) -> None:
    prompt = core.register_prompt(
        "greet", "Hello {{title}} {{ name }}! Keep \\{{ name }} and {{ not a var }}."
    )
    assert prompt.variables == ["title", "name"]
    assert (
        prompt.format(title="Ms", name="Ada")
        == "Hello Ms Ada! Keep {{ name }} and {{ not a var }}."
    )
    with pytest.raises(core.MissingVariablesError, match="needs a value for: name, title") as error:
        prompt.format()
    assert error.value.missing == ["name", "title"]
    assert prompt.format(allow_partial=True, title="Dr") == (
        "Hello Dr {{ name }}! Keep {{ name }} and {{ not a var }}."
    )


def test_chat_prompts_round_trip(registry_db: Path) -> None:
    template = [
        {"role": "system", "content": "You are a {{ style }} assistant."},
        {"role": "user", "content": "{{question}}"},
    ]
    prompt = core.register_prompt("chat", template, commit_message="chat v1")
    loaded = core.load_prompt("prompts:/chat/1")
    assert loaded is not None and loaded.template == template and loaded.prompt_type == "chat"
    assert prompt.format(style="terse", question="Why?") == [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Why?"},
    ]
    with pytest.raises(TypeError, match="list of"):
        core.register_prompt("bad", [{"role": "user"}])  # type: ignore[list-item]


def test_aliases_move_and_delete(registry_db: Path) -> None:
    for text in ("a", "b", "c"):
        core.register_prompt("qa", text)
    core.set_prompt_alias("qa", "production", 1)
    core.set_prompt_alias("qa", "production", 3)
    core.set_prompt_alias("qa", "staging", 2)
    (summary,) = core.search_prompts()
    assert summary.aliases == {"production": 3, "staging": 2}
    assert summary.latest_version == 3
    core.delete_prompt_alias("qa", "staging")
    assert core.search_prompts("name LIKE '%q%'")[0].aliases == {"production": 3}
    assert core.search_prompts("zzz") == []
    with pytest.raises(NotFoundError):
        core.set_prompt_alias("qa", "production", 7)


def test_prompts_and_models_do_not_mix(db318: Path) -> None:
    core.set_tracking_uri(db318)
    try:
        assert [p.name for p in core.search_prompts()] == ["knowledge_prompt"]
        with pytest.raises(StoreError, match="registered model, not a prompt"):
            core.register_prompt("agent", "x")
        with pytest.raises(NotFoundError):
            core.load_prompt("agent")
    finally:
        tracking.reset()


def test_reads_prompts_mlflow_registered(fixture_db: Path) -> None:
    expected = load_expected(fixture_db)["prompts"]
    with Store.open(fixture_db) as store:
        for prompt in expected:
            versions = store.prompt_registry.prompt_versions(prompt["name"])
            assert [v.version for v in versions] == [v["version"] for v in prompt["versions"]]
            for ours, theirs in zip(versions, prompt["versions"], strict=True):
                assert ours.template == theirs["template"]
                assert ours.commit_message == theirs["commit_message"]
                assert list(ours.aliases) == theirs["aliases"]


def test_versions_are_never_rewritten(registry_db: Path) -> None:
    core.register_prompt("p", "one")
    core.register_prompt("p", "two")
    with sqlite3.connect(registry_db) as connection:
        rows = connection.execute(
            "SELECT version, value FROM model_version_tags"
            " WHERE key = 'mlflow.prompt.text' ORDER BY version"
        ).fetchall()
    assert rows == [(1, "one"), (2, "two")]


REGISTER_MANY = """
import sys, core
core.set_tracking_uri(sys.argv[1])
for i in range(int(sys.argv[3])):
    core.register_prompt("shared", f"{sys.argv[2]} #{i}")
"""


def test_two_processes_get_distinct_gapless_versions(registry_db: Path) -> None:
    core.register_prompt("shared", "seed")
    per_process = 15
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", REGISTER_MANY, str(registry_db), name, str(per_process)]
        )
        for name in ("alpha", "beta")
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    with Store.open(registry_db) as store:
        versions = store.prompt_registry.prompt_versions("shared")
    assert [v.version for v in versions] == list(range(1, 2 * per_process + 2))
    texts = [v.template for v in versions[1:]]
    for name in ("alpha", "beta"):
        assert [t for t in texts if isinstance(t, str) and t.startswith(name)] == [
            f"{name} #{i}" for i in range(per_process)
        ]


def test_loading_inside_a_span_links_the_trace(registry_db: Path) -> None:
    core.register_prompt("qa_system", "Answer {{q}}")
    with core.start_span("answer"):
        core.load_prompt("prompts:/qa_system/1")
    core.flush_trace_async_logging()
    trace_id = core.search_traces()["trace_id"][0]
    trace = core.get_trace(trace_id)
    assert trace is not None
    assert json.loads(trace.info.tags["mlflow.linkedPrompts"]) == [
        {"name": "qa_system", "version": "1"}
    ]
    assert trace.data.spans[0].attributes["mlflow.linkedPrompts"] == [
        {"name": "qa_system", "version": "1"}
    ]
    with sqlite3.connect(registry_db) as connection:
        links = connection.execute(
            "SELECT source_id, destination_type, destination_id FROM entity_associations"
        ).fetchall()
    assert links == [(trace_id, "prompt_version", "qa_system/1")]


def test_registering_records_the_experiment(registry_db: Path) -> None:
    core.set_experiment("prompts-lab")
    core.register_prompt("p", "x")
    with sqlite3.connect(registry_db) as connection:
        value = connection.execute(
            "SELECT value FROM registered_model_tags WHERE key='_mlflow_experiment_ids'"
        ).fetchone()[0]
    assert value == ",1,"
