"""WeasyPrint's C declarations, parsed once per machine instead of at every start.

WeasyPrint reaches Pango, HarfBuzz and fontconfig through cffi in its "in-line ABI mode":
`ffi.cdef()` parses 450 lines of C declarations with pycparser at every import, 0.25 s of
the 0.7 s `import weasyprint` costs here, in each new process (a build, a worker, a test).
cffi's "out-of-line ABI mode" is the same declarations parsed once and kept as data (cffi's
own `emit_python_code`), then loaded with no parser at all: the FFI it makes is the same
compiled type cffi's in-line one wraps, and opens the same libraries.

`declared_once()` is held around `import weasyprint`. The first time (per WeasyPrint, cffi
and Python version) it lets cffi parse, records the declarations, and writes them to the
user's cache (XDG, `~/.cache/guideprint/`) by cffi's emitter; afterwards `cffi.FFI()` in
weasyprint.text.ffi returns the FFI made from the cache, whose `cdef()` only checks it is given
the declarations it was made from. Anything unexpected (no cache folder, an unreadable or
foreign file, other declarations) falls back to cffi's own parse: slower, never different.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from builder.resources import installed_source

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any, ClassVar

FORMAT = 1  # of the cache file: marshal of (declarations' hash, code making `ffi`)
_LINE = "import _cffi_backend\n"  # the emitted module's import, replaced by ours


class StaleError(ImportError):
    """The cached declarations are not the ones WeasyPrint declares: parse them again."""


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def cache_file() -> Path | None:
    """Where the declarations of the installed WeasyPrint are kept; None when unknown."""
    source = installed_source("weasyprint", "text/ffi.py")
    if source is None:
        return None
    import cffi

    key = _sha(b"\0".join([source, cffi.__version__.encode(), sys.version.encode(),
                           str(FORMAT).encode()]))  # fmt: skip
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "guideprint" / f"weasyprint-ffi-{key[:24]}.marshal"


def _load(path: Path) -> tuple[str, Any] | None:
    """The cache file's (hash, code), when it is a file of this user's that no one else can
    write (its code is run: as ssh with its keys, anything looser is not used); else None."""
    try:
        info = os.stat(path, follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        found = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    ok = isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], str)
    return found if ok and type(found[1]).__name__ == "code" else None


def _made(sha: str, code: Any) -> Any:
    """The FFI the cached code makes, its cdef() checking what it is given."""
    import types

    import _cffi_backend

    class Declared(_cffi_backend.FFI):  # type: ignore[misc]
        # cffi's in-line FFI keeps each library it opens for its own life (FFI._libraries);
        # this one's library objects close theirs when freed, and an object freed after
        # (the last collection at exit) would call into unmapped code: a crash, exit 139.
        # Kept here, and opened never to be unloaded (RTLD_NODELETE where there is one).
        opened: ClassVar[list[Any]] = []

        def cdef(self, csource: str, *args: Any, **options: Any) -> None:
            if args or options or _sha(csource.encode()) != sha:
                raise StaleError("WeasyPrint declares other C functions than the cache holds")

        def dlopen(self, name: str, flags: int = 0) -> Any:
            library = super().dlopen(name, flags | getattr(self, "RTLD_NODELETE", 0))
            self.opened.append(library)
            return library

    space: dict[str, Any] = {"_cffi_backend": types.SimpleNamespace(FFI=Declared)}
    exec(code, space)  # cffi's emitted module, as _save below wrote it
    return space["ffi"]


def _save(path: Path, csource: str) -> None:
    """Parse csource once more in a fresh FFI, emit it out of line, keep the code."""
    import io

    import cffi
    from cffi.recompiler import make_py_source

    path.parent.mkdir(parents=True, exist_ok=True)  # first: no second parse for a read-only home
    ffi = cffi.FFI()
    ffi.cdef(csource)
    emitted = io.StringIO()
    make_py_source(ffi, "_guideprint_weasyprint_ffi", emitted)  # silent: print()s if verbose
    text = emitted.getvalue()
    if text.count(_LINE) != 1:
        return  # another emitter than the one this was written against: keep parsing
    code = compile(text.replace(_LINE, "", 1), str(path), "exec")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(marshal.dumps((_sha(csource.encode()), code)))
    os.chmod(tmp, 0o600)  # this user's alone, whatever the umask (_load uses nothing looser)
    os.replace(tmp, path)  # two processes writing at once: either file is whole


@contextmanager
def declared_once(*, again: bool = False) -> Iterator[None]:
    """Hold around `import weasyprint`: cffi.FFI() gives the FFI of the cache when there is
    one for this WeasyPrint, and the declarations are kept when there is not yet (or when
    again: after StaleError, the modules half imported dropped from sys.modules by the caller)."""
    import cffi

    path = cache_file()
    found = _load(path) if path is not None and not again else None
    real = cffi.FFI
    captured: list[str] = []
    ffi = None
    if found is not None:
        try:
            ffi = _made(*found)
        except Exception:  # a file of the right shape that makes no FFI: parse, write anew
            ffi = None
    if ffi is not None:
        cffi.FFI = lambda *args, **options: ffi
    else:

        class Recording(real):  # type: ignore[misc,valid-type]
            def cdef(self, csource: str, *args: Any, **options: Any) -> None:
                captured.append(csource if not (args or options) else "")
                super().cdef(csource, *args, **options)

        cffi.FFI = Recording
    try:
        yield
    finally:
        cffi.FFI = real
    if path is not None and len(captured) == 1 and captured[0]:
        try:
            _save(path, captured[0])
        except Exception:  # best effort: a read-only home, or declarations
            pass  # cffi's emitter refuses (VerificationError): parsed again next time
