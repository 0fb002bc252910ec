"""Colours of span types for bars and chips: a fixed palette, and a stable hash for the rest.

Plain hex strings (no Qt) so the palette can be tested and reused by any view. Every colour is
a mid-tone that reads on light and dark backgrounds; red is kept for errors only.
"""

from __future__ import annotations

import colorsys
import zlib

ERROR_COLOR = "#dc2626"

TYPE_COLORS: dict[str, str] = {
    "LLM": "#8b5cf6",
    "CHAT_MODEL": "#8b5cf6",
    "CHAIN": "#3b82f6",
    "AGENT": "#0d9488",
    "TOOL": "#f59e0b",
    "RETRIEVER": "#16a34a",
    "RERANKER": "#65a30d",
    "EMBEDDING": "#db2777",
    "PARSER": "#a16207",
    "MEMORY": "#6366f1",
    "WORKFLOW": "#0284c7",
    "TASK": "#0891b2",
    "GUARDRAIL": "#c026d3",
    "EVALUATOR": "#ea580c",
    "UNKNOWN": "#64748b",
}

# Hues (degrees) too close to the error red are skipped for custom types.
_RED_ZONE = 25


def type_color(span_type: str | None) -> str:
    """The colour of `span_type`; a custom type always gets the same one from its name."""
    key = (span_type or "UNKNOWN").strip()
    known = TYPE_COLORS.get(key.upper())
    if known is not None:
        return known
    digest = zlib.crc32(key.encode("utf-8"))
    hue = _RED_ZONE + digest % (360 - 2 * _RED_ZONE)
    lightness = 0.46 + (digest >> 9) % 8 / 100
    red, green, blue = colorsys.hls_to_rgb(hue / 360, lightness, 0.62)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def text_on(background: str) -> str:
    """Black or white, whichever reads better on `background` (a `#rrggbb` colour)."""
    red, green, blue = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#111827" if luminance > 0.55 else "#ffffff"


_SMALL_UNITS = ((1_000, 1, "ns"), (1_000_000, 1_000, "µs"), (1_000_000_000, 1_000_000, "ms"))


def span_duration_text(ns: int | None) -> str:
    """A span duration from nanoseconds: `820 ns`, `345 µs`, `10.8 ms`, `1.02 s`, `2 min 05 s`."""
    if ns is None:
        return "running"
    for below, scale, unit in _SMALL_UNITS:
        if ns < below:
            return f"{ns} ns" if scale == 1 else _three_digits(ns / scale, unit)
    seconds = ns / 1_000_000_000
    if seconds < 60:
        return _three_digits(seconds, "s")
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _three_digits(value: float, unit: str) -> str:
    """Three significant digits at most: `345 µs`, `10.8 ms`, `1.02 s`."""
    digits = 0 if value >= 99.95 else 1 if value >= 9.995 else 2
    return f"{value:.{digits}f} {unit}"
