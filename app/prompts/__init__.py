"""The Prompts page: the prompt registry of the open database — list, history, editor, diff."""
