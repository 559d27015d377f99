"""guideprint welcome users.csv: the manual built (or found up to date) by the build, then
one pack and one draft per person; --send --yes sends each person's message once (the send
journal), --test-to sends one test, --status tells where each person stands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from builder.config import did_you_mean
from builder.diagnostics import STATUS, Collected, Diagnostics
from builder.errors import GuideError, InputError, UsageError, printable
from builder.gate import activate, current
from builder.output import build_lock
from builder.outputs import BuildRequest
from builder.project import Project
from builder.welcome.delivery import (
    ALL,
    Draft,
    plan,
    read_drafts,
    send,
    status,
    stopped_error,
    summary,
)
from builder.welcome.journal import Journal, project_journal
from builder.welcome.pack import pack_name
from builder.welcome.people import EMAIL, Person, Roster, read_people
from builder.welcome.run import WELCOME_DIR, Progress, RendererFactory, WelcomeResult, build_packs
from builder.welcome.smtp import Server, check_server, login, server_from_settings


@dataclass(frozen=True)
class WelcomeRequest:
    """What the command line asks of `welcome`; nothing below this module sees argparse."""

    csv: Path
    send: bool = False
    yes: bool = False
    status: bool = False
    resend: tuple[str, ...] = ()
    skip_invalid: bool = False
    test_to: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str | None = None
    jobs: int | None = None
    strict: bool = False
    quiet: bool = False

    @property
    def sending(self) -> bool:
        """Whether this run sends anything (the messages, or one test)."""
        return self.send or self.test_to is not None


def request_of(args: argparse.Namespace) -> WelcomeRequest:
    """The request the options make; a combination that means nothing is a usage error."""
    security = args.smtp_security or ("none" if args.no_starttls else None)
    request = WelcomeRequest(
        csv=args.csv,
        send=args.send,
        yes=args.yes,
        status=args.status,
        resend=tuple(args.resend or ()),
        skip_invalid=args.skip_invalid,
        test_to=args.test_to,
        smtp_host=args.smtp_host,
        smtp_port=args.smtp_port,
        smtp_security=security,
        jobs=args.jobs or None,
        strict=args.strict,
        quiet=args.quiet,
    )
    if request.status and (request.sending or request.resend):
        raise UsageError("--status sends nothing: give it without --send, --test-to, --resend")
    if request.resend and not request.send:
        raise UsageError("--resend needs --send")
    if request.test_to is not None:
        if request.send:
            raise UsageError("--test-to sends one test only: give it without --send")
        if not EMAIL.fullmatch(request.test_to):
            raise UsageError(f"--test-to: not an email address: {request.test_to!r}")
    return request


def welcome(project: Project, args: argparse.Namespace, diag: Diagnostics) -> int:
    """Packs and drafts into out/welcome/, then what was asked: send, test, status. The CSV
    (and the [smtp] cafile) are the files read besides the project's."""
    request = request_of(args)
    if not request.csv.is_file():
        raise GuideError("no such file", file=request.csv, hint="give the CSV HR sent")
    csv = Path(os.path.realpath(request.csv))  # named on the command line: read where it leads
    journal = project_journal(project.root, project.out / WELCOME_DIR)
    extra = {csv, Path(os.path.realpath(journal.parent)) / journal.name}  # sqlite opens it
    if project.settings.smtp.cafile and request.sending:
        extra.add(Path(os.path.realpath(project.root / project.settings.smtp.cafile)))
    gate = project.gate.replace(files=project.gate.files | extra)
    with activate(gate):
        if request.status:
            return _status(project, request, diag)
        return _welcome(project, request, diag)


def _welcome(project: Project, request: WelcomeRequest, diag: Diagnostics) -> int:
    from builder.build import build, card_names

    # Read before the build with a record of its own: the CSV is no input of the manual.
    gate = current()
    with activate(gate.replace(seen={}, _scopes=[])):
        roster = _roster(project, request, card_names(project), diag)
    server = None
    resend: tuple[str, ...] = ()
    if request.sending:  # every check that can stop the sending, before anything is built
        resend = _resend(request.resend, roster)
        server = server_from_settings(
            project.settings,
            project.root,
            host=request.smtp_host,
            port=request.smtp_port,
            security=request.smtp_security,
        )
        check_server(server)
        if roster.rejected and not request.skip_invalid:
            raise InputError(
                f"{roster.rejected} row(s) with errors: nothing sent",
                file=request.csv,
                hint="fix them, or add --skip-invalid to send the valid rows only",
            )
    code = build(project, BuildRequest(manual=True, strict=request.strict), diag)
    if code:
        return code  # no manual: no pack
    people = roster.people[:1] if request.test_to else roster.people
    with build_lock(project.out):
        outcomes = build_packs(
            replace(roster, people=people),
            project.settings,
            out=project.out,
            factory=_factory(),
            factory_args=(str(Path.cwd()), str(project.source), str(project.out / "manual.pdf")),
            diag=diag,
            jobs=request.jobs,
            progress=_progress_bar(request),
            layouts=project.layouts.folders,
            manual=project.out / "manual.pdf",
        )
        result = WelcomeResult(roster, outcomes)
        rendered = sum(o.rendered for o in result.packs)
        STATUS.warning(
            "%d pack(s) written to %s (%d made, %d up to date)",
            len(result.packs),
            project.out / WELCOME_DIR,
            rendered,
            len(result.packs) - rendered,
        )
        if server is not None:
            if request.strict and diag.warnings:
                raise GuideError("warnings are fatal with --strict: nothing sent")
            ready = [(o.person, o.eml) for o in result.outcomes if o.eml is not None]
            # This run's gate again: a renderer made in this process (--jobs 1) installs the
            # project's own, which knows neither the CSV nor the [smtp] cafile.
            with activate(gate):
                journal = project_journal(project.root, project.out / WELCOME_DIR, create=True)
                _send(journal, ready, server, request, resend, diag)
    broken = sum(not o.ok for o in result.outcomes)
    return 1 if broken or (roster.rejected and not request.skip_invalid) else 0


def _factory() -> RendererFactory:
    from builder.welcome.packs import make_renderer  # loads the card renderer: only to build

    return make_renderer


def _roster(
    project: Project, request: WelcomeRequest, known: Sequence[str], diag: Diagnostics
) -> Roster:
    """The CSV read and checked; with --skip-invalid a bad row is a warning (skipped on
    purpose), else an error."""
    found = Collected()
    roster = read_people(request.csv, project.settings, known, found)
    for item in found.items:
        report = diag.warn if item.level == "warning" or request.skip_invalid else diag.error
        report(item.message, file=item.file, line=item.line, hint=item.hint)
    if roster.rejected and request.skip_invalid:
        STATUS.warning("%d row(s) with errors skipped (--skip-invalid)", roster.rejected)
    return roster


def _resend(names: Sequence[str], roster: Roster) -> tuple[str, ...]:
    """The addresses --resend names (by name, email or extension), or "all"."""
    chosen: list[str] = []
    for name in names:
        if name.strip().lower() == ALL:
            chosen.append(ALL)
            continue
        key = name.strip().casefold()
        found = [p for p in roster.people if key in _keys(p)]
        if not found:
            raise UsageError(
                f"--resend {name!r}: no such person in {roster.source.name}",
                hint=did_you_mean(name, [p.name for p in roster.people]),
            )
        chosen += [p.email.lower() for p in found]
    return tuple(chosen)


def _keys(person: Person) -> tuple[str, ...]:
    return person.name.casefold(), person.email.casefold(), person.extension.casefold()


def _send(
    journal_file: Path,
    ready: Sequence[tuple[Person, Path]],
    server: Server,
    request: WelcomeRequest,
    resend: tuple[str, ...],
    diag: Diagnostics,
) -> None:
    with Journal(journal_file) as journal:
        todo = plan(read_drafts(ready, journal), resend=resend, test_to=request.test_to)
        for draft, why in todo.kept:
            if draft.changed or why.startswith("unknown"):
                hint = f"--resend {draft.person.email} to send it (again)"
                diag.warn(f"{draft.person.name}: not sent again: {why}", hint=hint)
        if not todo.send:
            STATUS.warning("nothing to send: %d already sent or unknown", len(todo.kept))
            return
        if not request.yes and not request.test_to:
            _confirmation(todo.send, todo.test_to, server.describe())
            raise GuideError("nothing sent", hint="add --yes to send these emails")
        report = send(todo, server, login(server), journal, diag, progress=_progress_bar(request))
    STATUS.warning("%s", summary(report, len(todo.kept)))
    if report.stopped:
        raise stopped_error(report, len(todo.send))


def _confirmation(drafts: Sequence[Draft], test_to: str | None, where: str) -> None:
    lines = [f"{len(drafts)} email(s) to send via {where}:"]
    for draft in drafts:
        size = draft.eml.stat().st_size / 1_000_000
        lines.append(f"  {draft.person.name} <{test_to or draft.person.email}>  ({size:.1f} MB)")
    for line in lines:
        print(printable(line), file=sys.stderr)  # noqa: T201


def _status(project: Project, request: WelcomeRequest, diag: Diagnostics) -> int:
    """--status: per person of the CSV, where their message stands; nothing built or sent."""
    from builder.build import card_names

    roster = _roster(project, request, card_names(project), diag)
    folder = project.out / WELCOME_DIR
    people = [
        (p, folder / p.folder / Path(pack_name(project.settings, p)).with_suffix(".eml"))
        for p in roster.people
    ]
    path = project_journal(project.root, folder)
    with Journal(path if path.exists() else None) as journal:
        lines = status(people, journal)
    for line in lines:
        print(printable(line))  # noqa: T201
    return 0


def _progress_bar(request: WelcomeRequest) -> Progress | None:
    """A bar on a terminal; nothing otherwise (the run ends with one summary line)."""
    if request.quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r[{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)  # noqa: T201

    return show
