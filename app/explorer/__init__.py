"""The trace explorer: summary header, span tree with timeline, and span detail for one trace."""

from app.explorer.panel import TraceExplorer

__all__ = ["TraceExplorer"]
