"""Replay: rerun a recorded LLM call (a chat span, or a trace through its root's input),
edited, against a local Ollama model, and compare the answers.

request.py (no Qt) reads a `ReplayRequest` from a span or a trace; run.py (no Qt) streams the
edited call in the job pool and writes it as a trace tagged with what it replays; dialog.py is
the non-modal playground the explorer opens ("Replay…", Ctrl+R); params.py holds its
parameter fields. The folder sits above the pages in the import layers: it reuses the Prompts
tab's Ollama call (`app.prompts.try_call`, its chat editor) and the Evaluations tab's word diff.
"""
