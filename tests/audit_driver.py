"""Run guideprint commands in-process under an audit hook that logs every file opened.

Run by tests/test_gate.py in a subprocess of its own (an audit hook cannot be removed):

    python tests/audit_driver.py PLAN.json LOG

PLAN holds {"steps": [...]}, each step {"cwd": folder, "argv": [...]} (one `main(argv)`) or
{"symlink": [target, link]} (made between two commands). LOG gets `step<TAB>n` before each
step, then one line per event, its fields separated by tabs: event, absolute path, real path
(links followed at that moment), the caller (file:function), "relative" when the path was
given relative (the event does not say whether to the working folder or to a dir_fd, as
shutil.rmtree opens), and the first caller outside the standard library.

Events: `open` (builtins.open, io.open, os.open: reads and writes alike), `os.listdir`,
`os.scandir`; and `exec` for a program started. The log is opened before the hook, with
O_APPEND, and written with os.write: forked workers inherit both and their lines interleave
whole. A Python started afresh (the welcome packs' fork server and its workers) installs the
same hook from a sitecustomize module put first on its PYTHONPATH. What each command
returned and printed goes to stdout as JSON once every step has run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import sysconfig
import time
from types import FrameType
from typing import Any

WATCHED = {"open", "os.listdir", "os.scandir"}
STDLIB = (sysconfig.get_paths()["stdlib"], "<frozen")  # skipped to name who asked
LOG_VARIABLE = "GUIDEPRINT_AUDIT_LOG"
SITECUSTOMIZE = f"""import os
if os.environ.get("{LOG_VARIABLE}"):  # a Python started by the audited run: audited too
    import audit_driver
    audit_driver.install(os.environ["{LOG_VARIABLE}"])
"""
STARTS = {"os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen", "os.system"}


def _where(frame: FrameType) -> str:
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_code.co_name}"


def install(log: str) -> int:
    """Open the log, then hook every file event of this process (and its forks) into it."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in WATCHED:
            path = args[0] if args else None
            if isinstance(path, int):  # os.fdopen / open(fd): no name, nothing newly opened
                return
            given = "." if path is None else os.fsdecode(path)
            name = os.path.join(os.getcwd(), given)
            frame = sys._getframe(1)  # the Python code calling open (or os.open)
            who = _where(frame)
            while frame.f_back is not None and frame.f_code.co_filename.startswith(STDLIB):
                frame = frame.f_back
            # Where it leads now: the build may replace a link by a file a moment later.
            relative = "" if os.path.isabs(given) else "relative"  # to the cwd, or a dir_fd?
            real = os.path.realpath(name)
            line = f"{event}\t{name}\t{real}\t{who}\t{relative}\t{_where(frame)}\n"
        elif event in STARTS:
            line = f"exec\t{args[0]!r}\n"
        else:
            return
        os.write(fd, line.encode("utf-8", "surrogateescape"))

    sys.addaudithook(hook)
    return fd


def run(steps: list[dict[str, Any]], fd: int) -> list[dict[str, Any]]:
    """Each step in turn; what every command returned and printed."""
    from builder.cli import main

    results = []
    for number, step in enumerate(steps):
        os.write(fd, f"step\t{number}\n".encode())
        if "symlink" in step:
            target, link = step["symlink"]
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(target, link)
            results.append({"step": number, "symlink": link})
            continue
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        os.chdir(step["cwd"])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(step["argv"])
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
        results.append(
            {
                "step": number,
                "cwd": step["cwd"],
                "argv": step["argv"],
                "code": code,
                "stdout": out.getvalue(),
                "stderr": err.getvalue(),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    return results


def audit_children(log: str) -> None:
    """Have every Python this one starts install the hook first thing."""
    site = os.path.join(os.path.dirname(os.path.abspath(log)), "audit-site")
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "sitecustomize.py"), "w", encoding="utf-8") as handle:
        handle.write(SITECUSTOMIZE)
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [site, here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    os.environ[LOG_VARIABLE] = log


def main() -> None:
    plan_file, log = sys.argv[1], sys.argv[2]
    with open(plan_file, encoding="utf-8") as handle:  # read before the hook: not logged
        steps = json.load(handle)["steps"]
    audit_children(log)
    fd = install(log)
    results = run(steps, fd)
    sys.__stdout__.write(json.dumps(results) + "\n")  # type: ignore[union-attr]
    sys.__stdout__.flush()  # type: ignore[union-attr]
    os._exit(0)  # no interpreter tear-down: nothing more to log


if __name__ == "__main__":
    main()
