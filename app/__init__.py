"""TraceDesk: the PySide6 desktop application over `core`."""
