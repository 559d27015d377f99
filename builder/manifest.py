"""What is stale: a manifest of content hashes per output, checked without WeasyPrint."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from builder import __version__
from builder.output import write_text

MANIFEST = ".guideprint-manifest.json"
TOOL = Path(__file__).resolve().parent
INCLUDE = re.compile(r'{%\s*include\s+"([^"#]+)')

if False:  # pragma: no cover - typing only, avoids an import cycle
    from builder.project import Project


@dataclass
class Manifest:
    entries: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """The manifest of out/, empty when absent or unreadable."""
        try:
            data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            return cls(dict(data.get("outputs", {})))
        except (OSError, ValueError, AttributeError):
            return cls()

    def fresh(self, key: str, digest: str, out: Path) -> bool:
        """Is output `key` present and built from exactly these inputs?"""
        return self.entries.get(key) == digest and (out / key).exists()

    def record(self, key: str, digest: str) -> None:
        self.entries[key] = digest

    def save(self, out: Path) -> None:
        payload = {"tool": __version__, "outputs": dict(sorted(self.entries.items()))}
        write_text(out / MANIFEST, json.dumps(payload, indent=1) + "\n")


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".guideprint")
    )


def _digest(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for p in paths:
        h.update(str(p).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def fingerprint(
    project: Project,
    kind: str,
    options: str,
    *,
    card: str | None = None,
    cards: list[str] | None = None,
) -> str:
    """Hash everything an output is made from (a changed byte anywhere makes it stale)."""
    common = [
        *_files(TOOL),
        *project.layouts.files(kind),
        *_files(project.root / "assets"),
    ]
    settings = Path(project.settings.path) if project.settings.path else None
    if settings is not None:
        common.append(settings)
    extra = f"{__version__}|{kind}|{options}|{project.space}|{project.source}"
    if card is not None:
        return _digest([*common, *_card_sources(project, card)], extra)
    if cards is not None:
        sources = [p for name in cards for p in _card_sources(project, name)]
        return _digest([*common, *project.layouts.files("cards"), *sources], extra)
    pages = [
        p for p in _files(project.source) if "cards" not in p.relative_to(project.source).parts
    ]
    return _digest([*common, *pages], extra)


def _card_sources(project: Project, name: str) -> list[Path]:
    """A card file and the pages it includes (one level is enough for our cards)."""
    card = project.source / "cards" / f"{name}.md"
    found = [card] if card.is_file() else []
    if card.is_file():
        for target in INCLUDE.findall(card.read_text(encoding="utf-8", errors="replace")):
            path = (card.parent / target).resolve()
            if path.is_file() and path.is_relative_to(project.source):
                found.append(path)
    assets = project.source / ".gitbook" / "assets"
    return [*found, *_files(assets)]
