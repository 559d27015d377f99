"""Writing outputs safely: temp file in the same folder, renamed into place; a build lock."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from builder.errors import OutputError

# Errors of the output side (disk full, read-only, a folder in the way): one line, not a trace.
WRITE_ERRORS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
     errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG}
)  # fmt: skip
# What atomic_path leaves when its process is killed: `.<name>.<mkstemp's 8 characters>.part`.
LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.part")


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


def clean_leftovers(folder: Path, before: float) -> list[Path]:
    """Remove the temporary files of killed builds under folder, older than before; return them.

    Call only with folder's build lock held: no other build writes there, so a temporary file
    from before the lock was taken is nobody's.
    """
    removed = []
    for parent, _, names in os.walk(folder):  # symbolic links to folders are not followed
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
        clean_leftovers(out_dir, time.time())
        yield
    finally:
        lock.release()
