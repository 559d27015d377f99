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


class Fingerprints:
    """Hash everything an output is made from (a changed byte anywhere makes it stale).

    One per build: the outputs share most of their inputs (the tool, the layouts, the
    assets), so each folder is listed and each file hashed once, not once per output.
    """

    def __init__(self, project: Project, options: str) -> None:
        self.project = project
        self.options = options
        self._listed: dict[Path, list[Path]] = {}
        self._hashed: dict[Path, bytes] = {}

    def __call__(
        self,
        kind: str,
        options: str = "",
        *,
        card: str | None = None,
        cards: list[str] | None = None,
    ) -> str:
        project = self.project
        common = [
            *self._files(TOOL),
            *project.layouts.files(kind),
            *self._files(project.root / "assets"),
        ]
        if project.settings.path:
            common.append(Path(project.settings.path))
        extra = f"{__version__}|{kind}|{self.options}{options}|{project.space}|{project.source}"
        if card is not None:
            return self._digest([*common, *self._card_sources(card)], extra)
        if cards is not None:
            sources = [p for name in cards for p in self._card_sources(name)]
            return self._digest([*common, *project.layouts.files("cards"), *sources], extra)
        pages = [
            p
            for p in self._files(project.source)
            if "cards" not in p.relative_to(project.source).parts
        ]
        return self._digest([*common, *pages], extra)

    def _files(self, folder: Path) -> list[Path]:
        if folder not in self._listed:
            self._listed[folder] = _files(folder)
        return self._listed[folder]

    def _digest(self, paths: list[Path], extra: str) -> str:
        h = hashlib.sha256(extra.encode())
        for p in paths:
            if p not in self._hashed:
                self._hashed[p] = hashlib.sha256(p.read_bytes()).digest()
            h.update(str(p).encode())
            h.update(self._hashed[p])
        return h.hexdigest()

    def _card_sources(self, name: str) -> list[Path]:
        """A card file and the pages it includes (one level is enough for our cards)."""
        source = self.project.source
        card = source / "cards" / f"{name}.md"
        found = [card] if card.is_file() else []
        if card.is_file():
            for target in INCLUDE.findall(card.read_text(encoding="utf-8", errors="replace")):
                path = (card.parent / target).resolve()
                if path.is_file() and path.is_relative_to(source):
                    found.append(path)
        return [*found, *self._files(source / ".gitbook" / "assets")]
