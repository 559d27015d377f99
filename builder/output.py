"""Writing outputs safely: temp file in the same folder, renamed into place; a build lock."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from builder.errors import GuideError, OutputError

# Errors of the output side (disk full, read-only, a folder in the way): one line, not a trace.
WRITE_ERRORS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
     errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG}
)  # fmt: skip
# What atomic_path leaves when its process is killed: `.<name>.<mkstemp's 8 characters>.part`,
# name one a build writes in an output folder (a PDF, an e-mail draft, a ledger): --out may be
# a folder of the user's (their Desktop) where another program's `.report.docx.x1y2z3w4.part`
# is a download under way, not ours to remove.
LEFTOVER = re.compile(r"\..+\.(?:pdf|eml|json|pdfpart|pdfpart\.sha256)\.[a-z0-9_]{8}\.part")
# The deepest folders a build writes, below the output folder: print/imprimeur/,
# welcome/<person>/, .guideprint-steps/sheets/, .guideprint-steps/parts-manual/ (a manual's
# parts, builder.manual.parts). Nothing deeper is looked at (an --out that
# holds a user's whole tree is not walked).
LEFTOVER_DEPTH = 2


_interrupted = False


def _on_interrupt(signum: int, frame: object) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def catch_interrupts() -> None:
    """Remember a Ctrl-C even when a library catches it: nothing is put in place after it."""
    import signal

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_interrupt)


@contextlib.contextmanager
def atomic_path(target: Path, *, hint: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside target; move it into place only if the block succeeds.

    hint: what to do when the folder cannot be written (default: choose another --out).
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile  # here: with shutil, 2 ms of a start that writes nothing

        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"cannot write here: {exc.strerror}", file=folder, hint=hint or "choose another --out"
        ) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if _interrupted:  # Ctrl-C that a library caught (WeasyPrint drawing an SVG): not whole
            raise KeyboardInterrupt
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno not in WRITE_ERRORS:
            raise
        raise OutputError(
            f"cannot write {target.name}: {exc.strerror or exc}",
            file=target.parent,
            hint=hint
            or "the previous file, if any, is untouched; free space or choose another --out",
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: Path, data: bytes, *, hint: str | None = None) -> None:
    """Write data to target atomically."""
    with atomic_path(target, hint=hint) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str, *, hint: str | None = None) -> None:
    """Write UTF-8 text to target atomically."""
    write_bytes(target, text.encode("utf-8"), hint=hint)


def seal(entry: Path, digest: str) -> str:
    """The sidecar of a cache entry this build just put in place: its hash, and the inode and
    change time the kernel gave the file. The change time is set by the kernel at each write,
    never by a user: an entry made elsewhere (a cache folder committed to the repository,
    copied or unpacked in) matches no sidecar, however it was forged, and is made again.
    The cost: what moves a file's change time without changing its bytes (a hard-link
    backup, a chmod, a sync client's extended attributes) makes the entry once more too."""
    info = os.stat(entry)
    return f"{digest} {info.st_ino} {info.st_ctime_ns}\n"


def sealed(entry: Path, digest: str, sidecar: str) -> bool:
    """Is entry, whose bytes hash to digest, the one its sidecar (seal) was written for?"""
    try:
        info = os.stat(entry)
    except OSError:
        return False
    return sidecar.split() == [digest, str(info.st_ino), str(info.st_ctime_ns)]


def sidecar(entry: Path) -> Path:
    """Where the seal of a cache entry is written (seal)."""
    return entry.with_name(entry.name + ".sha256")


def kept(entry: Path, digest: str | None = None) -> bytes | None:
    """The bytes of a cache entry this machine wrote and sealed (keep), else None. Read
    through the gate but not recorded: an entry is named by what it is made from, not an
    input (the manual's and the booklet's processes may both write it in one build; one made
    again would be an input "changed while the build read it"). digest: what the seal was
    written for, when not the entry's own bytes (a note about another file's)."""
    import hashlib

    from builder.gate import current

    gate = current()
    data, said = gate.read_hint(entry), gate.read_hint(sidecar(entry))
    if data is None or said is None:
        return None
    digest = digest or hashlib.sha256(data).hexdigest()
    return data if sealed(entry, digest, said.decode("latin-1")) else None


def keep(entry: Path, data: bytes, *, digest: str | None = None) -> None:
    """Write a cache entry and its seal (digest: as for kept), if it can be written: an
    entry not kept (a full disk, a cache folder in the way) is made again next time."""
    import hashlib

    try:
        write_bytes(entry, data)
        write_text(sidecar(entry), seal(entry, digest or hashlib.sha256(data).hexdigest()))
    except (GuideError, OSError):
        pass


def hint_json(path: Path) -> object:
    """What a file the build wrote for itself holds as JSON (Gate.read_hint); None when it
    is missing or not JSON (junk, or nested past Python's stack)."""
    import json

    from builder.gate import current

    data = current().read_hint(path)
    try:
        return json.loads(data) if data else None
    except (ValueError, RecursionError):
        return None


def clean_leftovers(folder: Path, before: float) -> list[Path]:
    """Remove the temporary files of killed builds under folder, older than before; return them.
    Only names a build leaves (LEFTOVER), in the folders it writes (LEFTOVER_DEPTH).

    Call only with folder's build lock held: no other build writes there, so a temporary file
    from before the lock was taken is nobody's.
    """
    removed = []
    for parent, folders, names in os.walk(folder):  # links to folders are not followed
        if len(Path(parent).relative_to(folder).parts) >= LEFTOVER_DEPTH:
            folders.clear()
        for name in filter(LEFTOVER.fullmatch, names):
            path = Path(parent, name)
            with contextlib.suppress(OSError):  # gone already, or not ours to remove: harmless
                if not path.is_symlink() and path.is_file() and path.stat().st_mtime < before:
                    path.unlink()
                    removed.append(path)
    return removed


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on out_dir for the whole build; a second build is told so.

    filelock: flock(2) on POSIX, LockFileEx on Windows. It opens the lock file with
    O_NOFOLLOW (created with O_EXCL), so a link put there between our check and its open
    fails the open instead of creating or locking a file elsewhere. Imported here: 14 ms
    that `check`, `list` and a no-op build's start-up do not pay.
    """
    from filelock import FileLock, Timeout

    path = out_dir / ".guideprint.lock"
    lock = FileLock(path, timeout=0)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():  # never ours: opening it would open (or create) a file elsewhere
            path.unlink()
        lock.acquire()
    except Timeout as exc:  # an OSError too: first
        raise OutputError(
            "another guideprint build is writing this folder",
            file=out_dir,
            hint="wait for it to finish, or use another --out",
        ) from exc
    except OSError as exc:
        raise OutputError(
            f"cannot write the output folder: {exc.strerror or exc}",
            file=out_dir,
            hint="check its permissions or choose another --out",
        ) from exc
    try:
        refuse_links_out(out_dir)
        clean_leftovers(out_dir, time.time())
        yield
    finally:
        lock.release()


# The folders of an output folder a build writes into (builder.outputs.KINDS' paths, the
# welcome packs, the steps): only these are checked, the rest of a user's --out is theirs.
WRITTEN = ("cards", "print", "print/imprimeur", "welcome", ".guideprint-steps",
           ".guideprint-steps/bleed", ".guideprint-steps/sheets")  # fmt: skip
WRITTEN_BELOW = ("welcome",)  # and each folder in it (welcome/<person>/)


def refuse_links_out(out_dir: Path) -> None:
    """A folder of out_dir a build writes into (WRITTEN: cards/, print/imprimeur/,
    welcome/<person>/...) that is a link leading out of it would carry the outputs elsewhere,
    replacing files there (a repository that commits `out/cards` as a link to
    `../../Documents`): refused, as out_dir itself is when it is a link (builder.project);
    --out says where to write. A link of the user's elsewhere in --out (their Desktop's
    `Photos -> /data/photos`) is none of the build's business."""
    real = os.path.join(os.path.realpath(out_dir), "")
    folders = [out_dir / name for name in WRITTEN]
    for name in WRITTEN_BELOW:
        below = out_dir / name
        if below.is_dir() and not below.is_symlink():
            with contextlib.suppress(OSError):
                folders += [p for p in below.iterdir() if p.is_dir()]
    for path in folders:
        if path.is_symlink() and not os.path.join(os.path.realpath(path), "").startswith(real):
            shown = path.relative_to(out_dir).as_posix()
            raise OutputError(
                f"{shown}/ refused: it is a link leading outside the output folder",
                file=path,
                hint="replace the link with the folder itself, or give --out",
            )
