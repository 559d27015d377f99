"""Warnings and errors collected during a run, with file and line, counted per file."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import GuideError, one_line

LOG = logging.getLogger("guideprint")


@dataclass(frozen=True)
class Diagnostic:
    """One warning or error: where it is, and how to fix it."""

    level: str  # "warning" or "error"
    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        return one_line(self.message, self.file, self.line, self.hint)


@dataclass
class Diagnostics:
    """Collects what a run found; the CLI prints and counts it, --strict makes warnings fatal."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set)

    def warn(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        """Record a warning (logged once, even if reported twice)."""
        self._add(Diagnostic("warning", message, _s(file), line, hint))

    def error(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        """Record an error that does not stop the run at once (the run fails at its end)."""
        self._add(Diagnostic("error", message, _s(file), line, hint))

    def add_error(self, exc: GuideError) -> None:
        """Record a GuideError without raising it."""
        self.error(exc.message, file=exc.file, line=exc.line, hint=exc.hint)

    def _add(self, diag: Diagnostic) -> None:
        if diag in self._seen:
            return
        self._seen.add(diag)
        self.items.append(diag)
        (LOG.error if diag.level == "error" else LOG.warning)("%s", diag)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    def per_file(self) -> dict[str, Counter[str]]:
        """Count errors and warnings per file ("-" for none)."""
        counts: dict[str, Counter[str]] = {}
        for d in self.items:
            counts.setdefault(d.file or "-", Counter())[d.level] += 1
        return counts

    def extend(self, other: Diagnostics) -> None:
        """Take over what another collector found (e.g. from a worker process)."""
        for d in other.items:
            self._add(d)


def _s(file: str | Path | None) -> str | None:
    return str(file) if file is not None else None


class Collected(Diagnostics):
    """Diagnostics kept, not logged: reported later, once, by whoever takes them over."""

    def _add(self, diag: Diagnostic) -> None:
        if diag not in self._seen:
            self._seen.add(diag)
            self.items.append(diag)
