"""Work beside this process: forked workers whose results (or exceptions) come back by pipe;
the renderer they share, kept from one build to the next by a long-running process; the
gate and the folder the jobs work behind; the jobs run by name (builder.outputs.JOBS).

Forked after WeasyPrint and the fonts are loaded, a worker pays for neither. The reader is
forked before, to read while they load, and may be kept on as the press (Relay) that
imposes the sheets. Every worker is waited for whatever happens, so none outlives the build.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

from builder.diagnostics import Collected, silence
from builder.errors import GuideError, RenderError
from builder.gate import Gate, activate, current
from builder.outputs import JOBS, PRESSED, Made
from builder.record import Record

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from builder.outputs import BuildRequest, JobContext, Output, Read
    from builder.pdf import Renderer
    from builder.project import Project

    T = TypeVar("T")
    R = TypeVar("R")
    Job = Callable[[list[Output], dict[str, Read], JobContext], list[Made]]

# How a worker starts: forked after WeasyPrint and the fonts are loaded (Linux, macOS), or
# spawned, a fresh interpreter that loads them itself, where there is no fork (Windows) or
# when GUIDEPRINT_START_METHOD=spawn says so (the tests run the build once that way).
START = os.environ.get("GUIDEPRINT_START_METHOD") or ("fork" if hasattr(os, "fork") else "spawn")


def named(name: str) -> Callable[..., Any]:
    """The function a "module:attribute" name says, its module imported now."""
    import importlib

    module, attribute = name.split(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def alongside(
    here: Callable[[], Any],
    workers: Sequence[Callable[[], Any]],
    take: Callable[[Any], None],
    *,
    lost: Callable[[RenderError], Any] | None = None,
) -> None:
    """Run each worker in a forked process while `here` runs in this one; hand each worker's
    result to take; wait for every process whatever happens, then raise the first failure.
    lost: what to take instead of the result of a worker that died (killed, out of memory:
    a RenderError), when its outputs fail alone rather than the build."""
    waiters = [fork(worker) for worker in workers]
    failure: BaseException | None = None
    try:
        here()
    except BaseException as exc:  # the workers are waited for all the same: none outlives us
        failure = exc
    for wait in waiters:
        try:
            take(wait())
        except RenderError as exc:
            if lost is None:
                failure = failure or exc
            else:
                take(lost(exc))
        except BaseException as exc:
            failure = failure or exc
    if failure is not None:
        raise failure


def reading(read: Callable[[], T], load: Callable[[], None],
            warm: Callable[[], None] | None = None) -> tuple[T, Relay | None]:  # fmt: skip
    """What read returns, read in a forked process while load runs here. With warm, that
    process is kept on as a press (Relay): warmed up once it has read, it takes a job later
    (the caller closes it); without, spawned, or forked from a process that has loaded
    WeasyPrint, it ends once it has read."""
    import sys

    reader = partial(in_child, partial(gated, current(), read))
    # Forked from a process that has WeasyPrint loaded already (a warm one: tests, a probe),
    # a press alive while this one lays out would copy each page this one writes: 80 ms
    # more for a card, more than it saves. It is kept on only from a new process.
    if warm is None or START != "fork" or "weasyprint" in sys.modules:
        found: list[T] = []
        alongside(load, [reader], found.append)
        return found[0], None
    press: Relay | None = None
    try:
        press = Relay(reader, warm)
        load()
        result: T = press.result()
    except BaseException:
        if press is not None:
            press.close()
        raise
    return result, press


def shared(work: Callable[[list[T]], R], items: list[T], *, least: int) -> list[R]:
    """work on items in two halves on two cores, when there are at least `least` of them:
    the second half in a forked process (what it read through the gate recorded here, as if
    read here), the first in this one; else work on all of them here. The results in the
    items' order: the same on one core as on two when work's result depends on its items
    alone. Forked only from a process of one thread (see builder.manual.parts.lay_all)."""
    if len(items) < least or START != "fork":  # before any import: a small space's path
        return [work(items)]
    import threading

    from builder import machine

    if threading.active_count() > 1 or machine.cores() < 2:
        return [work(items)]
    half = (len(items) + 1) // 2
    gate = current()

    def second() -> tuple[R, dict[str, Any]]:
        with gate.recording() as seen:
            found = work(items[half:])
        return found, dict(seen)

    here: list[R] = []
    there: list[tuple[R, dict[str, Any]]] = []
    alongside(lambda: here.append(work(items[:half])), [partial(in_child, second)], there.append)
    found, seen = there[0]
    gate.note(seen)
    return [here[0], found]


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
    read, write = os.pipe()
    pid = _fork_child(partial(_write_outcome, job, write), close=(read,))
    os.close(write)

    def reap() -> int | None:
        _, status = os.waitpid(pid, 0)
        return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None

    return _waiter(read, reap)


def _write_outcome(job: Callable[[], Any], write: int) -> None:  # pragma: no cover - child
    import signal

    outcome = _outcome(job)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # its result is made: let it go back
    with os.fdopen(write, "wb") as out:
        out.write(outcome)


def _fork_child(run: Callable[[], None], close: tuple[int, ...]) -> int:
    """Fork a process that closes the parent's ends of its pipes, runs run, and ends."""
    import signal

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
            for fd in close:
                os.close(fd)
            run()
        finally:  # a late Ctrl-C never lets the child run on as a copy of the parent
            os._exit(0)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return pid


class Relay:
    """A forked worker that does a first job, hands back its result, warms up, then waits
    for a second job from this process and hands back that result: the build's reader,
    which then imposes the sheets with pypdf loaded and the cards' files parsed while this
    process loads WeasyPrint and lays the cards out (0.1-0.15 s off a card's rebuild).

    Told nothing more (close), it ends; waited for whatever happens, like every worker.
    """

    def __init__(self, first: Callable[[], Any], warm: Callable[[], None]) -> None:
        self._results, results = os.pipe()
        jobs, self._jobs = os.pipe()
        self._pid = _fork_child(partial(_relay_child, first, warm, jobs, results),
                                close=(self._results, self._jobs))  # fmt: skip
        os.close(results)
        os.close(jobs)
        self._told = False

    def result(self) -> Any:
        """The first job's result (or what it raised)."""
        return self._next("its first job")

    def run(self, job: Callable[[], Any]) -> Any:
        """The second job, run there: its result (or what it raised)."""
        import pickle

        try:
            data = pickle.dumps(job)
            with contextlib.suppress(BrokenPipeError):
                _send(self._jobs, data)
        finally:  # whatever happened, the worker is told: a job, or the end of its pipe
            self._told = True
            os.close(self._jobs)
        return self._next("its second job")

    def close(self) -> None:
        """Let the worker go (it ends at once when not told a second job) and wait for it."""
        if not self._told:
            self._told = True
            os.close(self._jobs)
        if self._results >= 0:
            os.close(self._results)
            self._results = -1
        if self._pid:
            pid, self._pid = self._pid, 0
            os.waitpid(pid, 0)

    def _next(self, what: str) -> Any:
        import pickle

        data = _receive(self._results)
        if data is None:
            raise RenderError(f"a worker process of the build ended before {what} was done")
        kind, value = pickle.loads(data)
        if kind == "error":
            raise value
        return value


def _relay_child(first: Callable[[], Any], warm: Callable[[], None], jobs: int,
                 results: int) -> None:  # pragma: no cover - the child  # fmt: skip
    import pickle

    _send(results, _outcome(first))
    with contextlib.suppress(Exception):  # warming is a head start, never a failure
        warm()
    data = _receive(jobs)
    if data is not None:
        _send(results, _outcome(pickle.loads(data)))


def _send(fd: int, data: bytes) -> None:
    """One message on a pipe: its length, then its bytes."""
    with memoryview(len(data).to_bytes(8, "big") + data) as view:
        while view:
            view = view[os.write(fd, view) :]


def _receive(fd: int) -> bytes | None:
    """The next message on a pipe, or None at its end."""
    head = _read_exactly(fd, 8)
    return None if head is None else _read_exactly(fd, int.from_bytes(head, "big"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


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


def run_job(name: str, outputs: list[Output], reads: dict[str, Read], ctx: JobContext,
            press: Relay | None = None) -> list[Made]:  # fmt: skip
    """A job here, or in the press when it takes it (what it needs of the renderer first)."""
    if press is None or name not in PRESSED:
        return job_named(name)(outputs, reads, ctx)
    try:
        named(PRESSED[name][1])(outputs, ctx)
    except GuideError:  # made here instead, where each output fails with the reason
        return job_named(name)(outputs, reads, ctx)
    job = partial(job_here, name, outputs, {}, ctx.replace(renderer=None), current())
    try:
        result: list[Made] = press.run(job)
    except RenderError as exc:  # the press died (killed, out of memory): these outputs fail
        return [Made(o.key, error=str(exc)) for o in outputs]
    return result


def job_here(name: str, outputs: list[Output], reads: dict[str, Read], ctx: JobContext,
             gate: Gate) -> list[Made]:  # fmt: skip
    """A job in a worker process, behind the build's gate, with a renderer (the press's
    jobs lay nothing out: none)."""
    with activate(gate):
        if ctx.renderer is not None or name in PRESSED:
            return job_named(name)(outputs, reads, ctx)
        renderer = new_renderer(ctx.project, ctx.request)
        try:
            return job_named(name)(outputs, reads, ctx.replace(renderer=renderer))
        finally:
            renderer.close()


def job_named(name: str) -> Job:
    """A job's function, by its name in builder.outputs.JOBS."""
    job: Job = named(JOBS[name])
    return job


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
            "names_from": project.root, "not_from": [project.out],
            "keep": request.write}  # fmt: skip


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
