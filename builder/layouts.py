"""Jinja layouts: searched in the project's layouts/ first, then guideprint's own."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from builder.errors import RenderError
from builder.gate import Gate, current
from builder.resources import bundled

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    import jinja2

BUILTIN = bundled("layouts")  # guideprint's own: package data, or the repository's layouts/


class Layouts:
    """A Jinja environment with autoescape and StrictUndefined over the layout folders.

    Templates are read through the gate (a template that is a link leading outside the
    project is refused), so the ledger knows which layouts an output was made from.
    """

    def __init__(self, project: Path, gate: Gate | None = None) -> None:
        if not BUILTIN.is_dir():  # a copied builder/ without its data: say so, not TemplateNotFound
            raise RenderError(
                "guideprint's own layouts are missing",
                file=BUILTIN,
                hint="reinstall guideprint ('pipx reinstall guideprint' or 'pip install .')",
            )
        folders = [project / "layouts", BUILTIN]
        self._gate = gate
        self.folders = [f for i, f in enumerate(folders) if f.is_dir() and f not in folders[:i]]

    def __getstate__(self) -> dict[str, object]:
        """Without the Jinja environment: a spawned worker makes its own."""
        state = dict(self.__dict__)
        state.pop("env", None)
        return state

    @property
    def gate(self) -> Gate:
        """The gate reads go through: the project's, else the run's."""
        return self._gate or current()

    @cached_property
    def env(self) -> jinja2.Environment:
        """The Jinja environment, made (and Jinja imported) on first use: a no-op build
        never renders a template."""
        import jinja2

        return jinja2.Environment(
            loader=jinja2.FunctionLoader(self._source),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _source(self, name: str) -> tuple[str, str, Callable[[], bool]] | None:
        """Jinja's loader: the first template called name, read through the gate."""
        path = self.find(name)
        if path is None:
            return None
        text = self.gate.read_text(path, what="layout")

        def uptodate() -> bool:  # compiled once (20 ms a card); edited while serving: again
            return self.find(name) == path and self.gate.read_text(path, what="layout") == text

        return text, str(path), uptodate

    def find(self, name: str) -> Path | None:
        """The first file called name in the search path, or None."""
        if ".." in Path(name).parts:
            return None
        for folder in self.folders:
            if self.gate.is_file(folder / name):
                return folder / name
        return None

    def read(self, name: str) -> str:
        """The text of the layout file name (CSS), read through the gate."""
        return self.gate.read_text(self.path(name), what="layout")

    def get(self, name: str) -> jinja2.Template:
        """The template `name` (e.g. "manual/manual.html.j2")."""
        return self.env.get_template(name)

    def path(self, name: str) -> Path:
        """The first file called `name` in the search path (CSS, images)."""
        found = self.find(name)
        if found is None:
            raise FileNotFoundError(name)
        return found

    def files(self, subdir: str) -> list[Path]:
        """Every file under subdir in the search path."""
        return sorted(p for f in self.folders for p in self.gate.walk(f / subdir))
