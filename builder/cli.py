"""Command line: arguments, logging, exit codes. The only module that prints."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from builder import __version__
from builder.diagnostics import Diagnostics
from builder.errors import GuideError, UsageError, printable

LOG = logging.getLogger("guideprint")


class _Counting(logging.Handler):
    """Print our log lines as `warning: ...` / `error: ...` on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelname.lower()
        status = record.name == "guideprint.status"  # "built 7 file(s)": not a warning
        prefix = "" if level == "info" or status else f"{level}: "
        # Line by line: a traceback logged in --watch keeps its lines, an ESC in a name is shown.
        text = "\n".join(printable(line) for line in record.getMessage().split("\n"))
        print(f"{prefix}{text}", file=sys.stderr)  # noqa: T201


def _positive(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="guideprint",
        description="Turn a GitBook space into print-ready PDFs: manual, quick cards, sheets.",
    )
    p.add_argument("--version", action="version", version=f"guideprint {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, *, out: bool = True) -> None:
        sp.add_argument(
            "--source", type=Path, help="GitBook space or repository (default: content/)"
        )
        sp.add_argument("--space", help="in a multi-space repository, only this space")
        sp.add_argument("--strict", action="store_true", help="treat warnings as errors")
        sp.add_argument("-v", "--verbose", action="store_true", help="say each step")
        sp.add_argument("-q", "--quiet", action="store_true", help="errors only")
        if out:
            sp.add_argument("--out", type=Path, help="output folder (default: out/)")

    b = sub.add_parser("build", help="build the manual, cards and print sheets")
    common(b)
    b.add_argument("--manual", action="store_true", help="build the manual")
    b.add_argument("--card", action="append", metavar="NAME", help="build this card (repeatable)")
    b.add_argument("--sheets", action="store_true", help="build the print sheets")
    b.add_argument(
        "--copies",
        type=_positive,
        default=0,
        metavar="N",
        help="with --card: also an office sheet of N copies of that card",
    )
    b.add_argument("--allow-remote", action="store_true", help="fetch remote images (3 s each)")
    b.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    b.add_argument("--watch", action="store_true", help="rebuild on every save")

    c = sub.add_parser("check", help="read and validate everything, render nothing")
    common(c, out=False)

    ls = sub.add_parser("list", help="list the cards and pages")
    common(ls, out=False)

    i = sub.add_parser("import", help="turn a raw GitBook page or space into clean content")
    i.add_argument("path", type=Path, help="the raw page or space")
    i.add_argument("--to", type=Path, required=True, metavar="DIR", help="where to write")
    i.add_argument("--force", action="store_true", help="write into a non-empty folder")
    i.add_argument("-q", "--quiet", action="store_true")
    i.add_argument("-v", "--verbose", action="store_true")
    i.add_argument("--strict", action="store_true")

    w = sub.add_parser("welcome", help="welcome packs and emails from an HR CSV")
    w.add_argument("csv", type=Path, help="name, email, extension[, devices, department]")
    w.add_argument("--out", type=Path, help="output folder (default: out/)")
    w.add_argument("--send", action="store_true", help="send the emails by SMTP")
    w.add_argument("--yes", action="store_true", help="confirm sending")
    w.add_argument("--smtp-host", default="localhost")
    w.add_argument("--smtp-port", type=int, default=587)
    w.add_argument("--no-starttls", action="store_true")
    w.add_argument("--jobs", type=_positive, default=0, help="worker processes (default: cores)")
    w.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    w.add_argument("--space", help=argparse.SUPPRESS)
    w.add_argument("--strict", action="store_true")
    w.add_argument("-q", "--quiet", action="store_true")
    w.add_argument("-v", "--verbose", action="store_true")
    return p


def run() -> NoReturn:
    """The `guideprint` command: main(), then leave without tearing the interpreter down.

    Two costs of a one-shot process that nothing needs: the cyclic garbage collector walking
    WeasyPrint's many young objects (mypy raises the threshold for the same reason), and
    freeing every module and object at exit (0.1 s once WeasyPrint is loaded). Every file is
    written and closed, and every child process waited for, before main() returns.
    """
    gc.set_threshold(200_000, 30, 30)
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help (0), usage errors (2)
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)  # noqa: T201
            code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`guideprint list | head`)
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run guideprint; return the exit code (0 ok, 1 errors, 2 usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "build" and args.copies and not args.card:
        parser.error("--copies needs --card NAME")
    handler = _Counting()
    LOG.handlers[:] = [handler]
    LOG.propagate = False
    LOG.setLevel(logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING)
    diag = Diagnostics()
    try:
        from builder import commands
        from builder.output import catch_interrupts

        catch_interrupts()

        code = commands.run(args, diag)
    except UsageError as exc:  # what argparse would say, had it known the names
        command = _command_parser(parser, args.command)
        print(command.format_usage().rstrip(), file=sys.stderr)  # noqa: T201
        print(f"{command.prog}: error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except GuideError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)  # noqa: T201
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)  # noqa: T201
        return 130
    return _summary(diag, strict=bool(getattr(args, "strict", False)), code=code)


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser, for its usage line."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[command]
            return found
    return parser


def _summary(diag: Diagnostics, *, strict: bool, code: int) -> int:
    errors, warnings = len(diag.errors), len(diag.warnings)
    if errors or warnings:
        files = diag.per_file()
        detail = ", ".join(
            f"{name} ({c['error']} error(s), {c['warning']} warning(s))"
            for name, c in sorted(files.items())
        )
        print(  # noqa: T201
            printable(f"{errors} error(s), {warnings} warning(s): {detail}"), file=sys.stderr
        )
    if errors or (strict and warnings):
        if strict and warnings and not errors:
            print("error: warnings are fatal with --strict", file=sys.stderr)  # noqa: T201
        return 1
    return code
