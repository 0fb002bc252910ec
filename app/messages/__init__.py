"""Chat messages by role, and JSON/code highlighting: format recognition (`formats`, no Qt),
safe Markdown and Pygments HTML (`markdown`, `highlight`, `render`) and the views."""
