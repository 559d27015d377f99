"""Command line: arguments, what is said and how, exit codes. The only module that prints."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from builder import __version__
from builder.errors import GuideError, UsageError, printable

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from builder.diagnostics import Diagnostics

LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error"}  # builder.diagnostics.Say's


class _Printer:
    """Our lines (builder.diagnostics.Say) on stderr as `warning: ...` / `error: ...`, from
    the level -q/-v choose."""

    def __init__(self, level: int) -> None:
        self.level = level

    def __call__(self, name: str, level: int, message: str) -> None:
        if level < self.level:
            return
        status = name == "guideprint.status"  # "built 7 file(s)": not a warning
        prefix = "" if level <= 20 or status else f"{LEVELS.get(level, 'error')}: "
        # Line by line: a traceback said in --watch keeps its lines, an ESC in a name is shown.
        text = "\n".join(printable(line) for line in message.split("\n"))
        try:
            print(f"{prefix}{text}", file=sys.stderr)  # noqa: T201
        except (OSError, ValueError):  # stderr gone (`2>&1 | head -1`): the work goes on
            self.level = 100


WELCOME_EPILOG = """\
CSV columns (a header row; separated by ";", "," or tabs; UTF-8, UTF-16 or Windows-1252):
  name        required  Nom, Nom complet, Full name (with Prénom: "Prénom Nom")
  first_name            Prénom, First name: the greeting (else the name's first word)
  email       required  Email, Courriel, Mail, Adresse e-mail
  extension   required  Extension, Poste, N° de poste, Numéro de poste
  devices               Appareils, Cartes: card names (empty: [welcome] default_devices)
  department            Service, Département
Other columns are ignored; one close to these names is reported (did you mean ...?).

Sending: .guideprint/envois.sqlite, beside guideprint.toml (not in out/), records every
message. A person the server accepted a message for is not sent another unless --resend
names them; a run that stopped resumes;
a message whose fate is unknown (a crash mid-send) is not sent again on its own. Nothing
is sent while a row has errors, unless --skip-invalid. The server: [smtp] in
guideprint.toml; the password from GUIDEPRINT_SMTP_PASSWORD, the keyring or a prompt.
"""


def _positive(text: str) -> int:
    """A whole number of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size finds it: $COLUMNS, the terminal, 80."""
    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's own, told the width: argparse makes one per argument added (to check its
    metavar) and, left to find it, imports shutil (2 ms of a no-op build's start)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:  # fmt: skip
        super().__init__(prog, indent_increment, max_help_position, width or _columns() - 2)


class _Parser(argparse.ArgumentParser):
    """Help by _Formatter unless a parser asks for another; argparse makes the subcommands'
    parsers of their parent's class."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{"formatter_class": _Formatter, **kwargs})


if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[_Parser]


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line. With the command argv starts with, only that subcommand is added:
    parsing it needs no other (the others, six then, cost 1.2 ms of a no-op build's start).
    Without one (--help, --version, a mistake), every subcommand, for the list and the error."""
    p = _Parser(
        prog="guideprint",
        description="Turn a GitBook space into print-ready PDFs: manual, quick cards, sheets.",
    )
    p.add_argument("--version", action="version", version=f"guideprint {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add in COMMANDS.items():
        if command in (None, name):
            add(sub)
    return p


def _common(sp: argparse.ArgumentParser, *, out: bool = True) -> None:
    """The options of build, check and list."""
    sp.add_argument("--source", type=Path, help="GitBook space or repository (default: content/)")
    sp.add_argument("--space", help="in a multi-space repository, only this space")
    sp.add_argument("--strict", action="store_true", help="treat warnings as errors")
    sp.add_argument("-v", "--verbose", action="store_true", help="say each step")
    sp.add_argument("-q", "--quiet", action="store_true", help="errors only")
    if out:
        sp.add_argument("--out", type=Path, help="output folder (default: out/)")


def _build_parser(sub: Commands) -> None:
    b = sub.add_parser("build", help="build the manual, cards and print sheets")
    _common(b)
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


def _port(text: str) -> int:
    """A TCP port, 0 for any free one (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def _serve_parser(sub: Commands) -> None:
    s = sub.add_parser(
        "serve",
        help="preview the cards and the manual in a browser, rebuilt on every save",
        description="Build, then serve a page on 127.0.0.1 showing every card and the "
        "manual's pages; each save rebuilds what it changed and the page follows.",
    )
    _common(s)
    s.add_argument("--port", type=_port, default=8000, help="the port on 127.0.0.1 (default: 8000)")
    s.add_argument("--open", action="store_true", help="open the page in the web browser")


def _check_parser(sub: Commands) -> None:
    c = sub.add_parser("check", help="the build without writing: every check it makes")
    _common(c, out=False)


def _list_parser(sub: Commands) -> None:
    ls = sub.add_parser("list", help="list the cards and pages")
    _common(ls, out=False)


def _import_parser(sub: Commands) -> None:
    i = sub.add_parser("import", help="turn a raw GitBook page or space into clean content")
    i.add_argument("path", type=Path, help="the raw page or space")
    i.add_argument("--to", type=Path, required=True, metavar="DIR", help="where to write")
    i.add_argument("--force", action="store_true", help="write into a non-empty folder")
    i.add_argument("-q", "--quiet", action="store_true")
    i.add_argument("-v", "--verbose", action="store_true")
    i.add_argument("--strict", action="store_true")


def _init_parser(sub: Commands) -> None:
    n = sub.add_parser("init", help="start a project: settings, a space with a page and a card")
    n.add_argument("folder", type=Path, nargs="?", default=Path("."), metavar="DIR",
                   help="where to make it (default: the working folder)")  # fmt: skip
    n.add_argument("--lang", choices=("fr", "en"), default="fr", help="its language (default: fr)")
    n.add_argument("--force", action="store_true", help="also in a non-empty folder (keeps files)")
    n.add_argument("-q", "--quiet", action="store_true")
    n.add_argument("-v", "--verbose", action="store_true")


def _welcome_parser(sub: Commands) -> None:
    w = sub.add_parser(
        "welcome",
        help="welcome packs and emails from an HR CSV",
        description="One pack (cards + manual) and one email draft per person of the CSV, "
        "in out/welcome/; --send --yes sends each person's email once.",
        epilog=WELCOME_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    w.add_argument("csv", type=Path, help="the HR CSV (columns below)")
    w.add_argument("--out", type=Path, help="output folder (default: out/)")
    w.add_argument("--send", action="store_true", help="send the emails through [smtp]")
    w.add_argument("--yes", action="store_true", help="confirm sending")
    w.add_argument(
        "--status", action="store_true", help="per person: drafted, sent, failed or unknown"
    )
    w.add_argument(
        "--resend",
        action="append",
        metavar="NAME",
        help="with --send: send again to NAME (name, email or extension; 'all': everyone)",
    )
    w.add_argument(
        "--skip-invalid", action="store_true", help="send the valid rows when others have errors"
    )
    w.add_argument(
        "--test-to", metavar="ADDRESS", help="send the first pack only, to ADDRESS, as a test"
    )
    w.add_argument("--smtp-host", metavar="HOST", help="instead of [smtp] host")
    w.add_argument("--smtp-port", type=_positive, metavar="PORT", help="instead of [smtp] port")
    w.add_argument(
        "--smtp-security", choices=("starttls", "ssl", "none"), help="instead of [smtp] security"
    )
    w.add_argument("--no-starttls", action="store_true", help=argparse.SUPPRESS)  # = none
    w.add_argument("--jobs", type=_positive, default=0, help="worker processes (default: cores)")
    w.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    w.add_argument("--space", help=argparse.SUPPRESS)
    w.add_argument("--strict", action="store_true")
    w.add_argument("-q", "--quiet", action="store_true")
    w.add_argument("-v", "--verbose", action="store_true")


COMMANDS: dict[str, Callable[[Commands], None]] = {  # in the order --help lists them
    "build": _build_parser,
    "serve": _serve_parser,
    "check": _check_parser,
    "list": _list_parser,
    "import": _import_parser,
    "init": _init_parser,
    "welcome": _welcome_parser,
}


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
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`guideprint list | head`)
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run guideprint; return the exit code (0 ok, 1 errors, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # The first argument is the command unless it is an option: the top level takes no value.
    parser = _parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command == "build" and args.copies and not args.card:
        parser.error("--copies needs --card NAME")
    # Imported once run() has raised the GC threshold: the build's modules loading first cost
    # a no-op build 13 collections (2.7 ms, when they still loaded dataclasses and inspect).
    from builder.diagnostics import Diagnostics, printed_by

    printer = _Printer(40 if args.quiet else 20 if args.verbose else 30)
    diag = Diagnostics()
    with printed_by(printer):
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
