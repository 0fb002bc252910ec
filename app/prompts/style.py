"""The Prompts page's few style rules (kept beside the page, applied to it alone)."""

from __future__ import annotations

STYLE = """
#promptsPage QFrame[kind="warning"] {
    background: #fff4ce;
    border-bottom: 1px solid #e3c55b;
}
#promptsPage QFrame[kind="error"] {
    background: #fde8e8;
    border-bottom: 1px solid #e8a0a0;
}
#promptsPage QFrame[kind="info"] {
    background: #e8f0fe;
    border-bottom: 1px solid #a8c4f0;
}
#promptsPage QFrame[kind] QLabel {
    color: #1f2328;
}
#promptName {
    font-size: 13pt;
    font-weight: 600;
}
#promptFacts, #editorVariables, #tryStatus, #diffSummary, #tracesNote, #promptsCount,
#promptPlaceholder {
    color: palette(placeholder-text);
}
#promptPlaceholder {
    font-size: 11pt;
}
#aliasChip {
    background: #e0e7ff;
    color: #3730a3;
    border-radius: 8px;
    padding: 1px 8px;
}
#editorTitle {
    font-weight: 600;
}
#tryProblem {
    color: #dc2626;
    font-weight: 600;
}
#promptHeader {
    border-bottom: 1px solid palette(mid);
}
"""
