"""Build every pack: the manual once, then people spread over worker processes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Protocol

from builder.config import Settings
from builder.diagnostics import Diagnostic, Diagnostics, silence
from builder.errors import GuideError, RenderError
from builder.gate import current
from builder.welcome.mail import (
    DEFAULT_LAYOUTS,
    check_template,
    draft,
    environment,
    sender,
    write_eml,
)
from builder.welcome.pack import MAX_PACK_BYTES, pack_meta, pack_name, read_pdf, write_pack
from builder.welcome.people import Person, Roster, read_people

WELCOME_DIR = "welcome"
# Modules the fork server imports once, so each worker starts with them loaded.
PRELOAD = ["builder.weasy", "pypdf", "jinja2", "builder.welcome"]  # weasyprint by its short-cut


class PackRenderer(Protocol):
    """What the welcome packs need from the card and manual renderers."""

    def cards_for(self, person: Person, out_dir: Path) -> list[Path]:
        """Write the person's personalised card PDFs into out_dir; return their paths."""
        ...

    def manual_pdf(self) -> Path:
        """Return the manual PDF (called once per run, in the parent process)."""
        ...


# Called as factory(diag, *factory_args) once per worker process; must be a top-level
# function (it is pickled by reference), its args picklable.
RendererFactory = Callable[..., PackRenderer]
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class PackJob:
    """What every worker needs besides the renderer; picklable."""

    settings: Settings
    out_dir: Path
    manual: Path
    source: Path
    layouts: tuple[Path, ...]


@dataclass(frozen=True)
class PackOutcome:
    """What was built for one person (pack and eml are None when it failed)."""

    person: Person
    folder: Path
    cards: tuple[Path, ...] = ()
    pack: Path | None = None
    eml: Path | None = None
    size: int = 0
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the pack and its email draft were both written."""
        return self.pack is not None and self.eml is not None


@dataclass
class WelcomeResult:
    """The run's outcome: rejected rows plus people whose pack could not be built."""

    roster: Roster
    outcomes: list[PackOutcome] = field(default_factory=list)

    @property
    def packs(self) -> list[PackOutcome]:
        """The people whose pack and draft exist, in CSV order."""
        return [o for o in self.outcomes if o.ok]

    @property
    def emls(self) -> list[Path]:
        """The drafts to send, in CSV order."""
        return [o.eml for o in self.outcomes if o.eml is not None]

    @property
    def failed(self) -> int:
        """Rows that got no pack: rejected by the checks or failed while building."""
        return self.roster.rejected + sum(not o.ok for o in self.outcomes)


class PackBuilder:
    """Build packs one after another with one renderer: what a worker process runs."""

    def __init__(self, job: PackJob, renderer: PackRenderer, diag: Diagnostics) -> None:
        self.job = job
        self.renderer = renderer
        self.diag = diag
        self.manual = read_pdf(job.manual, "manual")  # parsed once, merged into every pack
        self.env = environment(job.layouts)
        self.html_env = environment(job.layouts, html=True)  # the same template, escaped

    def build(self, person: Person) -> PackOutcome:
        """Build one person's cards, pack and draft; a GuideError fails only this person."""
        start = len(self.diag.items)
        folder = self.job.out_dir / person.folder
        try:
            outcome = self._build(person, folder)
        except GuideError as exc:
            where = self.job.source
            self.diag.error(f"no pack for {person.name}: {exc}", file=where, line=person.row)
            outcome = PackOutcome(person, folder)
        return replace(outcome, diagnostics=tuple(self.diag.items[start:]))

    def _build(self, person: Person, folder: Path) -> PackOutcome:
        settings = self.job.settings
        folder.mkdir(parents=True, exist_ok=True)
        cards = tuple(self.renderer.cards_for(person, folder))
        name = pack_name(settings, person)
        pack = folder / name
        data = write_pack(cards, self.manual, pack_meta(settings, person), pack)
        if len(data) > MAX_PACK_BYTES:
            self.diag.warn(
                f"pack is {len(data) / 1e6:.1f} MB, over {MAX_PACK_BYTES / 1e6:.0f} MB",
                file=pack,
                hint="mail servers may refuse it; check the manual's size",
            )
        eml = pack.with_suffix(".eml")
        write_eml(draft(self.env, settings, person, name, data, self.html_env), eml)
        _remove_stale(folder, {*cards, pack, eml})
        return PackOutcome(person, folder, cards, pack, eml, len(data))


def run_welcome(
    csv: Path,
    settings: Settings,
    *,
    known_cards: Sequence[str],
    out: Path,
    factory: RendererFactory,
    factory_args: Sequence[Any] = (),
    diag: Diagnostics,
    jobs: int | None = None,
    progress: Progress | None = None,
    layouts: Sequence[Path] = (DEFAULT_LAYOUTS,),
    manual: Path | None = None,
) -> WelcomeResult:
    """Read the CSV, then build every good row's pack and draft into out/welcome/."""
    roster = read_people(csv, settings, known_cards, diag)
    outcomes = build_packs(
        roster,
        settings,
        out=out,
        factory=factory,
        factory_args=factory_args,
        diag=diag,
        jobs=jobs,
        progress=progress,
        layouts=layouts,
        manual=manual,
    )
    return WelcomeResult(roster, outcomes)


def build_packs(
    roster: Roster,
    settings: Settings,
    *,
    out: Path,
    factory: RendererFactory,
    factory_args: Sequence[Any] = (),
    diag: Diagnostics,
    jobs: int | None = None,
    progress: Progress | None = None,
    layouts: Sequence[Path] = (DEFAULT_LAYOUTS,),
    manual: Path | None = None,
) -> list[PackOutcome]:
    """Build the roster's packs over `jobs` processes (default: every core), in CSV order."""
    if not roster.people:
        return []
    check_template(environment(layouts))  # fail before the first render, not in a worker
    sender(settings)
    renderer = None
    if manual is None:
        renderer = factory(diag, *factory_args)
        manual = renderer.manual_pdf()
    if not current().is_file(manual):
        raise RenderError(f"manual not found: {manual}", hint="build it first: guideprint build")
    job = PackJob(settings, out / WELCOME_DIR, manual, roster.source, tuple(layouts))
    workers = min(jobs or os.cpu_count() or 1, len(roster.people))
    if workers == 1:
        builder = PackBuilder(job, renderer or factory(diag, *factory_args), diag)
        return _serial(builder, roster.people, progress)
    return _parallel(job, (factory, tuple(factory_args)), roster.people, workers, diag, progress)


def _serial(
    builder: PackBuilder, people: Sequence[Person], progress: Progress | None
) -> list[PackOutcome]:
    outcomes = []
    for done, person in enumerate(people, 1):
        outcomes.append(builder.build(person))
        if progress:
            progress(done, len(people))
    return outcomes


def _parallel(
    job: PackJob,
    renderer: tuple[RendererFactory, tuple[Any, ...]],
    people: Sequence[Person],
    workers: int,
    diag: Diagnostics,
    progress: Progress | None,
) -> list[PackOutcome]:
    # One task per person, one renderer per process (made by the initializer): each worker
    # pays WeasyPrint's start-up once, and progress and load balancing stay per person.
    context = _fork_server()
    outcomes: list[PackOutcome] = []
    with ProcessPoolExecutor(workers, context, _start_worker, (job, *renderer)) as pool:
        futures = [pool.submit(_build_in_worker, person) for person in people]
        try:
            for done, outcome in enumerate(_results(futures), 1):
                _report(diag, outcome.diagnostics)
                outcomes.append(outcome)
                if progress:
                    progress(done, len(people))
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return sorted(outcomes, key=lambda o: o.person.row)


def _fork_server() -> BaseContext:
    """The forkserver context, its server started without the working folder on sys.path.

    The server is a fresh `python -c`, which puts the working folder (the project) first on
    sys.path: a weasyprint.py or jinja2.py there would be imported instead of the real one,
    and run. PYTHONSAFEPATH (Python 3.11) leaves the folder out; guideprint's own folder goes
    on PYTHONPATH instead, for a guideprint run from its source tree.
    """
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    saved = {name: os.environ.get(name) for name in ("PYTHONSAFEPATH", "PYTHONPATH")}
    own = str(Path(__file__).resolve().parents[2])
    os.environ["PYTHONSAFEPATH"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [own, saved["PYTHONPATH"]]))
    try:
        forkserver.ensure_running()  # the pool's workers are forked from this server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return context


def _results(futures: Iterable[Future[PackOutcome]]) -> Iterable[PackOutcome]:
    for future in as_completed(futures):
        yield future.result()


def _report(diag: Diagnostics, found: Sequence[Diagnostic]) -> None:
    diag.extend(Diagnostics(items=list(found)))


# One per worker process; or why it could not start, raised again by every task so the
# parent gets the user's one-line error instead of a broken pool.
_BUILDER: PackBuilder | GuideError | None = None


def _start_worker(job: PackJob, factory: RendererFactory, args: tuple[Any, ...]) -> None:
    global _BUILDER
    # Workers collect; the parent logs what they return, so nothing is printed twice.
    silence()
    diag = Diagnostics()
    try:
        _BUILDER = PackBuilder(job, factory(diag, *args), diag)
    except GuideError as exc:
        _BUILDER = exc


def _build_in_worker(person: Person) -> PackOutcome:
    if isinstance(_BUILDER, GuideError):
        raise _BUILDER
    assert _BUILDER is not None, "worker not initialised"
    return _BUILDER.build(person)


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Drop PDFs and drafts a previous run left (e.g. a card no longer in the row)."""
    kept = {p.resolve() for p in keep}
    for path in folder.iterdir():
        if path.suffix in (".pdf", ".eml") and not path.name.startswith("."):
            if path.resolve() not in kept:
                path.unlink(missing_ok=True)
