"""`TraceFileError`: a file to import, or an export asked for, that cannot be done as given."""

from __future__ import annotations

from core.errors import TraceDeskError


class TraceFileError(TraceDeskError, ValueError):
    """A file that is not trace JSON, a format or column that does not exist, a file that
    cannot be read or written; the message says which and why."""
