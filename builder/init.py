"""guideprint init: a new project that builds as it is (the way `mkdocs new` starts one).

The starter's files are package data (builder/starter/), one flat folder: a folder of
their own per language would be a package setuptools wants listed. STARTER says where
each goes; every template is read before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.errors import OutputError
from builder.gate import Gate
from builder.output import write_text
from builder.resources import bundled

LANGUAGES = ("fr", "en")
# Path in the new project -> template of builder/starter/, per language.
STARTER: dict[str, dict[str, str]] = {
    "fr": {
        "guideprint.toml": "guideprint.fr.toml",
        ".gitignore": "gitignore",
        "content/README.md": "README.fr.md",
        "content/SUMMARY.md": "SUMMARY.fr.md",
        "content/premiers-pas.md": "page.fr.md",
        "content/cards/README.md": "cards-README.fr.md",
        "content/cards/exemple.md": "card.fr.md",
    },
    "en": {
        "guideprint.toml": "guideprint.en.toml",
        ".gitignore": "gitignore",
        "content/README.md": "README.en.md",
        "content/SUMMARY.md": "SUMMARY.en.md",
        "content/getting-started.md": "page.en.md",
        "content/cards/README.md": "cards-README.en.md",
        "content/cards/example.md": "card.en.md",
    },
}
FOLDERS = ("content/.gitbook/assets",)  # where GitBook puts a space's images
CANNOT_WRITE = "choose a folder you can write"


@dataclass(frozen=True)
class Created:
    """What init made: the project folder, the files written and those already there."""

    folder: Path
    lang: str
    written: tuple[str, ...]
    kept: tuple[str, ...]


def init(folder: Path, *, lang: str = "fr", force: bool = False) -> Created:
    """Write a new project into folder; refuse a non-empty one unless force (files kept)."""
    folder = folder.absolute()
    _check_folder(folder, force=force)
    templates = bundled("starter")
    gate = Gate.of([templates])
    texts = {
        dest: gate.read_text(templates / name, what="template")
        for dest, name in STARTER[lang].items()
    }
    written, kept = [], []
    for dest, text in texts.items():
        target = folder / dest
        if target.exists() or target.is_symlink():  # --force never replaces a file
            kept.append(dest)
            continue
        write_text(target, text, hint=CANNOT_WRITE)
        written.append(dest)
    for sub in FOLDERS:
        try:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot make the folder: {exc.strerror or exc}", file=folder / sub,
                hint=CANNOT_WRITE,
            ) from exc  # fmt: skip
    return Created(folder, lang, tuple(written), tuple(kept))


def _check_folder(folder: Path, *, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputError("not a folder", file=folder, hint="give a new or an empty folder")
    try:
        busy = folder.is_dir() and any(folder.iterdir())
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", file=folder, hint=CANNOT_WRITE) from exc
    if busy and not force:
        raise OutputError(
            "the folder is not empty",
            file=folder,
            hint="give a new or an empty folder, or add --force: the files already there are kept",
        )
