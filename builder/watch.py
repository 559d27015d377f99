"""guideprint build --watch: rebuild on every save, with the build's own staleness rules.

A change anywhere the outputs are made from (the space, layouts/, assets/, guideprint.toml)
starts `builder.build.build` again; the ledger then decides what is stale, so saving a
card re-renders that card and its sheets only. A stat poll, not a file-system notification
library: a few hundred files cost about a millisecond a poll, and it needs no dependency.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from builder.config import SETTINGS_FILE
from builder.diagnostics import Diagnostics
from builder.errors import GuideError
from builder.gate import activate
from builder.outputs import BuildRequest
from builder.project import Project

LOG = logging.getLogger("guideprint")
POLL_S = 0.5  # between two looks at the files
SETTLE_S = 0.1  # editors save in several steps (temp file, rename): let them finish
EDITOR_TEMP = ("~", ".swp", ".swx", ".tmp", ".part")

Stamp = tuple[int, int]  # mtime in ns, size
Snapshot = dict[str, Stamp]


@dataclass
class Poller:
    """Tell which watched files changed since the last look (added, removed or modified)."""

    roots: list[Path]
    skip: list[Path] = field(default_factory=list)
    interval: float = POLL_S
    settle: float = SETTLE_S
    last: Snapshot = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.last = self.snapshot()

    def snapshot(self) -> Snapshot:
        """mtime and size of every watched file."""
        found: Snapshot = {}
        for root in self.roots:
            if root.is_file():
                _stamp(found, str(root))
            elif root.is_dir():
                self._walk(root, found)
        return found

    def _walk(self, root: Path, found: Snapshot) -> None:
        skip = {str(p) for p in self.skip}
        for folder, dirs, files in os.walk(root):
            dirs[:] = [
                d for d in dirs if d != "__pycache__" and os.path.join(folder, d) not in skip
            ]
            for name in files:
                if not _editor_temp(name):
                    _stamp(found, os.path.join(folder, name))

    def changed(self) -> list[str]:
        """Files that differ from the last look (and make this look the new reference)."""
        now = self.snapshot()
        if now == self.last:
            return []
        if self.settle:
            time.sleep(self.settle)
            now = self.snapshot()
        names = sorted(k for k in now.keys() | self.last.keys() if now.get(k) != self.last.get(k))
        self.last = now
        return names

    def wait(self) -> list[str]:
        """Block until something changed; return what."""
        while True:
            time.sleep(self.interval)
            names = self.changed()
            if names:
                return names


def watched(project: Project) -> list[Path]:
    """What the outputs are made from, the ledger records as read (builder code aside)."""
    roots = [project.source, project.root / "layouts", project.root / "assets"]
    roots.append(project.root / SETTINGS_FILE)
    if project.settings.path:
        roots.append(Path(project.settings.path))
    return list(dict.fromkeys(roots))


def watch(
    project: Project,
    request: BuildRequest,
    diag: Diagnostics,
    *,
    reload: Callable[[], Project] | None = None,
    changes: Callable[[], list[str]] | None = None,
    max_cycles: int | None = None,
) -> int:
    """Build, then rebuild after every change until Ctrl-C (exit 0).

    `reload` makes the project again after a change (guideprint.toml may have changed);
    `changes` blocks until files changed and returns them (default: a stat poll every
    0.5 s); `max_cycles` stops after that many rebuilds (tests). Each build gets its own
    Diagnostics, so a mistake fixed on the next save is forgotten; errors are logged as one
    line and watching goes on.
    """
    if changes is None:
        changes = Poller(watched(project), skip=[project.out, project.cache]).wait
    LOG.warning("watching %s; Ctrl-C to stop", _names(watched(project), project.root))
    cycles = 0
    try:
        _cycle(project, request)
        while max_cycles is None or cycles < max_cycles:
            names = changes()
            cycles += 1
            LOG.warning("changed: %s", _names([Path(n) for n in names], project.root))
            project = _reload(project, reload)
            _cycle(project, request)
    except KeyboardInterrupt:
        LOG.warning("stopped watching")
    return 0


def _cycle(project: Project, request: BuildRequest) -> None:
    """One build; whatever goes wrong is logged, never raised (but Ctrl-C)."""
    from builder import build as build_mod  # looked up each time: tests replace it

    diag = Diagnostics()
    try:
        with activate(project.gate):
            build_mod.build(project, request, diag)
    except GuideError as exc:
        LOG.error("%s", exc)
    except Exception:  # a bug: its traceback, and the next save tries again
        LOG.error("%s", traceback.format_exc().rstrip())
    if diag.items:
        LOG.warning("%d error(s), %d warning(s)", len(diag.errors), len(diag.warnings))


def _reload(project: Project, reload: Callable[[], Project] | None) -> Project:
    """The project again (guideprint.toml may have changed); the old one if it is now wrong."""
    if reload is None:
        return project
    try:
        return reload()
    except GuideError as exc:
        LOG.error("%s", exc)
        return project


def _editor_temp(name: str) -> bool:
    return name.endswith(EDITOR_TEMP) or name.startswith((".#", ".guideprint"))


def _stamp(found: Snapshot, path: str) -> None:
    try:
        st = os.stat(path)
    except OSError:
        return  # removed between listing and stat: the next look sees it gone
    found[path] = (st.st_mtime_ns, st.st_size)


def _names(paths: list[Path], root: Path) -> str:
    shown = [p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in paths]
    more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
    return ", ".join(shown[:5]) + more
