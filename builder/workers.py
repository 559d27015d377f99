"""Work beside this process: forked workers whose results (or exceptions) come back by pipe.

Forked after WeasyPrint and the fonts are loaded, a worker pays for neither; every worker
is waited for whatever happens, so none outlives the build.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from builder.errors import GuideError, RenderError


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
    logging.getLogger("guideprint").disabled = True
    return job()


def fork(job: Callable[[], Any]) -> Callable[[], Any]:
    """Start job in a forked process (WeasyPrint already imported); return its waiter.

    The waiter returns what job returned, or raises what it raised: a GuideError as it was,
    a bug with the worker's traceback attached as a note (tracebacks do not cross a pipe).
    """
    import os
    import pickle
    import signal

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            outcome = _outcome(job)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # its result is made: let it go back
            with os.fdopen(write, "wb") as out:
                out.write(outcome)
        finally:  # a late Ctrl-C never lets the child run on as a copy of the parent
            os._exit(0)
    os.close(write)

    def wait() -> Any:
        with os.fdopen(read, "rb") as inp:
            data = inp.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "no result"
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
