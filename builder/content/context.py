"""What rendering one page needs to know about the space around it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.diagnostics import Diagnostics


@dataclass(frozen=True)
class Context:
    """The page being rendered, its space, and where its warnings go."""

    root: Path  # the space root: nothing outside it is read
    source: Path  # the file being rendered (absolute)
    diag: Diagnostics
    lang: str = "fr"
    anchor: str = ""  # the page's document id; heading ids are prefixed with it
    titles: dict[str, str] = field(default_factory=dict)  # page path -> title
    allow_remote: bool = False
    includes: tuple[Path, ...] = ()  # the include chain, for cycle detection
    # Includes expanded in this page so far: one list shared by the page's nested contexts
    # (dataclasses.replace passes it on), so that fan-out is bounded as depth is.
    expanded: list[int] = field(default_factory=lambda: [0])
    sources: dict[Path, tuple[str, int]] = field(default_factory=dict)  # text, first line
    variables: dict[str, Any] = field(default_factory=dict)  # {"space": {...}, "page": {...}}
    # Each image's file URL -> (where it is written, "page.md:12", and the path as written).
    images: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Remote images left out, (file, line, url), when the space reports them in one line
    # (space.py); None: each is reported where it is.
    remote: list[tuple[str, int | None, str]] | None = None

    @property
    def rel(self) -> str:
        """The file being rendered, relative to the space root (for messages)."""
        return rel_path(self.source, self.root)


def rel_path(path: Path, root: Path) -> str:
    """path relative to root as posix text, or its name when it is outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
