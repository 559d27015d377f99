"""Warnings and errors collected during a run, with file and line, counted per file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from builder.errors import GuideError, one_line
from builder.record import Frozen, Record

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40  # the standard library's levels
Printer = Callable[[str, int, str], None]  # channel name, level, the line
Listener = Callable[[str, int, str], None]


class Say:
    """guideprint's own lines (warnings, errors, what it does, the build's report), said
    like a logging.Logger says them (`LOG.warning("%s", x)`).

    Printed by the command line: builder.cli installs its printer (the level of -q/-v, the
    "warning:" prefix), and then the standard library's logging is not imported at all — it
    was 5 ms of every start, a tenth of a no-op build. Without a printer (guideprint used as
    a library, a test), each line goes to logging.getLogger(name). Listeners (the serve
    page's failures) hear every line either way. WeasyPrint's own messages stay in logging:
    builder.pdf collects them.
    """

    printer: Printer | None = None
    listeners: list[Listener] = []  # noqa: RUF012 (shared by every channel, on purpose)
    silent = False  # a worker process: the parent says what it found

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, message: str, *args: object) -> None:
        self.say(DEBUG, message, *args)

    def info(self, message: str, *args: object) -> None:
        self.say(INFO, message, *args)

    def warning(self, message: str, *args: object) -> None:
        self.say(WARNING, message, *args)

    def error(self, message: str, *args: object) -> None:
        self.say(ERROR, message, *args)

    def say(self, level: int, message: str, *args: object) -> None:
        if Say.silent:
            return
        text = message % args if args else message
        for listener in list(Say.listeners):
            listener(self.name, level, text)
        if Say.printer is not None:
            Say.printer(self.name, level, text)
        else:
            import logging

            logging.getLogger(self.name).log(level, "%s", text)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """listener hears every line said while the block runs."""
    Say.listeners.append(listener)
    try:
        yield
    finally:
        Say.listeners.remove(listener)


@contextmanager
def printed_by(printer: Printer) -> Iterator[None]:
    """Every line said while the block runs goes to printer (the command line's)."""
    before, Say.printer = Say.printer, printer
    try:
        yield
    finally:
        Say.printer = before


def silence() -> None:
    """Say nothing more in this process (a worker: the parent reports what it found)."""
    Say.silent = True


LOG = Say("guideprint")
STATUS = Say("guideprint.status")  # information printed without "warning:", hidden by -q


class Diagnostic(Frozen):
    """One warning or error: where it is, and how to fix it."""

    __slots__ = _fields = ("level", "message", "file", "line", "hint")
    level: str  # "warning" or "error"
    message: str
    file: str | None
    line: int | None
    hint: str | None

    def __init__(self, level: str, message: str, file: str | None = None,
                 line: int | None = None, hint: str | None = None) -> None:  # fmt: skip
        self._set(level, message, file, line, hint)

    def __str__(self) -> str:
        return one_line(self.message, self.file, self.line, self.hint)


class Diagnostics(Record):
    """Collects what a run found; the CLI prints and counts it, --strict makes warnings fatal."""

    __slots__ = _fields = ("items", "_seen")
    items: list[Diagnostic]
    _seen: set[Diagnostic]

    def __init__(self, items: list[Diagnostic] | None = None,
                 _seen: set[Diagnostic] | None = None) -> None:  # fmt: skip
        self.items = [] if items is None else items
        self._seen = set() if _seen is None else _seen

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


def place(where: str) -> tuple[str, int | None]:
    """A place written "page.md:12" (or "page.md", "manual") as its file and its line."""
    file, sep, line = where.rpartition(":")
    return (file, int(line)) if sep and line.isdecimal() else (where, None)


def _s(file: str | Path | None) -> str | None:
    return str(file) if file is not None else None


class Collected(Diagnostics):
    """Diagnostics kept, not logged: reported later, once, by whoever takes them over."""

    def _add(self, diag: Diagnostic) -> None:
        if diag not in self._seen:
            self._seen.add(diag)
            self.items.append(diag)
