"""Jinja layouts: searched in the project's layouts/ first, then guideprint's own."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

BUILTIN = Path(__file__).resolve().parent.parent / "layouts"


class Layouts:
    """A Jinja environment with autoescape and StrictUndefined over the layout folders."""

    def __init__(self, project: Path) -> None:
        folders = [project / "layouts", BUILTIN]
        self.folders = [f for i, f in enumerate(folders) if f.is_dir() and f not in folders[:i]]

    @cached_property
    def env(self) -> jinja2.Environment:
        """The Jinja environment, made (and Jinja imported) on first use: a no-op build
        never renders a template."""
        import jinja2

        return jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(f) for f in self.folders]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def get(self, name: str) -> jinja2.Template:
        """The template `name` (e.g. "manual/manual.html.j2")."""
        return self.env.get_template(name)

    def path(self, name: str) -> Path:
        """The first file called `name` in the search path (CSS, images)."""
        for folder in self.folders:
            if (folder / name).is_file():
                return folder / name
        raise FileNotFoundError(name)

    def files(self, subdir: str) -> list[Path]:
        """Every file under subdir in the search path (for the staleness manifest)."""
        return sorted(p for f in self.folders for p in (f / subdir).rglob("*") if p.is_file())
