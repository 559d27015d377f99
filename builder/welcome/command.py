"""guideprint welcome users.csv: the manual built (or found up to date) by the build, then
one pack and one draft per person; --send --yes sends them."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from builder.diagnostics import Diagnostics
from builder.errors import GuideError
from builder.gate import activate
from builder.output import build_lock
from builder.outputs import BuildRequest
from builder.project import Project

STATUS = logging.getLogger("guideprint.status")


def welcome(project: Project, args: argparse.Namespace, diag: Diagnostics) -> int:
    """Packs and drafts into out/welcome/; the CSV named is the one file read besides the
    project's."""
    from builder.build import build, card_names
    from builder.welcome import run_welcome, send, send_summary, smtp_from_env
    from builder.welcome.packs import make_renderer

    if not args.csv.is_file():
        raise GuideError("no such file", file=args.csv, hint="give the CSV HR sent")
    csv = Path(os.path.realpath(args.csv))  # named on the command line: read where it leads
    gate = replace(project.gate, files=project.gate.files | {csv})
    with activate(gate):
        code = build(project, BuildRequest(manual=True, strict=args.strict), diag)
        if code:
            return code  # no manual: no pack
        progress = _progress_bar() if sys.stderr.isatty() and not args.quiet else None
        with build_lock(project.out):
            result = run_welcome(
                args.csv,
                project.settings,
                known_cards=card_names(project),
                out=project.out,
                factory=make_renderer,
                factory_args=(
                    str(Path.cwd()),
                    str(project.source),
                    str(project.out / "manual.pdf"),
                ),
                diag=diag,
                jobs=args.jobs or None,
                progress=progress,
                layouts=project.layouts.folders,
                manual=project.out / "manual.pdf",
            )
    STATUS.warning("%d pack(s) written to %s", len(result.packs), project.out / "welcome")
    if args.send:
        smtp = smtp_from_env(args.smtp_host, args.smtp_port, not args.no_starttls)
        print(send_summary(result.emls, smtp), file=sys.stderr)  # noqa: T201
        if not args.yes:
            raise GuideError("nothing sent", hint="add --yes to send these emails")
        report = send(result.emls, smtp, diag)
        STATUS.warning("%d email(s) sent", len(report.sent))
    return 1 if result.failed else 0


def _progress_bar() -> Any:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r[{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)  # noqa: T201

    return show
