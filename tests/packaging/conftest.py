"""Packaging tests: Qt offscreen (icons are rendered), set before anything loads Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
