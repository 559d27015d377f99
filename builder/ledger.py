"""What each output was really made from: the build's ledger (out/.guideprint-ledger.json).

For each output: every input the read gate recorded while reading and rendering it (pages,
includes at any depth, images, layouts, settings, listings, files looked for and absent),
with its hash, size and mtime; the output's own hash and size; the options it was made with;
and the diagnostics that build produced. An output is up to date when every input is
unchanged *and* the file in out/ is the one recorded; then its diagnostics are replayed.

Checked without WeasyPrint and mostly without reading: an input whose size and mtime are
the recorded ones is taken as unchanged, unless it was modified within RACY_NS of being read
(git's "racy" rule: a second save in the same clock tick keeps size and mtime), in which
case it is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder import __version__
from builder.diagnostics import Diagnostic
from builder.gate import ABSENT, REFUSED, Gate, Seen, listing, parse_listing_key
from builder.output import write_text

if TYPE_CHECKING:
    from builder.outputs import Made
    from builder.project import Project

LEDGER = ".guideprint-ledger.json"
VERSION = 2
RACY_NS = 2_000_000_000
TOOL = Path(__file__).resolve().parent


@dataclass
class Entry:
    """One output as it was last made."""

    options: str
    inputs: dict[str, Seen]
    output: Seen
    diagnostics: list[Diagnostic] = field(default_factory=list)
    read_ns: int = 0  # when its inputs were read (the racy rule)


@dataclass
class Ledger:
    tool: str = ""
    entries: dict[str, Entry] = field(default_factory=dict)

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
            return cls(str(data["tool"]), entries)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return cls()

    def save(self, out: Path) -> None:
        payload = {
            "version": VERSION,
            "tool": self.tool,
            "outputs": {k: _dump(e) for k, e in sorted(self.entries.items())},
        }
        write_text(out / LEDGER, json.dumps(payload, indent=1, ensure_ascii=False) + "\n")

    def fresh(self, key: str, options: str, out: Path, gate: Gate) -> Entry | None:
        """The entry of output key when it is up to date, else None."""
        entry = self.entries.get(key)
        if entry is None or entry.options != options or self.tool != tool_fingerprint():
            return None
        if not _same(out / key, entry.output, entry.read_ns, gate):
            return None
        if changed(entry.inputs, entry.read_ns, gate):
            return None
        return entry

    def record(self, made: list[Made], options: dict[str, str], out: Path, gate: Gate,
               read_ns: int) -> list[Made]:  # fmt: skip
        """Enter each output made and save; return those whose inputs changed while they
        were made (left out: stale for the next build)."""
        self.tool = tool_fingerprint()
        moved = []
        for one in made:
            self.entries.pop(one.key, None)
            if one.error or one.key not in options:
                continue
            if changed(one.seen, read_ns, gate):
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


def changed(inputs: dict[str, Seen], read_ns: int, gate: Gate) -> list[str]:
    """The inputs that are no longer what was read (first one only: enough to say stale)."""
    for path, seen in inputs.items():
        if seen.digest.startswith("list:"):
            folder, suffix, recursive = parse_listing_key(path)
            found = gate.walk(folder, suffix, recursive=recursive)
            if listing(folder, found) != seen.digest:
                return [path]
        elif seen.digest == ABSENT:
            if os.path.lexists(path):
                return [path]
        elif seen.digest == REFUSED:
            if gate.allows(path):
                return [path]
        elif not _same(Path(path), seen, read_ns, gate):
            return [path]
    return []


def _same(path: Path, seen: Seen, read_ns: int, gate: Gate) -> bool:
    """Is the file at path still the one seen (by size and mtime, else by hash)?"""
    try:
        info = os.stat(path)
    except OSError:
        return False
    if info.st_size != seen.size:
        return False
    if info.st_mtime_ns == seen.mtime_ns and seen.mtime_ns < read_ns - RACY_NS:
        return True
    try:
        return hashlib.sha256(gate.read_bytes(path)).hexdigest() == seen.digest
    except Exception:  # refused, unreadable: not the input that was read
        return False


def seen_file(path: Path) -> Seen:
    """An output as it was just written: its hash, size and mtime."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        return Seen(hashlib.sha256(handle.read()).hexdigest(), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=1)
def tool_fingerprint() -> str:
    """guideprint itself and the font set, by version, name, size and mtime of each file."""
    from builder.fonts import font_files

    h = hashlib.sha256(f"{__version__}|{VERSION}".encode())
    files = sorted(p for p in TOOL.rglob("*.py") if "__pycache__" not in p.parts)
    for path in [*files, *font_files()]:
        try:
            info = os.stat(path)
        except OSError:
            continue
        h.update(f"{path}|{info.st_size}|{info.st_mtime_ns}\0".encode())
    return h.hexdigest()


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
