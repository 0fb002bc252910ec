"""A receiver on a free loopback port, writing into a copy of the MLflow 3.18 database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.otlp import OtlpReceiver
from core.store.store import Store


@pytest.fixture
def writable(db318: Path) -> Iterator[Store]:
    with Store.open(db318, read_only=False) as store:
        yield store


@pytest.fixture
def receiver(writable: Store) -> Iterator[OtlpReceiver]:
    with OtlpReceiver(writable, "0", port=0) as running:
        yield running
