"""Server logins for this session: passwords kept in memory only, never written anywhere.

A database URL may carry a password (`postgresql://user:secret@host/db`). `Logins.split` takes
it out at once: the window, the recent list, the status bar, the title and the log only ever
see the URL without it, and the password is handed to `Store.open` separately. A password the
user types (File → Open URL…, or when the server asks for one) is remembered here, by URL,
until the application quits, so reopening (Enable Editing, Open Recent) needs no second prompt.
Without a password libpq's own conventions apply: `PGPASSWORD`, `~/.pgpass` (`PGPASSFILE`).
"""

from __future__ import annotations

from core.errors import StoreError
from core.store import parse_location


def is_server_url(location: str) -> bool:
    """True for a database server URL (not a path, `file:` or `sqlite:` location)."""
    scheme = location.split("://", 1)[0].lower() if "://" in location else ""
    return bool(scheme) and not scheme.startswith(("sqlite", "file"))


def safe_location(location: str) -> str:
    """`location` with any password taken out (paths and SQLite URLs as they are)."""
    return Logins().split(location)[0]


class Logins:
    """Passwords of server URLs, by the URL without its password; in memory only."""

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}

    def split(self, location: str) -> tuple[str, str | None]:
        """(the location without its password, the password to log in with, if any)."""
        if not is_server_url(location):
            return location, None
        try:
            parsed = parse_location(location)
        except StoreError:
            return location, None
        safe = parsed.display
        if parsed.password:
            self._passwords[safe] = parsed.password
        return safe, self._passwords.get(safe)

    def remember(self, location: str, password: str) -> str:
        """Keep `password` for `location` (whose own password it replaces); returns the URL
        without a password."""
        safe, _old = self.split(location)
        if password:
            self._passwords[safe] = password
        return safe

    def forget(self, location: str) -> None:
        self._passwords.pop(self.split(location)[0], None)

    def knows(self, location: str) -> bool:
        return self.split(location)[1] is not None
