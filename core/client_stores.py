"""The stores a `Client` works on: its tracking store and registry store, opened on first use.

A URI's store opens when first needed (`Store.open`, read-write unless its layout forbids it)
and is created on the first write; a store given to the client (the app's) is used as it is.
Before the first write to a store, its Default experiment is made when missing, as MLflow's
own client does on a store that `mlflow db upgrade` left empty.
"""

from __future__ import annotations

import threading
from pathlib import Path

from core.store.store import Store


class ClientStores:
    """The tracking and registry stores of one client (the same store unless told apart)."""

    def __init__(
        self,
        tracking_uri: str | Path | None,
        registry_uri: str | Path | None,
        given: Store | None,
    ) -> None:
        if (tracking_uri is None) == (given is None):
            raise ValueError("A Client needs a tracking URI or an open store (one of them).")
        self.tracking_uri = str(tracking_uri) if given is None else uri_of(given)
        self.registry_uri = str(registry_uri) if registry_uri is not None else self.tracking_uri
        self._given = given
        self._lock = threading.Lock()
        self._open: dict[str, Store] = {(given and self.tracking_uri) or "": given} if given else {}
        #: Stores whose Default experiment is known to exist (checked before the first write).
        self._ready: set[str] = set()

    def tracking(self, *, write: bool = False) -> Store:
        """The tracking store; without `write`, `StoreNotFoundError` when no database exists."""
        return self._store(self.tracking_uri, write)

    def registry(self, *, write: bool = False) -> Store:
        """The store prompts and models are registered in."""
        return self._store(self.registry_uri, write)

    def _store(self, uri: str, write: bool) -> Store:
        with self._lock:
            store = self._open.get(uri)
            if store is None:
                store = Store.open(uri, read_only=False, create=write)
                self._open[uri] = store
            if write and not store.read_only and uri not in self._ready:
                store.writer.ensure_default_experiment()
                self._ready.add(uri)
            return store

    def close(self) -> None:
        """Close the stores opened here (a given store stays open: its owner closes it)."""
        with self._lock:
            stores, self._open = list(self._open.values()), {}
        for store in stores:
            if store is not self._given:
                store.close()


def uri_of(store: Store) -> str:
    """The URI that opens `store` again: `sqlite:///<absolute path>` or the server URL."""
    location = store.location
    if location.path is not None:
        return f"sqlite:///{location.path}"
    return location.url.render_as_string(hide_password=True)
