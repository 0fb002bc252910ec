"""Browsing prompts in the window: list, search, history, template, diff, older layouts."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.prompts import try_call
from app.prompts.page import PromptsPage
from core.store.store import Store
from tests.app.helpers import WAIT_MS
from tests.app.prompts.conftest import OpenPrompts, Registry, select_prompt, select_version
from tests.conftest import load_expected


def listed(page: PromptsPage) -> list[str]:
    model = page.list_panel.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_the_tutorial_prompt_and_its_history(db318: Path, open_prompts: OpenPrompts) -> None:
    page = open_prompts(db318)
    (expected,) = load_expected(db318)["prompts"]
    assert listed(page) == [expected["name"]]
    assert page.list_panel.count.text() == "1 prompt"
    history = page.versions.history
    assert [v.version for v in history.versions()] == [2, 1]  # newest first
    assert history.index(1, 2).data() == "Initial prompt"
    assert history.index(0, 2).data() == "(no commit message)"
    current = page.versions.current_version()
    assert current is not None and current.template == expected["versions"][1]["template"]
    assert "Updated version of the prompt" in page.template_view.toPlainText()
    assert page.versions.facts.text().startswith("Latest v2 · 2 versions · text template")


def test_search_filters_in_sql_after_a_pause(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    assert listed(page) == ["chat_helper", "qa", "summary", "unsafe"]
    assert page.versions.name.text() == "chat_helper"  # the first is shown
    model = page.list_panel.model
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        qtbot.keyClicks(page.list_panel.search, "s")
    assert listed(page) == ["summary", "unsafe"]
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        qtbot.keyClicks(page.list_panel.search, "um")
    assert listed(page) == ["summary"]
    with qtbot.waitSignal(model.loaded, timeout=WAIT_MS):
        page.list_panel.search.setText("%_")  # LIKE wildcards are literal text
        page.list_panel.run_search()
    assert listed(page) == []
    assert "No prompt name contains" in page.list_panel.count.text()


def test_history_with_aliases_and_chat_templates(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    history = page.versions.history
    assert [history.index(r, 0).data() for r in range(3)] == ["v3", "v2", "v1"]
    assert history.index(1, 3).data() == "production"
    chips = page.versions._chips_widget.findChildren(type(page.versions.name))
    assert [c.text() for c in chips] == ["production → v2"]
    model = page.list_panel.model
    assert model.index(model.row_of("qa") or 0, 2).data() == "production → v2"
    select_prompt(qtbot, page, "chat_helper")
    text = page.template_view.toPlainText()
    assert "System" in text and "You are {{ persona }}" in text and "User" in text
    assert page.versions.facts.text().startswith("Latest v1 · 1 version · chat template")


def test_untrusted_text_is_never_markup(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "unsafe")
    html = page.template_view.toHtml()
    assert "<script" not in html.lower()
    assert "<script>alert('x')</script> & <b>bold</b>" in page.template_view.toPlainText()
    assert page.versions.history.index(0, 2).data() == "<i>untrusted</i>"
    assert page.template_view.blocked_resources == []


def test_diff_of_any_two_versions(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    diff = page.diff
    assert (diff.old.currentData(), diff.new.currentData()) == (2, 3)  # the one before
    assert "Answer briefly: {{ question }}" in diff.view.toPlainText()
    diff.old.setCurrentIndex(diff.old.findData(1))
    assert (diff.stats.removed, diff.stats.added) == (0, 3)  # "in", "tone", "words"
    assert "Version 1" in diff.view.toPlainText() and "Version 3" in diff.view.toPlainText()
    select_version(page, 1)
    assert (diff.old.currentData(), diff.new.currentData()) == (2, 1)  # the next one
    page.compare()
    assert page.tabs.currentWidget() is diff
    assert diff.view.copy_all is not None and diff.view.copy_all().startswith("--- v2")


def test_an_older_layout_shows_a_message_instead_of_an_editor(
    db31: Path, open_prompts: OpenPrompts, page_window: tuple[MainWindow, PromptsPage]
) -> None:
    page = open_prompts(db31, writable=True)  # asks for writing, stays read-only
    assert listed(page) == ["knowledge_prompt"]
    assert "writes prompts only into MLflow 3.18" in page.versions.bar.text
    page.edit()
    assert not page.session.active and not page.view.is_editing_shown
    assert "not edit" in page.versions.bar.text
    page.move_alias()
    assert page.versions.bar.button("Enable Editing") is None


def test_the_222_layout_lists_its_prompt_too(db222: Path, open_prompts: OpenPrompts) -> None:
    page = open_prompts(db222)
    assert listed(page) == ["knowledge_prompt"]
    assert [v.version for v in page.versions.history.versions()] == [2, 1]
    assert "MLflow" in page.versions.bar.text


def test_refresh_reads_versions_other_programs_wrote(
    qtbot: QtBot, registry_db: Registry, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(registry_db.path)
    select_prompt(qtbot, page, "qa")
    select_version(page, 2)
    with Store.open(registry_db.path, read_only=False) as store:
        store.prompt_registry.register_version("qa", "Answer {{ question }} from elsewhere")
    with qtbot.waitSignal(page.versions.history.loaded, timeout=WAIT_MS):
        page.refresh()
    assert [v.version for v in page.versions.history.versions()] == [4, 3, 2, 1]
    current = page.versions.current_version()
    assert current is not None and current.version == 2  # the selection stays
    qtbot.waitUntil(lambda: page.list_panel.model.index(1, 1).data() == "v4", timeout=WAIT_MS)


def test_an_older_layout_says_why_a_try_is_not_traced(
    db31: Path, open_prompts: OpenPrompts
) -> None:
    page = open_prompts(db31)
    assert page.try_it._untraced_note == try_call.NOT_SAVED_LAYOUT
