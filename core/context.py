"""The default client: what MLflow's module-level API works with.

`core.set_tracking_uri(...)`, `core.set_experiment(...)`, `core.start_span(...)`,
`core.search_traces(...)` and the other module-level calls all act on one `Client`, made on
first use for the current tracking URI (the last one set, else `$MLFLOW_TRACKING_URI`, else
`sqlite:///mlflow.db`) and registry URI. Setting another URI makes a new default client; the
old one keeps writing the traces it has pending. The app never uses this: it makes one client
per open store.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from core.client import Client

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
REGISTRY_URI_ENV = "MLFLOW_REGISTRY_URI"
EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"


class _Defaults:
    """The URIs set so far, and the clients made for them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tracking_uri: str | None = None
        self.registry_uri: str | None = None
        self.client: Client | None = None
        #: Clients made for earlier URIs: still writing their pending traces until `reset()`.
        self.retired: list[Client] = []


_defaults = _Defaults()


def get_tracking_uri() -> str:
    """The URI in use: the last one set, else `$MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`."""
    return _defaults.tracking_uri or os.environ.get(TRACKING_URI_ENV) or DEFAULT_TRACKING_URI


def get_registry_uri() -> str:
    """Where prompts and models are registered: the URI set, `$MLFLOW_REGISTRY_URI`, else the
    tracking URI (as MLflow)."""
    return _defaults.registry_uri or os.environ.get(REGISTRY_URI_ENV) or get_tracking_uri()


def set_tracking_uri(uri: str | Path) -> None:
    """Use `uri` from now on: `sqlite:///path`, a plain path, or any SQLAlchemy URL.

    The active experiment goes back to the default (`$MLFLOW_EXPERIMENT_ID`, else Default).
    """
    _replace_client(tracking_uri=str(uri))


def set_registry_uri(uri: str | Path) -> None:
    """Register prompts and models in `uri` from now on (MLflow's `set_registry_uri`)."""
    _replace_client(registry_uri=str(uri))


def _replace_client(tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
    with _defaults.lock:
        if tracking_uri is not None:
            _defaults.tracking_uri = tracking_uri
        if registry_uri is not None:
            _defaults.registry_uri = registry_uri
        if _defaults.client is not None:
            _defaults.retired.append(_defaults.client)
            _defaults.client = None


def default_client() -> Client:
    """The client of the current URIs, made on first use."""
    client = _defaults.client
    if client is not None and _defaults.tracking_uri is not None:
        return client  # the common case: a URI was set and its client exists
    tracking_uri, registry_uri = get_tracking_uri(), get_registry_uri()
    with _defaults.lock:
        client = _defaults.client
        if client is not None and (client.tracking_uri, client.registry_uri) == (
            tracking_uri,
            registry_uri,
        ):
            return client
        if client is not None:  # the environment changed under an unset URI
            _defaults.retired.append(client)
        client = Client(
            tracking_uri,
            registry_uri=registry_uri,
            experiment_id=os.environ.get(EXPERIMENT_ID_ENV) or None,
        )
        _defaults.client = client
        return client


def reset() -> None:
    """Write pending traces, close every default client, forget the URIs and experiment."""
    with _defaults.lock:
        clients = [*_defaults.retired, *([_defaults.client] if _defaults.client else [])]
        _defaults.retired.clear()
        _defaults.client = None
        _defaults.tracking_uri = None
        _defaults.registry_uri = None
    for client in clients:
        client.close()
