"""Which columns the trace list shows, per database: the built-in ones chosen, the tag keys
and assessment names that get a column each, and the order and widths the user dragged. Kept
in QSettings in the file's group, beside its filter and sort (`app.query.state`), so reopening
the file shows the same columns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace

from PySide6.QtCore import QSettings

from app.traces.rows import USER_KEYS, Column, ExtraColumn
from core.entities import TraceRowExtras
from core.mlflow_keys import COST_METADATA

#: Shown only when chosen: most experiments have no sessions, users or prices.
DEFAULT_HIDDEN = frozenset({Column.SESSION, Column.USER, Column.COST})
_SETTINGS_KEY = "columns"


def file_group(location: str) -> str:
    """The QSettings group of one file's view: a digest of its location, so a path never
    becomes nested group names and the same file finds its settings again."""
    return "files/" + hashlib.sha256(location.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class ColumnChoice:
    """The built-in columns hidden, and the assessment and tag columns added, in order."""

    hidden: frozenset[Column] = DEFAULT_HIDDEN
    assessment_names: tuple[str, ...] = ()
    tag_keys: tuple[str, ...] = ()
    #: The columns' order as the user dragged them (`column_key`s, left to right; () unmoved).
    order: tuple[str, ...] = ()
    #: Widths the user dragged (`column_key` -> pixels); () while the list fits them itself.
    widths: tuple[tuple[str, int], ...] = ()

    def shows(self, column: Column) -> bool:
        return column not in self.hidden

    def with_column(self, column: Column, shown: bool) -> ColumnChoice:
        """Show or hide a built-in column; the last one shown stays."""
        hidden = self.hidden - {column} if shown else self.hidden | {column}
        if len(hidden) == len(Column):
            return self
        return replace(self, hidden=frozenset(hidden))

    def with_layout(self, order: tuple[str, ...], widths: dict[str, int]) -> ColumnChoice:
        """The order and widths the user gave the columns by dragging."""
        return replace(self, order=order, widths=tuple(sorted(widths.items())))

    def with_assessment(self, name: str, shown: bool) -> ColumnChoice:
        return replace(self, assessment_names=_toggled(self.assessment_names, name, shown))

    def with_tag(self, key: str, shown: bool) -> ColumnChoice:
        return replace(self, tag_keys=_toggled(self.tag_keys, key, shown))

    def extras(self) -> TraceRowExtras:
        """What each row must carry for these columns beyond `trace_info`."""
        metadata: tuple[str, ...] = USER_KEYS if self.shows(Column.USER) else ()
        if self.shows(Column.COST):  # the cost's place before MLflow made it a column
            metadata += (COST_METADATA,)
        return TraceRowExtras(self.tag_keys, metadata, self.assessment_names)


def column_key(section: int, extras: tuple[ExtraColumn, ...]) -> str:
    """A column's name in the saved layout: `duration`, `tag:env`, `assessment:correct`."""
    if section < len(Column):
        return Column(section).name.lower()
    extra = extras[section - len(Column)]
    return f"{extra.kind}:{extra.key}"


def _toggled(keys: tuple[str, ...], key: str, shown: bool) -> tuple[str, ...]:
    if shown:
        return keys if key in keys else (*keys, key)
    return tuple(k for k in keys if k != key)


def load_choice(location: str) -> ColumnChoice:
    """The columns last chosen for `location` (the defaults when never chosen or unreadable)."""
    settings = QSettings()
    settings.beginGroup(file_group(location))
    text = settings.value(_SETTINGS_KEY, "")
    settings.endGroup()
    try:
        saved = json.loads(str(text or "{}"))
        by_name = {column.name.lower(): column for column in Column}
        hidden = frozenset(by_name[name] for name in saved["hidden"] if name in by_name)
        return ColumnChoice(
            hidden,
            tuple(str(name) for name in saved.get("assessments", [])),
            tuple(str(key) for key in saved.get("tags", [])),
            tuple(str(key) for key in saved.get("order", [])),
            tuple((str(key), int(width)) for key, width in saved.get("widths", {}).items()),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return ColumnChoice()


def save_choice(location: str, choice: ColumnChoice) -> None:
    settings = QSettings()
    settings.beginGroup(file_group(location))
    settings.setValue("location", location)  # for a person reading the settings file
    saved = {
        "hidden": sorted(column.name.lower() for column in choice.hidden),
        "assessments": list(choice.assessment_names),
        "tags": list(choice.tag_keys),
        "order": list(choice.order),
        "widths": dict(choice.widths),
    }
    settings.setValue(_SETTINGS_KEY, json.dumps(saved))
    settings.endGroup()
