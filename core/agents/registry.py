"""Aliases of registered models, as MLflow's `MlflowClient.set_registered_model_alias` sets them.

After `core.set_model_alias("agent", "champion", 2)`, `core.load_model("models:/agent@champion")`
loads version 2.
"""

from __future__ import annotations

from core import tracking


def set_model_alias(name: str, alias: str, version: int) -> None:
    """Point `alias` of registered model `name` at `version` (moving it if it is set)."""
    tracking._store(write=True).models.set_alias(name, alias, int(version))


def delete_model_alias(name: str, alias: str) -> None:
    """Remove `alias` from registered model `name` (nothing happens when it is not set)."""
    tracking._store(write=True).models.delete_alias(name, alias)
