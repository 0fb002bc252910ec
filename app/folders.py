"""Where TraceDesk keeps its own files (the demo database, logs).

Qt's AppLocalDataLocation joins the organisation and application names, which are both
"TraceDesk": `~/.local/share/TraceDesk/TraceDesk`. The folder here is the application's name
under the platform's data folder: `~/.local/share/TraceDesk` on Linux,
`%LOCALAPPDATA%\\TraceDesk` on Windows, `~/Library/Application Support/TraceDesk` on macOS.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QStandardPaths


def data_folder() -> Path:
    """`<the platform's data folder>/<application name>`; needs the application's name set."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base) / QCoreApplication.applicationName()
