"""The Prompts page: the prompt registry of the open database — list, history, editor, diff.

page.py (PromptsPage, the mode tab) and view.py (its widgets) use: list_panel.py and models.py
(the prompt list, the version history), detail.py (header; alias chips are `app.chips`),
editor.py and chat_editor.py (text and chat templates), edit_session.py and drafts.py (saving,
unsaved drafts), diff.py and diff_view.py (word diff), try_pane.py and try_call.py (the traced
Ollama call), traces.py (traces that used a version), aliases.py, dialogs.py, keys.py.
template_html.py, diff.py, data.py and try_call.py have no Qt.
"""
