"""Every file guideprint reads passes through here: its real path (symlinks followed) must lie
inside an allowed root, and what was read is recorded, with its hash, for the build ledger.

The roots of a run (builder.project.Project.gate): the space being built; the project's
guideprint.toml, layouts/ and assets/; guideprint's own package data; the cache; the fonts of
the font set; the output folder (sheets are imposed from the cards written there). A path
whose real location is elsewhere is refused before it is opened, stat'ed for its content or
hashed: the caller reports the refusal with its file and line.

The gate of a command is made active for the whole run (`activate`); forked workers inherit
it. Library code called without one (tests, `python -c`) gets an open gate that refuses
nothing but still records, so the same code paths run everywhere.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from builder.errors import ContentError
from builder.record import Frozen, Record

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from PIL import Image

ABSENT = "absent"  # a path that was looked for and not found: its appearance makes it stale
REFUSED = "refused"  # a path refused: replacing the link by a file makes it stale
LINK = "link:"  # a path read through a link, by where it led: pointed elsewhere, it is stale


class ReadRefused(ContentError):  # noqa: N818 -- a refusal, not a fault of ours
    """A path whose real location lies outside every allowed root."""


class Seen(Frozen):
    """One input as read: its content hash (or ABSENT, or a listing's hash), size and mtime."""

    __slots__ = _fields = ("digest", "size", "mtime_ns")
    digest: str
    size: int
    mtime_ns: int

    def __init__(self, digest: str, size: int = -1, mtime_ns: int = -1) -> None:
        self._set(digest, size, mtime_ns)


def _real_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Each file's real path: its folder's resolved once (49 fonts in 3 folders: 3
    resolutions, not 49 of 6 components each), the file's own only when it is a link."""
    folders: dict[str, str] = {}
    for path in paths:
        parent, name = os.path.split(os.path.abspath(path))
        if os.path.islink(path):
            yield Path(os.path.realpath(path))
            continue
        if parent not in folders:
            folders[parent] = os.path.realpath(parent)
        yield Path(folders[parent], name)


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


class Gate(Record):
    """The allowed roots and files of a run, and the record of what it read."""

    # Compared, shown and kept by replace(): the five given; _under and _files follow from them.
    _fields = ("roots", "files", "more", "seen", "_scopes")
    __slots__ = (*_fields, "_under", "_files")
    roots: tuple[Path, ...] | None  # None: an open gate (library use), nothing refused
    files: frozenset[Path]
    # Files allowed too, found when first needed (the font set: fontconfig is asked only when
    # something outside the roots is read, never on a no-op build). A module-level function.
    more: Callable[[], Iterable[Path]] | None
    seen: dict[str, Seen]  # every read of this process
    _scopes: list[dict[str, Seen]]
    # The rule by strings: Path.is_relative_to over eight roots was 60 µs a check, a third
    # of a no-op build's gate time. A root as "/its/path/": real + "/" starts with it.
    _under: tuple[str, ...]
    _files: frozenset[str]

    def __init__(
        self,
        roots: tuple[Path, ...] | None = None,
        files: frozenset[Path] = frozenset(),
        more: Callable[[], Iterable[Path]] | None = None,
        seen: dict[str, Seen] | None = None,
        _scopes: list[dict[str, Seen]] | None = None,
    ) -> None:
        self.roots, self.files, self.more = roots, files, more
        self.seen = {} if seen is None else seen
        self._scopes = [] if _scopes is None else _scopes
        self._under = tuple(os.path.join(str(r), "") for r in roots or ())
        self._files = frozenset(map(str, files))

    @classmethod
    def of(cls, roots: Iterable[Path], files: Iterable[Path] = (),
           more: Callable[[], Iterable[Path]] | None = None) -> Gate:  # fmt: skip
        """A gate allowing roots and single files where they stand: a root or a file that is
        itself a link leading elsewhere allows nothing there (its parent's links are followed:
        the project may live under a linked folder)."""
        real = [_real(Path(r).parent) / Path(r).name for r in roots]
        # The filesystem root as a root would allow every file: never meant, always dropped.
        kept = tuple(dict.fromkeys(r for r in real if r != Path(r.anchor)))
        return cls(kept, frozenset(_real(Path(f).parent) / Path(f).name for f in files), more)

    # -- the rule -------------------------------------------------------------------------

    def allows(self, path: Path | str) -> bool:
        """Is path's real location inside an allowed root (or an allowed file)?"""
        return self.roots is None or self._inside(path) is not None

    def _inside(self, path: Path | str) -> str | None:
        """path's real location, when an allowed root holds it or it is an allowed file."""
        try:
            real = os.path.realpath(path)
        except (OSError, ValueError):
            return None
        if real in self._files or self._under_a_root(real):
            return real
        if self.more is not None:
            more, self.more = self.more, None
            found = set(_real_files(more()))
            self.files = self.files | found  # kept by replace(), as the rest
            self._files = self._files | {str(f) for f in found}
            return self._inside(path)
        return None

    def _opened_inside(self, fd: int, real: str, info: os.stat_result) -> bool:
        """Is the file open on fd the one the check allowed? A link (the file's, or a
        folder's on its way) swapped between the check and the open would have led the open
        elsewhere: the kernel's name of the open file says where (Linux), else its inode
        is the checked path's."""
        if self.roots is None:
            return True
        try:
            opened = os.readlink(f"/proc/self/fd/{fd}")
            if opened.endswith(" (deleted)") and os.fstat(fd).st_nlink == 0:
                opened = opened[: -len(" (deleted)")]  # saved over since (an editor's rename)
        except OSError:  # no /proc: the inode of what is there now, by the checked path
            try:
                there = os.stat(real)
            except OSError:
                return False
            return (there.st_dev, there.st_ino) == (info.st_dev, info.st_ino)
        return opened == real or opened in self._files or self._under_a_root(opened)

    def _under_a_root(self, path: str) -> bool:
        """Is this absolute path, as written, inside one of the roots (by strings)?"""
        return any((path + os.sep).startswith(u) for u in self._under)

    def _note_link(self, path: Path | str, real: str) -> None:
        """A path of the roots that leads elsewhere through a link (its own, or a folder's
        on the way) is an input by where it leads: the link pointed at another file of the
        space (`vpn.md -> versions/vpn-2027.md`) makes what read it stale, though no file
        changed. A project under a linked folder records nothing: its paths are not named
        inside the roots' real paths."""
        named = os.path.abspath(path)
        if named != real and self._under_a_root(named):
            # Recorded only when the ledger will find the same by that name: `sub/../x.md`
            # through a linked sub/ names x.md by its text, not where the link led.
            if os.path.realpath(named) == real:
                self._record_key(named, Seen(LINK + real))

    def followed(self, path: Path | str) -> Path:
        """path with its links followed (Path.resolve), a link inside the roots recorded
        as an input by where it leads (see _note_link): for callers that name files by
        their real path (a page of SUMMARY.md), the link they went through is not lost."""
        real = os.path.realpath(path)
        self._note_link(path, real)
        return Path(real)

    def check(self, path: Path | str, *, what: str = "file") -> Path:
        """path itself when allowed; else ReadRefused naming where it really points."""
        self._check(path, what)
        return Path(path)

    def _check(self, path: Path | str, what: str) -> str:
        """The real location of an allowed path; else the refusal, recorded and raised."""
        real = os.path.realpath(path) if self.roots is None else self._inside(path)
        if real is not None:
            self._note_link(path, real)
            return real
        self._record_key(os.path.abspath(path), Seen(REFUSED))
        raise ReadRefused(
            f"{what} refused: {Path(path).name} leads outside the space and the project",
            hint="keep files inside the space, or copy the file there",
        )

    # -- reads ----------------------------------------------------------------------------

    def read_bytes(self, path: Path | str, *, what: str = "file") -> bytes:
        """The bytes of an allowed file, recorded with their hash."""
        return self._read(path, what)[0]

    def digest(self, path: Path | str, *, what: str = "file") -> str:
        """The content hash of an allowed file, read and recorded as read_bytes does."""
        return self._read(path, what)[1].digest

    def read_hashed(self, path: Path | str, *, what: str = "file") -> tuple[bytes, str]:
        """The bytes of an allowed file and their hash (SHA-256, hex), hashed once."""
        data, seen = self._read(path, what)
        return data, seen.digest

    def read_hint(self, path: Path | str) -> bytes | None:
        """A file the build wrote for itself, checked as every read is and never recorded:
        not an input but a guess the build verifies (where a layout's page references
        landed, rewritten by every build) or an entry named by what it is made from (a
        cleaned emoji font, sealed). None when missing, refused or a link."""
        if not self.allows(path) or os.path.islink(path):
            return None
        try:
            return self._read(path, "hint", record=False)[0]
        except (ContentError, OSError):
            return None

    def _read(self, path: Path | str, what: str, *, record: bool = True) -> tuple[bytes, Seen]:
        real = self._check(path, what)
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not self._opened_inside(handle.fileno(), real, info):
                self._record_key(os.path.abspath(path), Seen(REFUSED))
                raise ReadRefused(
                    f"{what} refused: {Path(path).name} was replaced by a link leading "
                    "outside the space and the project while it was read",
                    hint="keep files inside the space; build again once nothing moves them",
                )
            data = handle.read()
        seen = Seen(_digest(data), info.st_size, info.st_mtime_ns)
        if record:
            self._record_key(real, seen)
        return data, seen

    def read_text(self, path: Path | str, *, what: str = "file", errors: str = "strict") -> str:
        """An allowed file as UTF-8 text (UnicodeDecodeError when it is not, unless errors)."""
        return self.read_bytes(path, what=what).decode("utf-8", errors)

    def open_image(self, path: Path | str) -> Image.Image:
        """An allowed image, opened by Pillow from the bytes read here (never by name)."""
        from PIL import Image

        return Image.open(io.BytesIO(self.read_bytes(path, what="image")))

    # -- looking without reading ----------------------------------------------------------

    def kind(self, path: Path | str) -> str:
        """ "file", "dir", "missing" or "refused"; a missing path is recorded as absent."""
        if not self.allows(path):
            self._record_key(os.path.abspath(path), Seen(REFUSED))
            return "refused"
        try:
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            self._record(_real(path), Seen(ABSENT))
            return "missing"
        return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "missing"

    def is_file(self, path: Path | str) -> bool:
        """An allowed regular file (a refused or missing one is not)."""
        return self.kind(path) == "file"

    def is_dir(self, path: Path | str) -> bool:
        """An allowed folder."""
        return self.kind(path) == "dir"

    def walk(self, folder: Path, suffix: str = "", *, recursive: bool = True) -> list[Path]:
        """The files below folder (by their names there), sorted; hidden folders skipped.

        Entries that lead outside are listed all the same: reading them is what is
        refused, with a message. Links to folders are not followed (no loops). The listing
        is recorded, so that a page added or removed makes the outputs stale.
        """
        if not self.is_dir(folder):
            return []
        found: list[Path] = []
        pending = [Path(folder)]
        while pending:
            current = pending.pop()
            try:
                entries = list(os.scandir(current))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if recursive and not entry.name.startswith(".") and entry.name != "__pycache__":
                        pending.append(Path(entry.path))
                elif entry.name.endswith(suffix):
                    found.append(Path(entry.path))
        found.sort()
        self._record_key(listing_key(folder, suffix, recursive), Seen(listing(folder, found)))
        return found

    # -- the record -----------------------------------------------------------------------

    def _record(self, real: Path, seen: Seen) -> None:
        self._record_key(str(real), seen)

    def _record_key(self, key: str, seen: Seen) -> None:
        self.seen[key] = seen
        for scope in self._scopes:
            scope[key] = seen

    def note(self, seen: dict[str, Seen]) -> None:
        """Record reads a forked worker made through its copy of this gate."""
        for key, one in seen.items():
            self._record_key(key, one)

    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[str, Seen]]:
        """Collect what the block reads (nested blocks collect into every open scope)."""
        scope: dict[str, Seen] = {}
        self._scopes.append(scope)
        try:
            yield scope
        finally:
            # By identity: list.remove compares dicts by value, and an inner block that read
            # what the outer one did would take the outer's place (then fail to leave).
            self._scopes[:] = [s for s in self._scopes if s is not scope]


def listing_key(folder: Path, suffix: str, recursive: bool) -> str:
    """How a listing is named in the record: its real folder, what was listed and how."""
    return f"{_real(folder)}{os.sep}*{suffix}{'' if recursive else ' (top)'}"


def parse_listing_key(key: str) -> tuple[Path, str, bool]:
    """The folder, suffix and recursion of a listing key (see listing_key)."""
    recursive = not key.endswith(" (top)")
    head = key if recursive else key[: -len(" (top)")]
    folder, _, suffix = head.rpartition(os.sep + "*")
    return Path(folder), suffix, recursive


def listing(folder: Path, found: list[Path]) -> str:
    """A listing as the ledger keeps it: the names found, relative to the folder listed.
    The names themselves, not their hash: exact, and a no-op build hashes nothing."""
    return "list:" + "\0".join(os.path.relpath(p, folder) for p in found)


def _digest(data: bytes) -> str:
    import hashlib  # OpenSSL's, loaded when a file is read (2.5 ms a no-op does not pay)

    return hashlib.sha256(data).hexdigest()


_OPEN = Gate()
_active: Gate | None = None


def current() -> Gate:
    """The gate of this run (an open one when no command made one active)."""
    return _active if _active is not None else _OPEN


def is_active() -> bool:
    """Has a command made a gate active in this process?"""
    return _active is not None


def install(gate: Gate) -> None:
    """Make gate the one of this process for good (a worker process that serves one run)."""
    global _active
    _active = gate


@contextlib.contextmanager
def activate(gate: Gate) -> Iterator[Gate]:
    """Make gate the one every read of this process goes through, for the block."""
    global _active
    previous, _active = _active, gate
    try:
        yield gate
    finally:
        _active = previous
