"""Errors raised by `core`, each with a message a user can act on."""

from __future__ import annotations


class TraceDeskError(Exception):
    """Base class of every error `core` raises on purpose."""


class StoreError(TraceDeskError):
    """A tracking store could not be opened or read."""


class StoreNotFoundError(StoreError):
    """The path does not exist."""


class NotSQLiteError(StoreError):
    """The file exists but is not an SQLite database."""


class NotMLflowStoreError(StoreError):
    """The database opens but holds no MLflow tracking tables."""


class CorruptStoreError(StoreError):
    """SQLite reports the file as malformed or truncated."""


class StoreLockedError(StoreError):
    """Another process holds a lock on the database for longer than the busy timeout."""


class StorePermissionError(StoreError):
    """The user may not read (or write) the database file or a folder on its path."""


class InterruptedWriteError(StoreError):
    """A writer stopped mid-transaction left a rollback journal that this user may not undo.

    SQLite lets nobody read the file until the journal is played back, which needs write
    permission on the file and the journal.
    """


class ReadOnlyStoreError(StoreError):
    """A write was attempted on a store opened for reading, or whose layout cannot be written."""


class UnreachableStoreError(StoreError):
    """A database server refused the connection or could not be reached."""


class DiskFullError(StoreError):
    """A write found no room: the disk is full, or the file reached the size it may have."""


class NotFoundError(TraceDeskError, LookupError):
    """An experiment, trace, run, prompt or model does not exist in the store."""


class QuerySyntaxError(TraceDeskError, ValueError):
    """A filter or order-by string is malformed.

    `position` is the 0-based offset of the problem; the message names it as a 1-based column
    and draws a caret under it.
    """

    def __init__(self, message: str, *, text: str, position: int, expected: str = "") -> None:
        self.text = text
        self.position = position
        self.expected = expected
        self.reason = message
        pointer = f"{text}\n{' ' * position}^"
        super().__init__(f"{message} at column {position + 1}\n{pointer}")


class LoginRefusedError(UnreachableStoreError):
    """A database server refused the login: a wrong or missing password, or an unknown user.

    `needs_password` is True when the server asked for a password that was not given (the app
    then asks for one).
    """

    def __init__(self, message: str, *, needs_password: bool = False) -> None:
        super().__init__(message)
        self.needs_password = needs_password


class WriteConflictError(StoreError):
    """Another writer added the same row first (a server database); the write may be retried."""
