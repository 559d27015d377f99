"""What each output was really made from: the build's ledger (out/.guideprint-ledger.json).

For each output: every input the read gate recorded while reading and rendering it (pages,
includes at any depth, images, layouts, settings, listings, files looked for and absent),
with its hash, size and mtime; the output's own hash and size; the options it was made with;
and the diagnostics that build produced. An output is up to date when every input is
unchanged *and* the file in out/ is the one recorded; then its diagnostics are replayed.

Checked without WeasyPrint and mostly without reading: an input whose size and mtime are
the recorded ones is taken as unchanged, unless it was modified within RACY_NS of being read
(git's "racy" rule: a second save in the same clock tick keeps size and mtime), in which
case it is hashed again. Like git refreshing its index, a build that found everything up to
date by hashing such files records that it checked them then (Ledger.settle): the next one
trusts their stat, and a steady no-op build hashes nothing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from builder import __version__
from builder.diagnostics import Diagnostic
from builder.gate import ABSENT, LINK, REFUSED, Gate, Seen, listing, parse_listing_key
from builder.output import write_text
from builder.record import Record

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any

    from builder.outputs import Made
    from builder.project import Project

LEDGER = ".guideprint-ledger.json"
VERSION = 3  # 3: listings by their names, the tool by its files' stat, not hashes
RACY_NS = 2_000_000_000
TOOL = Path(__file__).resolve().parent


class Entry(Record):
    """One output as it was last made."""

    __slots__ = _fields = ("options", "inputs", "output", "diagnostics", "read_ns")
    options: str
    inputs: dict[str, Seen]
    output: Seen
    diagnostics: list[Diagnostic]
    read_ns: int  # when its inputs were read (the racy rule)

    def __init__(self, options: str, inputs: dict[str, Seen], output: Seen,
                 diagnostics: list[Diagnostic] | None = None,
                 read_ns: int = 0) -> None:  # fmt: skip
        self.options, self.inputs, self.output = options, inputs, output
        self.diagnostics = [] if diagnostics is None else diagnostics
        self.read_ns = read_ns


class Ledger(Record):
    """The outputs of out/ as last made, by their path in out/."""

    _fields = ("tool", "entries", "fonts")  # compared and shown; not _now
    __slots__ = (*_fields, "_now")
    tool: str
    entries: dict[str, Entry]
    # The font set's files as the last build found them (size, mtime): checked by stat, so a
    # no-op asks fontconfig nothing (10 ms); a font replaced by an upgrade makes all stale.
    fonts: dict[str, tuple[int, int]]
    # What fresh() found on disk, shared by the outputs of this build (a ledger is loaded
    # per build): 14 outputs check 246 inputs that are 71 paths and 4 listings.
    _now: Snapshot

    def __init__(self, tool: str = "", entries: dict[str, Entry] | None = None,
                 fonts: dict[str, tuple[int, int]] | None = None,
                 _now: Snapshot | None = None) -> None:  # fmt: skip
        self.tool = tool
        self.entries = {} if entries is None else entries
        self.fonts = {} if fonts is None else fonts
        self._now = Snapshot() if _now is None else _now

    @classmethod
    def load(cls, out: Path) -> Ledger:
        """The ledger of out/; empty when absent, unreadable or of another form (rebuild)."""
        if os.path.islink(out / LEDGER):
            return cls()  # never follow a link: the next save replaces it with the file
        try:
            with open(out / LEDGER, encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("version") != VERSION:
                return cls()
            entries = {str(k): _entry(v) for k, v in dict(data["outputs"]).items()}
            fonts = {str(k): (int(v[0]), int(v[1])) for k, v in dict(data["fonts"]).items()}
            return cls(str(data["tool"]), entries, fonts)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def save(self, out: Path) -> None:
        payload = {
            "version": VERSION,
            "tool": self.tool,
            "fonts": {k: list(v) for k, v in sorted(self.fonts.items())},
            "outputs": {k: _dump(e) for k, e in sorted(self.entries.items())},
        }
        write_text(out / LEDGER, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")

    def fresh(self, key: str, options: str, out: Path, gate: Gate) -> Entry | None:
        """The entry of output key when it is up to date, else None."""
        entry = self.entries.get(key)
        if entry is None or entry.options != options or self.tool != tool_fingerprint():
            return None
        if not self._fonts_unchanged():
            return None
        if not _same(str(out / key), entry.output, entry.read_ns, gate, self._now):
            return None
        if changed(entry.inputs, entry.read_ns, gate, self._now):
            return None
        return entry

    def settle(self, out: Path, keys: list[str]) -> None:
        """After a build that found every output in keys up to date: record that their
        inputs were all checked when this check began, as if read then, so that the next
        build trusts by their stat the files it had to hash now (once they are RACY_NS
        older than this check). Under the build lock, on the ledger as it is then, for the
        entries still as checked; skipped when another build holds the lock. Sound: every
        input of a fresh entry was found unchanged at or after that time."""
        now = self._now
        if not now.hashed or now.started_ns - RACY_NS <= min(now.hashed.values()):
            return  # nothing hashed, or nothing that the next build could trust by stat
        from builder.errors import OutputError
        from builder.output import build_lock

        try:
            with build_lock(out):
                current = Ledger.load(out)
                settled = [k for k in keys if current.entries.get(k) == self.entries.get(k)]
                for key in settled:
                    current.entries[key] = now.settled(current.entries[key], str(out / key))
                if settled:
                    current.save(out)
        except OutputError:
            return  # another build is writing out/: it records its own

    def _fonts_unchanged(self) -> bool:
        if not self.fonts:
            return False  # a ledger of before the fonts were recorded: rebuild
        for path, (size, mtime) in self.fonts.items():
            info = self._now.stat(path)
            if info is None or (info.st_size, info.st_mtime_ns) != (size, mtime):
                return False
        return True

    def record(self, made: list[Made], options: dict[str, str], out: Path, gate: Gate,
               read_ns: int) -> list[Made]:  # fmt: skip
        """Enter each output made and save; return those whose inputs changed while they
        were made (left out: stale for the next build)."""
        from builder.fonts import font_files

        self.tool = tool_fingerprint()
        self.fonts = {}
        for path in map(str, font_files()):
            info = os.stat(path)
            self.fonts[path] = (info.st_size, info.st_mtime_ns)
        moved = []
        now = Snapshot()  # one look for all: every output is made by now
        for one in made:
            self.entries.pop(one.key, None)
            if one.error or one.key not in options:
                continue
            if changed(one.seen, read_ns, gate, now):
                moved.append(one)
                continue
            output = seen_file(out / one.key)
            self.entries[one.key] = Entry(options[one.key], one.seen, output, one.diag, read_ns)
        self.save(out)
        return moved


def changed_warning(inputs: dict[str, Seen], read_ns: int, project: Project) -> Diagnostic:
    """What to say of an output whose input changed while the build read it."""
    path = (changed(inputs, read_ns, project.gate) or ["an input"])[0]
    shown = os.path.relpath(path, project.root) if path.startswith(str(project.root)) else path
    why = f"{shown} changed while the build read it; the output is rebuilt by the next build"
    return Diagnostic("warning", why, hint="run the build again")


def changed(inputs: dict[str, Seen], read_ns: int, gate: Gate, now: Snapshot | None = None
            ) -> list[str]:  # fmt: skip
    """The inputs that are no longer what was read (first one only: enough to say stale).

    now: what an earlier check of the same build found; without it every path is looked at
    again (after rendering: an input saved meanwhile must be seen).
    """
    now = now if now is not None else Snapshot()
    for path, seen in inputs.items():
        if seen.digest.startswith("list:"):
            if now.listing(path, gate) != seen.digest:
                return [path]
        elif seen.digest.startswith(LINK):
            if now.real(path) != seen.digest[len(LINK) :]:
                return [path]
        elif seen.digest == ABSENT:
            if now.exists(path):
                return [path]
        elif seen.digest == REFUSED:
            if now.allows(path, gate):
                return [path]
        elif not _same(path, seen, read_ns, gate, now):
            return [path]
    return []


def _same(path: str, seen: Seen, read_ns: int, gate: Gate, now: Snapshot) -> bool:
    """Is the file at path still the one seen (by size and mtime, else by hash)?"""
    info = now.stat(path)
    if info is None or info.st_size != seen.size:
        return False
    if info.st_mtime_ns == seen.mtime_ns and seen.mtime_ns < read_ns - RACY_NS:
        return True
    return now.digest(path, gate) == seen.digest


class Snapshot:
    """The files as one freshness check finds them, each looked at once: its stat, its
    hash when the racy rule asks for it, a listing, a refusal. Valid for that check only."""

    def __init__(self) -> None:
        self.started_ns = time.time_ns()  # before anything is looked at
        self.hashed: dict[str, int] = {}  # the paths hashed, by their mtime
        self._stat: dict[str, os.stat_result | None] = {}
        self._digest: dict[str, str | None] = {}
        self._listing: dict[str, str] = {}
        self._allows: dict[str, bool] = {}
        self._exists: dict[str, bool] = {}
        self._real: dict[str, str] = {}

    def settled(self, entry: Entry, output: str) -> Entry:
        """entry as checked now: read when this check began, each file hashed with the stat
        it had (a file touched but unchanged, a `git checkout`, is trusted by stat again)."""

        def now(path: str, seen: Seen) -> Seen:
            mtime = self.hashed.get(path)
            return seen if mtime is None else Seen(seen.digest, seen.size, mtime)

        inputs = {path: now(path, seen) for path, seen in entry.inputs.items()}
        return Entry(entry.options, inputs, now(output, entry.output), entry.diagnostics,
                     self.started_ns)  # fmt: skip

    def stat(self, path: str) -> os.stat_result | None:
        if path not in self._stat:
            try:
                self._stat[path] = os.stat(path)
            except OSError:
                self._stat[path] = None
        return self._stat[path]

    def digest(self, path: str, gate: Gate) -> str | None:
        """The content hash, read through the gate; None when refused or unreadable."""
        if path not in self._digest:
            try:
                self._digest[path] = gate.digest(path)
                info = self._stat.get(path)
                self.hashed[path] = info.st_mtime_ns if info is not None else 0
            except Exception:  # refused, unreadable: not the input that was read
                self._digest[path] = None
        return self._digest[path]

    def listing(self, key: str, gate: Gate) -> str:
        """The digest of the listing named key (builder.gate.listing_key), listed again."""
        if key not in self._listing:
            folder, suffix, recursive = parse_listing_key(key)
            self._listing[key] = listing(folder, gate.walk(folder, suffix, recursive=recursive))
        return self._listing[key]

    def allows(self, path: str, gate: Gate) -> bool:
        if path not in self._allows:
            self._allows[path] = gate.allows(path)
        return self._allows[path]

    def real(self, path: str) -> str:
        if path not in self._real:
            self._real[path] = os.path.realpath(path)
        return self._real[path]

    def exists(self, path: str) -> bool:
        if path not in self._exists:
            self._exists[path] = os.path.lexists(path)
        return self._exists[path]


def seen_file(path: Path) -> Seen:
    """An output as it was just written: its hash, size and mtime."""
    import hashlib

    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        return Seen(hashlib.sha256(handle.read()).hexdigest(), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """guideprint itself: its version and the name, size and mtime of each of its files,
    written out (compared, not hashed: ~6 KB in the ledger; the font set is checked apart:
    Ledger.fonts)."""
    lines = [f"{__version__}|{VERSION}|{TOOL}"]
    for path in sorted(_sources(str(TOOL))):
        try:
            info = os.stat(path)
        except OSError:
            continue
        lines.append(f"{os.path.relpath(path, TOOL)}|{info.st_size}|{info.st_mtime_ns}")
    return "\n".join(lines)


def _sources(folder: str) -> Iterator[str]:
    """The .py files below folder, links to folders not followed (Path.rglob's choice), by
    os.scandir: rglob took 0.9 ms of a no-op build for 80 files, this 0.15 ms."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                yield from _sources(entry.path)
        elif entry.name.endswith(".py"):
            yield entry.path


def _entry(data: Any) -> Entry:
    """An entry from its JSON form; TypeError/KeyError/ValueError when it is not one."""
    inputs = {str(k): _seen(v) for k, v in dict(data["inputs"]).items()}
    diagnostics = [
        Diagnostic(str(d[0]), str(d[1]), _opt_str(d[2]), _opt_int(d[3]), _opt_str(d[4]))
        for d in list(data["diagnostics"])
    ]
    return Entry(str(data["options"]), inputs, _seen(data["output"]), diagnostics,
                 int(data["read_ns"]))  # fmt: skip


def _seen(value: Any) -> Seen:
    digest, size, mtime = list(value)
    if not isinstance(digest, str):
        raise TypeError("digest")
    return Seen(digest, int(size), int(mtime))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _dump(entry: Entry) -> dict[str, Any]:
    return {
        "options": entry.options,
        "read_ns": entry.read_ns,
        "output": _dump_seen(entry.output),
        "inputs": {k: _dump_seen(v) for k, v in sorted(entry.inputs.items())},
        "diagnostics": [[d.level, d.message, d.file, d.line, d.hint] for d in entry.diagnostics],
    }


def _dump_seen(seen: Seen) -> list[Any]:
    return [seen.digest, seen.size, seen.mtime_ns]
