"""`NameFit`: how wide the span tree's Name column is and how far each level indents (no Qt).

Names come first: the deepest row always keeps room for `MIN_NAME_CHARS` characters, so a deep
tree indents less per level (down to `MIN_INDENT`) and, when even that does not fit, the view
scrolls sideways rather than blank a name. Then the timeline keeps its room, then indentation
grows back to `INDENT` steps, then names get the rest up to a share of the width.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Name never gets narrower than this many characters of text, at any depth.
MIN_NAME_CHARS = 12
#: Indentation per level: the usual step, and the least a deep tree shrinks it to.
INDENT, MIN_INDENT = 14, 5
#: The timeline's width when it has room, and the least it yields to full indentation.
MIN_TIMELINE, LEAST_TIMELINE = 120, 100
_MIN_NAME = 110
_MAX_NAME_SHARE = 0.6  # of the room left by the fixed columns, unless the user drags it wider


@dataclass(frozen=True)
class NameFit:
    """What the Name column must hold: the deepest row's indentation steps, the cell's icon
    and margins, the least text it may show and the widest name (all but `levels` in pixels)."""

    levels: int
    chrome: int
    min_text: int
    widest_text: int

    def ample_text(self) -> int:
        """The text width the deepest row gets before the indentation grows to full steps."""
        return max(self.min_text, min(self.widest_text, 2 * self.min_text))

    def floor(self) -> int:
        """The narrowest Name column that still shows `min_text` on the deepest row."""
        return max(_MIN_NAME, self.levels * MIN_INDENT + self.chrome + self.min_text)

    def width(self, room: int, chosen: int | None) -> int:
        """The Name width in `room` (the width left by the fixed columns): the user's `chosen`
        width or one that fits the widest name, leaving the timeline its share; never below
        `floor`, which wins over the timeline (a view scrolls sideways before a name vanishes)."""
        if chosen is not None:
            return max(min(chosen, room - LEAST_TIMELINE), self.floor())
        indented = self.levels * INDENT + self.chrome
        ceiling = max(
            min(room - MIN_TIMELINE, int(room * _MAX_NAME_SHARE)),
            min(indented + self.min_text, room - LEAST_TIMELINE),  # full steps before timeline
        )
        return max(min(indented + self.widest_text + 4, ceiling), self.floor())

    def indentation(self, name_width: int) -> int:
        """The step per level in a `name_width` column: the deepest row's text gets
        `ample_text` before the step grows past `MIN_INDENT` (a column `floor` wide still
        leaves it `min_text`), and the step never exceeds `INDENT`."""
        spare = name_width - self.chrome - self.ample_text()
        return min(max(spare // max(self.levels, 1), MIN_INDENT), INDENT)
