"""Where things are: the project root, its settings, the space to read, the output folder."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from builder.config import SETTINGS_FILE, Settings, load_settings
from builder.errors import ContentError
from builder.layouts import Layouts


@dataclass
class Project:
    root: Path  # holds guideprint.toml (or the working folder)
    settings: Settings
    source: Path  # the GitBook space or repository to read
    out: Path
    space: str | None
    layouts: Layouts

    @property
    def cache(self) -> Path:
        return self.root / ".guideprint-cache"


def find_root(start: Path) -> Path:
    """The nearest folder upwards holding guideprint.toml, else start itself."""
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return start


def load_project(
    cwd: Path, *, source: Path | None = None, out: Path | None = None, space: str | None = None
) -> Project:
    """Load settings and resolve the folders of a run."""
    root = find_root(cwd.resolve())
    src = (cwd / source).resolve() if source else root / "content"
    if not src.is_dir():
        raise ContentError("no such folder", file=src, hint="give --source a GitBook space")
    own_settings = (src / SETTINGS_FILE).is_file() and src != root / "content"
    if not own_settings and src.is_relative_to(root):
        settings = load_settings(root)
    else:
        # Another space: its own settings, or defaults in its own language.
        settings = load_settings(src)
        if not settings.path:
            settings = replace(settings, language=guess_language(src))
    return Project(
        root=root,
        settings=settings,
        source=src,
        out=(cwd / out).resolve() if out else root / "out",
        space=space,
        layouts=Layouts(root),
    )


def guess_language(space: Path) -> str:
    """fr or en, from the most common short words of the space's README files."""
    text = " ".join(
        p.read_text(encoding="utf-8", errors="replace")[:5000]
        for p in sorted(space.rglob("README.md"))[:5]
    ).lower()
    words = re.findall(r"[a-zà-ÿ]+", text)
    fr = sum(w in {"le", "la", "les", "des", "est", "vous", "pour", "une", "et"} for w in words)
    en = sum(w in {"the", "and", "is", "you", "for", "to", "of", "with", "your"} for w in words)
    return "fr" if fr > en else "en"
