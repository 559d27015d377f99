"""One exception family: every user mistake is a GuideError with file, line and a hint."""

from __future__ import annotations

from pathlib import Path

# C0 and C1 controls (ESC starts terminal commands: an `ESC[2J` in a file name clears the
# screen), line and paragraph separators, and the bidi controls that reorder what is shown.
_UNSAFE = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A translation table, not a regular expression: compiling that one was 0.6 ms of every start.
_ESCAPED = {
    code: _NAMED.get(chr(code)) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    for code in _UNSAFE
}


def printable(text: str) -> str:
    """text safe to print on one terminal line: control characters shown as \\x1b, \\n."""
    return text.translate(_ESCAPED)


def one_line(message: str, file: str | None, line: int | None, hint: str | None) -> str:
    """The user's view of a problem: `file:line: message (hint)`, control characters escaped."""
    where = ""
    if file:
        where = f"{file}:{line}: " if line else f"{file}: "
    return printable(f"{where}{message}" + (f" ({hint})" if hint else ""))


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
        return one_line(self.message, self.file, self.line, self.hint)


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


class UsageError(GuideError):
    """The command line names something that does not exist (--card nosuchcard); exit code 2."""
