"""The subcommands, thin over the stages: each turns its options into a project and a frozen
request (builder.outputs.BuildRequest); nothing below this module sees argparse. Every
command runs behind the project's read gate."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from builder.diagnostics import LOG, Diagnostics
from builder.errors import GuideError, printable
from builder.gate import activate
from builder.outputs import BuildRequest
from builder.project import Project, load_project


def run(args: argparse.Namespace, diag: Diagnostics) -> int:
    """Dispatch to the subcommand; return its exit code."""
    if args.command == "import":
        return import_(args, diag)
    if args.command == "init":
        return init_(args)
    # The build reads the settings when something is to be made (builder.build).
    lazy = args.command == "check" or (args.command == "build" and not args.watch)
    project = load_project(Path.cwd(), source=args.source, out=getattr(args, "out", None),
                           space=args.space, settings=not lazy)  # fmt: skip
    with activate(project.gate):
        if args.command == "list":
            return list_(project, diag)
        if args.command == "check":
            return check(project, request(args, write=False), diag)
        if args.command == "welcome":
            from builder.welcome.command import welcome

            return welcome(project, args, diag)
        if args.command == "serve":
            from builder.serve import serve

            return serve(project, request(args), reload=partial(reload, args), port=args.port,
                         open_browser=args.open)  # fmt: skip
        if args.watch:
            from builder.watch import watch

            return watch(project, request(args), diag, reload=partial(reload, args))
        from builder.build import build

        return build(project, request(args), diag)


def request(args: argparse.Namespace, *, write: bool = True) -> BuildRequest:
    """The build a command line asks for."""
    return BuildRequest(
        manual=getattr(args, "manual", False),
        cards=tuple(getattr(args, "card", None) or ()),
        sheets=getattr(args, "sheets", False),
        copies=getattr(args, "copies", 0),
        allow_remote=getattr(args, "allow_remote", False),
        force=getattr(args, "force", False),
        strict=args.strict,
        write=write,
    )


def reload(args: argparse.Namespace) -> Project:
    """The project again, as the command line names it (guideprint.toml may have changed)."""
    return load_project(Path.cwd(), source=args.source, out=args.out, space=args.space)


def import_(args: argparse.Namespace, diag: Diagnostics) -> int:
    """guideprint import PATH --to DIR."""
    from builder.importer import import_source

    report = import_source(args.path, args.to, diag, force=args.force)
    if not args.quiet:
        print("\n".join(map(printable, report.summary())))  # noqa: T201
    return 0


def init_(args: argparse.Namespace) -> int:
    """guideprint init [DIR] [--lang fr|en] [--force]."""
    from builder.init import init

    made = init(args.folder, lang=args.lang, force=args.force)
    if not args.quiet:
        here = Path.cwd()
        where = made.folder.relative_to(here) if made.folder.is_relative_to(here) else made.folder
        lines = [f"created {where}/ ({made.lang}): {', '.join(made.written) or 'nothing new'}"]
        if made.kept:
            lines.append(f"kept, already there: {', '.join(made.kept)}")
        import shlex  # for this hint only

        go = "" if where == Path(".") else f"cd {shlex.quote(str(where))} && "
        lines.append(f"next: {go}guideprint build")
        print("\n".join(map(printable, lines)))  # noqa: T201
    return 0


def list_(project: Project, diag: Diagnostics) -> int:
    """guideprint list: cards, then pages per space."""
    from builder.build import card_names
    from builder.manual.job import read_spaces

    lines = ["cards:"]
    lines += [f"  {name}" for name in card_names(project)] or ["  (none)"]
    for space in read_spaces(project, diag, render=False):
        lines.append(f"pages ({space.name or space.root.name}):")
        lines += [f"  {page.path}  {page.title}" for page in space.pages]
    print("\n".join(map(printable, lines)))  # noqa: T201
    return 0


def check(project: Project, request: BuildRequest, diag: Diagnostics) -> int:
    """guideprint check: the build without writing, with every check the build makes."""
    from builder.build import build

    code = build(project, request, diag)
    LOG.info("checked %s", project.source)
    if code or diag.errors or (request.strict and diag.warnings):
        return 1
    if not diag.items:
        print("ok: no problems found")  # noqa: T201
    return 0


__all__ = ["GuideError", "run"]
