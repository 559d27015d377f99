"""What the element handlers (codeblocks, elements, media, tables, sanitize) may ask of the
walk that calls them: its context, where it is in the source, warnings with a line, unique
ids and typeset text. builder.content.html's Walker is the one walk; its handlers depend on
this description, not on html.py, so the package has no import cycle.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from builder.content.context import Context


class Walker(Protocol):
    """The walk of one rendered page (builder.content.html.Walker)."""

    ctx: Context
    at: int | None  # the index of the element visited in its parent

    def rel(self, source: Path) -> str:
        """source as the diagnostics name it."""
        ...

    def warn(self, message: str, source: Path, needle: str = "", hint: str | None = None) -> None:
        """A warning at the line of needle (or of the current block) in source."""
        ...

    def line_of(self, source: Path, needle: str) -> int | None:
        """The line of needle at or just after the current block, else the block's line."""
        ...

    def unique_id(self, el: ET.Element) -> None:
        """Make el's id unique in the document."""
        ...

    def text(self, text: str) -> str:
        """text typeset for the page's language, emoji shortcodes replaced."""
        ...
