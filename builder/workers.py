"""Work beside this process: forked workers whose results (or exceptions) come back by pipe;
the renderer they share, kept from one build to the next by a long-running process; the
gate and the folder the jobs work behind.

Forked after WeasyPrint and the fonts are loaded, a worker pays for neither; every worker
is waited for whatever happens, so none outlives the build.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from builder.diagnostics import Collected, silence
from builder.errors import GuideError, RenderError
from builder.gate import Gate, activate, current
from builder.record import Record

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from builder.outputs import BuildRequest
    from builder.pdf import Renderer
    from builder.project import Project

    T = TypeVar("T")

# How a worker starts: forked after WeasyPrint and the fonts are loaded (Linux, macOS), or
# spawned, a fresh interpreter that loads them itself, where there is no fork (Windows) or
# when GUIDEPRINT_START_METHOD=spawn says so (the tests run the build once that way).
START = os.environ.get("GUIDEPRINT_START_METHOD") or ("fork" if hasattr(os, "fork") else "spawn")


def alongside(
    here: Callable[[], Any], workers: Sequence[Callable[[], Any]], take: Callable[[Any], None]
) -> None:
    """Run each worker in a forked process while `here` runs in this one; hand each worker's
    result to take; wait for every process whatever happens, then raise the first failure."""
    waiters = [fork(worker) for worker in workers]
    failure: BaseException | None = None
    try:
        here()
    except BaseException as exc:  # the workers are waited for all the same: none outlives us
        failure = exc
    for wait in waiters:
        try:
            take(wait())
        except BaseException as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


def in_child(job: Callable[[], Any]) -> Any:
    """In a forked process: the job, its log silenced (the parent reports what it found)."""
    silence()
    return job()


def fork(job: Callable[[], Any]) -> Callable[[], Any]:
    """Start job in a worker process (START says how); return its waiter."""
    return _forked(job) if START == "fork" else _spawned(job)


def _spawned(job: Callable[[], Any]) -> Callable[[], Any]:
    """job in a new interpreter: job sent pickled on its stdin, its outcome back on a pipe.

    A plain subprocess rather than multiprocessing's spawn, which starts a resource tracker
    process that outlives the build. PYTHONSAFEPATH: a module planted in the project folder
    is never imported in its place (the read-gate test plants one).
    """
    import pickle
    import subprocess
    import sys
    from pathlib import Path

    read, write = os.pipe()
    env = dict(os.environ, PYTHONSAFEPATH="1")
    here = str(Path(__file__).resolve().parent.parent)  # this builder, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    code = "import builder.workers as w; w._spawn_main()"
    process = subprocess.Popen([sys.executable, "-c", code, str(write)], stdin=subprocess.PIPE,
                               pass_fds=(write,), env=env)  # fmt: skip
    os.close(write)
    assert process.stdin is not None
    with process.stdin:
        process.stdin.write(pickle.dumps(job))

    def reap() -> int | None:
        status = process.wait()
        return -status if status < 0 else None

    return _waiter(read, reap)


def _spawn_main() -> None:  # pragma: no cover - the child
    import pickle
    import sys

    job = pickle.load(sys.stdin.buffer)
    with os.fdopen(int(sys.argv[1]), "wb") as out:
        out.write(_outcome(job))


def _forked(job: Callable[[], Any]) -> Callable[[], Any]:
    """Start job in a forked process (WeasyPrint already imported); return its waiter.

    The waiter returns what job returned, or raises what it raised: a GuideError as it was,
    a bug with the worker's traceback attached as a note (tracebacks do not cross a pipe).
    """
    import os
    import signal

    read, write = os.pipe()
    # A Ctrl-C reaches the whole group: one landing while the new child ran the libraries'
    # at-fork hooks (filelock's, logging's) was printed there as "Exception ignored in ...".
    # Held back across the fork; each process takes it once its own code runs again.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    if pid == 0:  # pragma: no cover - the child
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            os.close(read)
            outcome = _outcome(job)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # its result is made: let it go back
            with os.fdopen(write, "wb") as out:
                out.write(outcome)
        finally:  # a late Ctrl-C never lets the child run on as a copy of the parent
            os._exit(0)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os.close(write)

    def reap() -> int | None:
        _, status = os.waitpid(pid, 0)
        return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None

    return _waiter(read, reap)


def _waiter(read: int, reap: Callable[[], int | None]) -> Callable[[], Any]:
    """The waiter of a worker that writes its outcome to the pipe `read`: what the job
    returned, or what it raised; reap waits for the process and names the signal that
    ended it, if one did (a worker that wrote nothing)."""
    import pickle

    def wait() -> Any:
        with os.fdopen(read, "rb") as inp:
            data = inp.read()
        signal_number = reap()
        if not data:
            how = f"signal {signal_number}" if signal_number else "no result"
            raise RenderError(f"a worker process of the build ended with {how}")
        kind, value = pickle.loads(data)
        if kind == "error":
            raise value
        return value

    return wait


def _outcome(job: Callable[[], Any]) -> bytes:
    """job's result or exception, pickled: ("ok", value) or ("error", exception)."""
    import pickle
    import traceback

    try:
        return pickle.dumps(("ok", job()))
    except BaseException as exc:
        if not isinstance(exc, (GuideError, KeyboardInterrupt)):
            exc.add_note("in a worker process:\n" + traceback.format_exc().rstrip())
        try:
            return pickle.dumps(("error", exc))
        except Exception:  # an exception that does not pickle: its words at least
            return pickle.dumps(("error", RenderError(f"{type(exc).__name__}: {exc}")))


class KeptRenderer(Record):
    """The renderer a long-running process (guideprint serve, --watch) keeps from one build to
    the next: the fonts and WeasyPrint's set-up are paid once (90 ms a build here). A build
    that needs another (other roots, --strict, other fonts) makes it and keeps that one."""

    __slots__ = _fields = ("renderer",)
    renderer: Renderer | None

    def __init__(self, renderer: Renderer | None = None) -> None:
        self.renderer = renderer

    def close(self) -> None:
        """Close the renderer kept, if any."""
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None


def _options(project: Project, request: BuildRequest) -> dict[str, Any]:
    return {"roots": list(project.gate.roots or ()), "allow_remote": request.allow_remote,
            "cache_dir": project.cache / "remote", "strict": request.strict,
            "names_from": project.root, "not_from": [project.out]}  # fmt: skip


def kept_renderer(project: Project, request: BuildRequest, kept: KeptRenderer | None
                  ) -> Renderer | None:  # fmt: skip
    """The renderer kept, renewed for this build, when it was made for the same; else None."""
    if kept is None or kept.renderer is None:
        return None
    from builder.pdf import made_with

    if kept.renderer.made_with != made_with(**_options(project, request)):
        return None
    if not kept.renderer.fonts_unchanged():  # a font WeasyPrint loaded once has changed
        return None
    kept.renderer.renew(Collected())
    return kept.renderer


def new_renderer(project: Project, request: BuildRequest, kept: KeptRenderer | None = None
                 ) -> Renderer:  # fmt: skip
    """A renderer for this build (WeasyPrint imported, fonts loaded); kept if asked."""
    from builder.pdf import Renderer

    renderer = Renderer(diag=Collected(), **_options(project, request))
    if kept is not None:
        kept.close()
        kept.renderer = renderer
    return renderer


def gated(gate: Gate, work: Callable[[], T]) -> T:
    """work behind gate: a spawned worker starts with none active."""
    with activate(gate):
        return work()


@contextlib.contextmanager
def scratch(project: Project, request: BuildRequest) -> Iterator[Path]:
    """Where the jobs write: out/, or for `check` a folder thrown away afterwards."""
    if request.write:
        yield project.out
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="guideprint-check-") as folder:
        gate = current()
        with activate(gate.replace(roots=(*(gate.roots or ()), Path(folder).resolve()))):
            yield Path(folder)
