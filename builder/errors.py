"""One exception family: every user mistake is a GuideError with file, line and a hint."""

from __future__ import annotations

from pathlib import Path


class GuideError(Exception):
    """A problem the user can fix; printed as one line, exit code 1."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


class ConfigError(GuideError):
    """guideprint.toml or a card's front matter is wrong."""


class ContentError(GuideError):
    """A page, SUMMARY.md, an include or an image is wrong."""


class RenderError(GuideError):
    """A document cannot be rendered as asked (e.g. a card does not fit)."""


class OutputError(GuideError):
    """An output cannot be written (unwritable out/, another build holds the lock)."""


class InputError(GuideError):
    """A data file given on the command line (welcome CSV) is wrong."""
