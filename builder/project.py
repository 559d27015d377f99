"""Where things are: the project root, its settings, the space to read, the output folder."""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path

from builder import SETTINGS_FILE
from builder.errors import ConfigError, ContentError, GuideError
from builder.gate import Gate, current
from builder.layouts import BUILTIN, Layouts
from builder.record import Record
from builder.resources import bundled

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from builder.config import Settings


class Project(Record):
    """Where one run reads and writes, its settings and its read gate."""

    # No __slots__: the settings are a cached_property. A Record, not a dataclass: a no-op
    # build never imports dataclasses (builder.record).
    _fields = ("root", "source", "out", "space", "layouts", "gate")
    root: Path  # holds guideprint.toml (or the working folder)
    source: Path  # the GitBook space or repository to read
    out: Path
    space: str | None
    layouts: Layouts
    gate: Gate

    def __init__(self, root: Path, source: Path, out: Path, space: str | None,
                 layouts: Layouts, gate: Gate) -> None:  # fmt: skip
        self.root, self.source, self.out, self.space = root, source, out, space
        self.layouts, self.gate = layouts, gate

    @cached_property
    def settings(self) -> Settings:
        """The settings, read through the gate and checked on first use."""
        from dataclasses import replace

        from builder.config import load_settings

        src, gate = self.source, self.gate
        own_settings = (src / SETTINGS_FILE).is_file() and src != self.root / "content"
        if not own_settings and src.is_relative_to(self.root):
            return load_settings(self.root, gate)
        # Another space: its own settings, or defaults in its own language.
        settings = load_settings(src, gate)
        if not settings.path:
            settings = replace(settings, language=guess_language(src, gate))
        return settings

    @property
    def cache(self) -> Path:
        return self.root / ".guideprint-cache"


def project_gate(root: Path, source: Path, out: Path, *, extra: tuple[Path, ...] = ()) -> Gate:
    """What a run may read: the space, the project's settings, layouts/ and assets/, the
    package's own files, the cache, the output folder, the fonts of the font set."""
    roots = [source, root / "layouts", root / "assets", BUILTIN, bundled("assets"),
             Path(__file__).resolve().parent, root / ".guideprint-cache", out]  # fmt: skip
    settings = [root / SETTINGS_FILE, source / SETTINGS_FILE]
    return Gate.of(roots, [*settings, *extra], more=_font_files)  # fonts: when first read


def _font_files() -> list[Path]:
    """The font set's files, fontconfig asked (and builder.fonts imported) only now."""
    from builder.fonts import font_files

    return font_files()


def card_names(folder: Path) -> list[str]:
    """The names of the cards in a cards folder (the space's cards/), without reading them."""
    files = current().walk(folder, ".md", recursive=False)
    return sorted(p.stem for p in files if p.name != "README.md")


def _stays_in(path: Path, folder: Path) -> bool:
    """Does path, links followed, lead somewhere inside folder (links followed too)?"""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def find_root(start: Path) -> Path:
    """The nearest folder upwards holding guideprint.toml, else start itself."""
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return start


def load_project(
    cwd: Path,
    *,
    source: Path | None = None,
    out: Path | None = None,
    space: str | None = None,
    settings: bool = True,
) -> Project:
    """Resolve the folders of a run and load its settings (settings=False: on first use, which
    a no-op build never makes; its ledger checks that guideprint.toml is the file it read)."""
    root = find_root(cwd.resolve())
    # The space is the user's choice: followed if it is a link; links inside it are gated.
    src = (cwd / source).resolve() if source else (root / "content").resolve()
    if not src.is_dir():
        raise ContentError("no such folder", file=src, hint="give --source a GitBook space")
    target = (cwd / out).resolve() if out else root / "out"
    # The project's own folders are roots by their names (builder.gate): one that is a link
    # leading elsewhere would have each file in it refused, a layout silently replaced by
    # guideprint's own, and outputs or cache entries written there. Said once, here. (An --out
    # given is the user's word, as --source is.)
    own = [root / "layouts", root / "assets", root / ".guideprint-cache"]
    for folder in own if out else [*own, target]:
        if not _stays_in(folder, root):
            raise ConfigError(
                f"{folder.name}/ refused: it is a link leading outside the project",
                file=folder,
                hint="replace the link with the folder itself"
                + (", or give --out" if folder == target else ""),
            )
    gate = project_gate(root, src, target)
    project = Project(
        root=root, source=src, out=target, space=space, layouts=Layouts(root, gate), gate=gate
    )
    if settings:
        _ = project.settings  # read and checked before anything else
    return project


def guess_language(space: Path, gate: Gate, default: str = "en") -> str:
    """The language of the space's wording (one of builder.i18n.WORDS) from its README files:
    their script when it says one (Japanese, Chinese, Korean, Russian, Arabic: what
    builder.i18n.detect tells a page by), else their most common short words, when they
    say it over every language told by its words (a German book's one "des" made it French);
    default otherwise."""
    from builder.i18n import FUNCTION_WORDS, WORDS, detect

    readmes = [p for p in gate.walk(space, "README.md") if p.name == "README.md"][:5]
    said = " ".join(_readable(p, gate)[:5000] for p in readmes)
    script = detect(said)
    if script in WORDS and script not in FUNCTION_WORDS:  # by words: as below, for every space
        return script
    words = re.findall(r"[^\W\d_]+", said.lower())
    hits = sorted(((sum(w in told for w in words), lang) for lang, told in FUNCTION_WORDS.items()),
                  reverse=True)  # fmt: skip
    (best, lang), (second, _) = hits[0], hits[1]
    return lang if best > second and lang in WORDS else default


def _readable(path: Path, gate: Gate) -> str:
    """A file's text for guessing, "" when refused or unreadable (reading reports it)."""
    try:
        return gate.read_text(path, errors="replace")
    except (GuideError, OSError):
        return ""
