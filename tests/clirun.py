"""Run the guideprint CLI in-process, as a user would from a folder."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from builder.cli import main


def cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run guideprint in cwd; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exc:  # argparse: usage errors (2) and --help (0)
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()
