"""Writing outputs safely: temp file in the same folder, renamed into place; a build lock."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from builder.errors import OutputError

# Errors of the output side (disk full, read-only, a folder in the way): one line, not a trace.
WRITE_ERRORS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
     errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG}
)  # fmt: skip


@contextlib.contextmanager
def atomic_path(target: Path, *, hint: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside target; move it into place only if the block succeeds.

    hint: what to do when the folder cannot be written (default: choose another --out).
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"cannot write here: {exc.strerror}", file=folder, hint=hint or "choose another --out"
        ) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
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


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on out_dir for the whole build; a second build is told so."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        handle = open(out_dir / ".guideprint.lock", "a+b")
    except OSError as exc:
        raise OutputError(
            f"cannot write the output folder: {exc.strerror}",
            file=out_dir,
            hint="check its permissions or choose another --out",
        ) from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise OutputError(
                "another guideprint build is writing this folder",
                file=out_dir,
                hint="wait for it to finish, or use another --out",
            ) from exc
        yield
