"""The subcommands, thin over the stages: load and check everything before writing."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from builder.diagnostics import Diagnostics
from builder.errors import GuideError
from builder.project import Project, load_project

LOG = logging.getLogger("guideprint")


def run(args: argparse.Namespace, diag: Diagnostics) -> int:
    """Dispatch to the subcommand; return its exit code."""
    if args.command == "import":
        return import_(args, diag)
    project = load_project(
        Path.cwd(), source=args.source, out=getattr(args, "out", None), space=args.space
    )
    if args.command == "list":
        return list_(project, diag)
    if args.command == "check":
        return check(project, diag, strict=args.strict)
    if args.command == "welcome":
        from builder.build import welcome

        return welcome(project, args, diag)
    from builder.build import build

    return build(project, args, diag)


def import_(args: argparse.Namespace, diag: Diagnostics) -> int:
    """guideprint import PATH --to DIR."""
    from builder.importer import import_source

    report = import_source(args.path, args.to, diag, force=args.force)
    if not args.quiet:
        print("\n".join(report.summary()))  # noqa: T201
    return 0


def list_(project: Project, diag: Diagnostics) -> int:
    """guideprint list: cards, then pages per space."""
    from builder.build import card_names, read_spaces

    lines = ["cards:"]
    lines += [f"  {name}" for name in card_names(project)] or ["  (none)"]
    for space in read_spaces(project, diag, render=False):
        lines.append(f"pages ({space.name or space.root.name}):")
        lines += [f"  {page.path}  {page.title}" for page in space.pages]
    print("\n".join(lines))  # noqa: T201
    return 0


def check(project: Project, diag: Diagnostics, *, strict: bool) -> int:
    """guideprint check: read and validate everything, render no PDF."""
    from builder.build import check_all

    check_all(project, diag)
    LOG.info("checked %s", project.source)
    if diag.errors or (strict and diag.warnings):
        return 1
    if not diag.items:
        print("ok: no problems found")  # noqa: T201
    return 0


__all__ = ["GuideError", "run"]
