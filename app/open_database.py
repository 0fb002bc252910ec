"""`OpenDatabase`: the store the window shows, its core client, and opening another.

Opening runs `Store.open` in the database thread; only the last open counts if the user opens
twice, and a store opened for nothing is closed there. The shown store is replaced only when
the new one opened, so a bad file never costs the user the database they had open. Replaced
stores are closed in the database thread after their clients wrote their last traces, and once
more when the window closes (a rerun still ending may have handed its client a last trace).
"""

from __future__ import annotations

from pathlib import Path

from app.logins import Logins
from app.recent import is_local
from app.tasks import Task, TaskRunner
from core.client import Client
from core.store import DEFAULT_BUSY_TIMEOUT_S, Store


def resolve_location(location: str | Path) -> str:
    """A folder that holds `mlflow.db` stands for that file; anything else is kept as given."""
    text = str(location)
    if is_local(text) and Path(text).expanduser().is_dir():
        candidate = Path(text).expanduser() / "mlflow.db"
        if candidate.is_file():
            return str(candidate)
    return text


class OpenDatabase:
    """One window's open store and client; `read_only` is the window's default for opening."""

    def __init__(self, tasks: TaskRunner, *, read_only: bool) -> None:
        self.read_only = read_only
        self.busy_timeout_s = DEFAULT_BUSY_TIMEOUT_S
        self.logins = Logins()  # server passwords, in memory only
        #: Whether a server that wants a password makes the window ask for one; a smoke run,
        #: which nobody watches, reports the refusal as an error instead.
        self.asks_for_passwords = True
        self.store: Store | None = None
        #: The open store's core client: the pages write traces (reruns, prompt tries) with it.
        self.client: Client | None = None
        self._tasks = tasks
        self._opens = tasks.group(release=lambda store: _close_unshown(tasks, store))
        self._retired: list[tuple[Client, Store]] = []

    def open(self, location: str | Path, *, read_only: bool | None = None) -> tuple[str, Task]:
        """Start opening `location`; where it is (never with a password) and the task that
        opens it. An open still running is dropped."""
        # A server URL's password goes to Store.open only: never to the status bar or the log.
        where, password = self.logins.split(resolve_location(location))
        self._opens.drop()
        task = self._opens.submit(
            Store.open,
            where,
            read_only=self.read_only if read_only is None else read_only,
            busy_timeout_s=self.busy_timeout_s,
            password=password,
        )
        return where, task

    def adopt(self, store: Store) -> Client:
        """Show `store` from now on (the one shown before is released): its new client."""
        self.release()
        self.store, self.client = store, Client(store=store)
        return self.client

    def release(self) -> None:
        """Forget the shown store; it is closed in the database thread after pending reads."""
        old, client = self.store, self.client
        self.store, self.client = None, None
        if old is not None and client is not None:
            self._retired.append((client, old))
            self._tasks.submit(_close, client, old).describe(f"Closing {old.display_name}")

    def close_all(self) -> None:
        """The window closes (its threads joined): every client writes its last traces, then
        its store closes."""
        open_now = [(self.client, self.store)] if self.client and self.store else []
        for client, store in [*self._retired, *open_now]:
            _close(client, store)
        self._retired.clear()
        self.store, self.client = None, None


def _close_unshown(tasks: TaskRunner, store: Store) -> None:
    """A store a later open superseded: never shown, closed in the database thread."""
    tasks.submit(store.close).describe(f"Closing {store.display_name}")


def _close(client: Client, store: Store) -> None:
    """Database thread: write the client's pending traces, then close the store."""
    client.close()
    store.close()
