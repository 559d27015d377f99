"""The one module that knows the order of the stages and what is stale.

read settings -> find spaces -> (manifest: anything stale?) -> read and check content ->
render (one process, one Renderer shared by every document) -> post-process -> manifest.
WeasyPrint is imported only when something has to be rendered.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builder.config import did_you_mean
from builder.diagnostics import Diagnostics
from builder.errors import GuideError, RenderError
from builder.manifest import Fingerprints, Manifest
from builder.output import build_lock
from builder.project import Project

if TYPE_CHECKING:
    from markupsafe import Markup

    from builder.cards import Card
    from builder.content.model import Space
    from builder.pdf import Renderer

LOG = logging.getLogger("guideprint")
CARD_SHEETS = "print/cartes-bureau.pdf"  # with the print-shop files: made of the cards
BOOKLET = "print/manuel-livret.pdf"  # made of the manual
SRA3 = "planche-sra3.pdf"  # the print-shop sheet, beside the cards' bleed files
STATUS = logging.getLogger("guideprint.status")  # printed without "warning:", hidden by -q


@dataclass
class Plan:
    manual: bool = False
    cards: list[str] = field(default_factory=list)
    sheets: bool = False  # the card sheets: office and print shop
    booklet: bool = False  # the manual as an A5 booklet
    copies: int = 0


def read_spaces(
    project: Project, diag: Diagnostics, *, render: bool = True, allow_remote: bool = False
) -> list[Space]:
    """Every space of the source, read (and rendered to HTML when asked)."""
    from builder.content.space import find_spaces, read_space

    return [
        read_space(
            layout, diag, lang=project.settings.language, allow_remote=allow_remote, render=render
        )
        for layout in find_spaces(project.source, project.space)
    ]


def cards_dir(project: Project) -> Path:
    """Cards live in the space's cards/ folder."""
    return project.source / "cards"


def card_names(project: Project) -> list[str]:
    """The card names, without reading them."""
    from builder.cards.model import card_names as names

    return names(cards_dir(project))


def check_all(project: Project, diag: Diagnostics) -> None:
    """Read and validate every page and card; render no PDF (WeasyPrint is not imported)."""
    read_spaces(project, diag)
    if cards_dir(project).is_dir():
        from builder.cards import load_cards

        try:
            load_cards(cards_dir(project), project.settings, diag)
        except GuideError as exc:
            diag.add_error(exc)


def plan(project: Project, args: argparse.Namespace) -> Plan:
    """What this build makes: everything by default, or what the flags name."""
    names = card_names(project)
    chosen = args.card or []
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise GuideError(
            f"unknown card '{unknown[0]}'",
            hint=_card_hint(unknown[0], names),
        )
    if not (args.manual or chosen or args.sheets):
        return Plan(manual=True, cards=names, sheets=bool(names), booklet=True)
    sheets = args.sheets or bool(args.copies)
    # Sheets are made of the card PDFs: they need those cards up to date.
    cards = chosen or (names if args.sheets else [])
    return Plan(
        manual=args.manual,
        cards=cards,
        sheets=sheets and bool(cards),
        booklet=args.sheets,
        copies=args.copies,
    )


def _card_hint(name: str, names: list[str]) -> str:
    """Suggest the closest card and always list them all."""
    if not names:
        return "this space has no cards/ folder"
    hint = did_you_mean(name, names)
    return hint if hint.startswith("known:") else f"{hint} known: {', '.join(names)}"


def build(project: Project, args: argparse.Namespace, diag: Diagnostics) -> int:
    """guideprint build: render what is stale into out/."""
    if args.watch:
        from builder.watch import watch

        return watch(project, args, diag)
    started = time.perf_counter()
    todo = plan(project, args)
    with build_lock(project.out):
        manifest = Manifest.load(project.out)
        keys = _keys(project, todo, args)
        stale = {k for k, v in keys.items() if args.force or not manifest.fresh(k, v, project.out)}
        if not stale:
            STATUS.warning("up to date (%s); use --force to rebuild", ", ".join(sorted(keys)))
            return 0
        made = _render(project, todo, stale, args, diag)
        for key in made:
            manifest.record(key, keys[key])
        manifest.save(project.out)
    STATUS.warning("built %d file(s) in %.2f s", len(made), time.perf_counter() - started)
    return 0


def bleed_file(name: str) -> str:
    """The print-shop file of a card, relative to out/."""
    return f"print/imprimeur/{name}-fond-perdu.pdf"


def _keys(project: Project, todo: Plan, args: argparse.Namespace) -> dict[str, str]:
    """One content fingerprint per output: its sources, layouts, assets, settings, tool."""
    fingerprint = Fingerprints(project, f"remote={args.allow_remote}")
    keys: dict[str, str] = {}
    if todo.manual:
        keys["manual.pdf"] = fingerprint("manual")
    for name in todo.cards:
        keys[f"cards/{name}.pdf"] = digest = fingerprint("cards", card=name)
        if todo.sheets:
            keys[bleed_file(name)] = digest  # the same layout makes both files
    if todo.sheets:
        keys[CARD_SHEETS] = fingerprint("sheets", f"|copies={todo.copies}", cards=todo.cards)
    if todo.booklet:
        keys[BOOKLET] = fingerprint("manual", "|booklet")
    return keys


Job = Callable[["Renderer"], list[str]]  # renders with the Renderer given; returns the keys made


@dataclass(frozen=True)
class _Paper:
    css: str  # @page size and margins, chapter breaks, the wording CSS prints
    box: tuple[int, int]  # the pixel box an image needs at 300 dpi on this paper


@dataclass(frozen=True)
class _Manual:
    """The manual read and assembled once, for each paper it is rendered on."""

    html: str  # one document; its images are the originals, each paper prepares its own
    meta: dict[str, Any]  # PDF metadata
    chapters: int
    papers: dict[str, _Paper]


@dataclass
class _Inputs:
    """What the stale outputs are made from, read and checked; what reading found."""

    manual: _Manual | None
    cards: dict[str, _Checked]
    diag: Diagnostics


def _render(
    project: Project, todo: Plan, stale: set[str], args: argparse.Namespace, diag: Diagnostics
) -> list[str]:
    """Read and check what the stale outputs need, then render them, in parallel if we can.

    On two cores, a forked process reads and checks the pages and cards and assembles the
    manual while this one loads WeasyPrint and the fonts (0.3 s each); nothing is rendered
    until both are done and the content has no error. Then the jobs (manual, booklet, cards)
    run in parallel.
    """
    import os

    parallel = (os.cpu_count() or 1) > 1
    read = partial(_read_inputs, project, todo, stale, args)
    renderers: list[Renderer] = []
    try:
        if parallel:
            found: list[_Inputs] = []
            reader = partial(_in_child, lambda: read(Diagnostics()))
            _alongside(lambda: renderers.append(_make_renderer(project, args, diag)),
                       [reader], found.append)  # fmt: skip
            inputs = found[0]
            diag.extend(inputs.diag)
        else:
            renderers.append(_make_renderer(project, args, diag))
            inputs = read(diag)
        _stop_on_problems(diag, strict=args.strict)  # everything checked before writing
        jobs: list[Job] = []
        manual = inputs.manual
        if manual is not None and "manual.pdf" in stale:
            jobs.append(partial(_render_manual_file, project, manual))
        if manual is not None and BOOKLET in stale:
            jobs.append(partial(_render_booklet, project, manual))
        if inputs.cards or CARD_SHEETS in stale:
            jobs.append(lambda r: _render_cards(project, todo, stale, inputs.cards, r))
        made = _run_jobs(jobs, renderers[0], parallel=parallel)
    finally:
        for renderer in renderers:
            renderer.close()
    _stop_on_problems(diag, strict=args.strict)
    return made


def _read_inputs(
    project: Project, todo: Plan, stale: set[str], args: argparse.Namespace, diag: Diagnostics
) -> _Inputs:
    """Read the pages and assemble the manual (when it or the booklet is stale); read the
    stale cards. All of it plain data, sent to the rendering processes."""
    papers = [project.settings.manual.paper] if "manual.pdf" in stale else []
    papers += ["A5"] if BOOKLET in stale else []
    manual = None
    if papers:
        spaces = read_spaces(project, diag, allow_remote=args.allow_remote)
        manual = _assemble_manual(project, spaces, diag, papers, allow_remote=args.allow_remote)
    names = [n for n in todo.cards if {f"cards/{n}.pdf", bleed_file(n)} & stale]
    return _Inputs(manual, _load_cards(project, diag, names), diag)


def _assemble_manual(
    project: Project,
    spaces: list[Space],
    diag: Diagnostics,
    papers: list[str],
    *,
    allow_remote: bool,
) -> _Manual:
    """The manual's one HTML document, metadata and per-paper CSS, from the spaces read."""
    from dataclasses import replace

    from builder import manual as manual_mod

    settings = project.settings
    book = manual_mod.assemble(spaces, settings, project.root, diag)
    html = manual_mod.to_html(
        book, settings, project.layouts, root=spaces[0].root, allow_remote=allow_remote
    )
    sizes = {}
    for paper in papers:
        on = replace(settings, manual=replace(settings.manual, paper=paper))
        sizes[paper] = _Paper(manual_mod.page_css(on), manual_mod.image_box(on))
    meta = manual_mod.metadata(book, settings)
    return _Manual(html, meta, len(book.chapters), sizes)


def _make_renderer(project: Project, args: argparse.Namespace, diag: Diagnostics) -> Renderer:
    from builder.pdf import Renderer

    return Renderer(
        [project.root, project.source, project.cache],
        diag,
        allow_remote=args.allow_remote,
        cache_dir=project.cache / "remote",
        strict=args.strict,
    )


def _run_jobs(jobs: list[Job], renderer: Renderer, *, parallel: bool) -> list[str]:
    """Run each job but the last in a forked process, the last here; gather what they made.

    WeasyPrint lays a document out on one core: the manual, its A5 booklet and the cards
    are three documents, and the system shares the cores between the three processes.
    Forked after WeasyPrint and the fonts are loaded, a child pays for neither.
    """
    forked, here = (jobs[:-1], jobs[-1:]) if parallel else ([], jobs)
    made: list[str] = []

    def take(result: tuple[list[str], Diagnostics]) -> None:
        keys, found = result
        renderer.diag.extend(found)  # the build's: this process's renderer reports to it
        made.extend(keys)

    def run_here() -> None:
        for job in here:
            made.extend(job(renderer))

    workers = [partial(_in_child, partial(job, renderer), renderer) for job in forked]
    _alongside(run_here, workers, take)
    return made


def _alongside(
    here: Callable[[], Any], workers: Sequence[Callable[[], Any]], take: Callable[[Any], None]
) -> None:
    """Run each worker in a forked process while `here` runs in this one; hand each worker's
    result to take; wait for every process whatever happens, then raise the first failure."""
    waiters = [_fork(worker) for worker in workers]
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


def _in_child(job: Callable[[], Any], renderer: Renderer | None = None) -> Any:
    """In a forked process: the job, what it found in a collector of its own, sent back."""
    logging.getLogger("guideprint").disabled = True  # the parent logs it, once
    if renderer is None:
        return job()
    diag = Diagnostics()
    renderer.report_to(diag)
    return job(), diag


def _fork(job: Callable[[], Any]) -> Callable[[], Any]:
    """Start job in a forked process (WeasyPrint already imported); return its waiter.

    The waiter returns what job returned, or raises what it raised: a GuideError as it was,
    a bug with the worker's traceback attached as a note (tracebacks do not cross a pipe).
    """
    import os
    import pickle

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        with os.fdopen(write, "wb") as out:
            out.write(_outcome(job))
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


def _stop_on_problems(diag: Diagnostics, *, strict: bool) -> None:
    if diag.errors:
        raise RenderError(f"{len(diag.errors)} error(s) in the content; nothing more written")
    if strict and diag.warnings:
        raise RenderError(f"{len(diag.warnings)} warning(s) with --strict; nothing more written")


def _render_manual_file(project: Project, manual: _Manual, renderer: Renderer) -> list[str]:
    paper = project.settings.manual.paper
    render_manual(project, manual, paper, renderer, project.out / "manual.pdf")
    return ["manual.pdf"]


def render_manual(
    project: Project,
    manual: _Manual,
    paper: str,
    renderer: Renderer,
    target: Path,
    *,
    variant: str | None = None,
    images_from_the_end: bool = False,
) -> Any:
    """Render the manual on one paper to target; return the laid-out document.

    variant: the PDF variant, the settings' (PDF/UA-1 by default) unless given.
    images_from_the_end: see builder.downsample.downsample_pages.
    """
    from builder.downsample import downsample_pages
    from builder.pdf import Metadata

    on = manual.papers[paper]
    cache = project.cache / "images"
    html = downsample_pages([manual.html], on.box, cache, from_the_end=images_from_the_end)[0]
    manual_css = project.layouts.path("manual/manual.css")
    css = [
        renderer.stylesheet(manual_css.read_text(encoding="utf-8"), manual_css.parent),
        renderer.stylesheet(on.css, project.root),
    ]
    LOG.info("rendering the manual (%d chapters, %s)", manual.chapters, paper)
    document = renderer.render(html, project.source, css, source="manual")
    variant = variant if variant is not None else project.settings.manual.pdf_variant
    renderer.write(document, target, Metadata(**manual.meta), variant=variant or None)
    return document


@dataclass(frozen=True)
class _Checked:
    card: Card
    bodies: dict[str, Markup]  # each side's HTML, read once: to check, then to render


def _load_cards(project: Project, diag: Diagnostics, names: list[str]) -> dict[str, _Checked]:
    """The cards to render, read and checked before anything is written."""
    from builder.cards import load_card, sides_html

    found = {}
    for name in names:
        try:
            card = load_card(cards_dir(project), name, project.settings)
        except GuideError as exc:
            diag.add_error(exc)
            continue
        found[name] = _Checked(card, sides_html(card, diag))
    return found


def _render_cards(
    project: Project, todo: Plan, stale: set[str], cards: dict[str, _Checked], renderer: Renderer
) -> list[str]:
    """Each card laid out once, with its bleed: print-shop file, then cut to its trim.

    Then, when the sheets are stale, out/print/: office sheets (and copies) and the
    print-shop sheet, imposed from the bleed files with pypdf.
    """
    import os

    from builder.cards import render_card
    from builder.sheets import impose_print_shop, trim_card

    made, cut = [], []
    for name, checked in cards.items():
        shop = todo.sheets  # else the bleed file is only a step, kept in the cache
        bleed = project.out / bleed_file(name) if shop else project.cache / "bleed" / f"{name}.pdf"
        render_card(checked.card, renderer, bleed, bleed=True, bodies=checked.bodies)
        cut.append((bleed, project.out / "cards" / f"{name}.pdf", checked.card.size_mm))
        made += [f"cards/{name}.pdf", *([bleed_file(name)] if shop else [])]
    sheets = CARD_SHEETS in stale
    # Three pypdf jobs, all from the bleed files: the print-shop sheet in a second process.
    shop_files = [project.out / bleed_file(name) for name in todo.cards]
    sra3 = partial(impose_print_shop, shop_files, project.out / "print" / "imprimeur" / SRA3)
    forked = sheets and (os.cpu_count() or 1) > 1

    def here() -> None:
        for bleed, card, size in cut:
            trim_card(bleed, card, trim_mm=size)
        if sheets:
            _impose_office_sheets(project, todo)
            if not forked:
                sra3()

    _alongside(here, [partial(_in_child, sra3)] if forked else [], lambda _: None)
    return made + ([CARD_SHEETS] if sheets else [])


def _impose_office_sheets(project: Project, todo: Plan) -> None:
    """out/print/: the office sheet of every card, and --copies N of one."""
    from builder.sheets import impose_cards, impose_copies

    out = project.out / "print"
    bleeds = {name: project.out / bleed_file(name) for name in todo.cards}  # cut at the trim
    impose_cards(list(bleeds.values()), out / "cartes-bureau.pdf")
    if todo.copies:
        for name, pdf in bleeds.items():
            impose_copies(pdf, out / f"{name}-x{todo.copies}.pdf", copies=todo.copies)


def _render_booklet(project: Project, manual: _Manual, renderer: Renderer) -> list[str]:
    """out/print/: the manual at A5, imposed as a saddle-stitched booklet on A4."""
    from builder.sheets import impose_booklet

    # Only a step towards the booklet, whose imposed sheets are new pages: no tags to keep.
    a5 = project.cache / "manuel-a5.pdf"
    render_manual(project, manual, "A5", renderer, a5, variant="", images_from_the_end=True)
    impose_booklet(a5, project.out / BOOKLET)
    return [BOOKLET]


def welcome(project: Project, args: argparse.Namespace, diag: Diagnostics) -> int:
    """guideprint welcome users.csv: packs and drafts; --send --yes to send them."""
    import sys

    from builder.packs import make_renderer
    from builder.welcome import run_welcome, send, send_summary, smtp_from_env

    if not args.csv.is_file():
        raise GuideError("no such file", file=args.csv, hint="give the CSV HR sent")
    manual_args = argparse.Namespace(
        manual=True,
        card=None,
        sheets=False,
        copies=0,
        allow_remote=False,
        force=False,
        watch=False,
        strict=args.strict,
    )
    build(project, manual_args, diag)  # the manual, rendered once (or already up to date)
    progress = _progress_bar() if sys.stderr.isatty() and not args.quiet else None
    with build_lock(project.out):
        result = run_welcome(
            args.csv,
            project.settings,
            known_cards=card_names(project),
            out=project.out,
            factory=make_renderer,
            factory_args=(str(Path.cwd()), str(project.source), str(project.out / "manual.pdf")),
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
    import sys

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r[{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)  # noqa: T201

    return show
