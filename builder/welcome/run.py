"""Build the packs: the manual once, the packs not up to date (their ledger) over worker
processes."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Protocol

from builder.config import Settings
from builder.diagnostics import Diagnostic, Diagnostics, silence
from builder.errors import GuideError, RenderError
from builder.gate import Seen, current
from builder.ledger import Ledger, seen_file
from builder.outputs import Made
from builder.welcome.mail import (
    DEFAULT_LAYOUTS,
    TEMPLATE,
    check_template,
    draft,
    environment,
    sender,
    write_eml,
)
from builder.welcome.pack import (
    MAX_PACK_BYTES,
    PackMeta,
    manual_name,
    pack_meta,
    pack_name,
)
from builder.welcome.people import Person, Roster, read_people

WELCOME_DIR = "welcome"
# Modules the fork server imports once, so each worker starts with them loaded.
PRELOAD = ["builder.weasy", "pypdf", "jinja2", "builder.welcome"]  # weasyprint by its short-cut


class PackRenderer(Protocol):
    """What the welcome packs need from the card renderer."""

    def pack_for(self, person: Person, target: Path, meta: PackMeta) -> None:
        """Write the person's personalised cards as one tagged PDF (PDF/UA-1) at target."""
        ...

    def inputs_of(self, person: Person) -> Mapping[str, Seen]:
        """What the person's pack is made from that this process read once for many
        (cards read when the renderer was made, layouts kept in memory): by the gate's
        record. What pack_for reads is recorded besides."""
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
    pack: Path | None = None
    eml: Path | None = None
    size: int = 0  # the attachments' bytes: the pack and the manual
    diagnostics: tuple[Diagnostic, ...] = ()
    rendered: bool = True  # False: up to date, found in the packs' ledger
    inputs: Mapping[str, Seen] = field(default_factory=dict, repr=False, compare=False)
    shared: Mapping[str, Seen] = field(default_factory=dict, repr=False, compare=False)

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
        # Read once, for every pack: what each pack (and draft) depends on besides its own.
        with current().recording() as seen:
            self.manual = current().read_bytes(job.manual, what="manual")  # attached to each
            self.env = environment(job.layouts)
            self.html_env = environment(job.layouts, html=True)  # the same template, escaped
            for env in (self.env, self.html_env):
                env.get_template(TEMPLATE)  # read now: Jinja keeps it for the next people
        self.shared = dict(seen)

    def build(self, person: Person) -> PackOutcome:
        """Build one person's pack and draft; a GuideError fails only this person."""
        start = len(self.diag.items)
        folder = self.job.out_dir / person.folder
        with current().recording() as seen:
            try:
                outcome = self._build(person, folder)
            except GuideError as exc:
                where = self.job.source
                self.diag.error(f"no pack for {person.name}: {exc}", file=where, line=person.row)
                outcome = PackOutcome(person, folder)
        inputs = {**self.shared, **self.renderer.inputs_of(person), **seen}
        found = tuple(self.diag.items[start:])
        return replace(outcome, diagnostics=found, inputs=inputs, shared=self.shared)

    def _build(self, person: Person, folder: Path) -> PackOutcome:
        settings = self.job.settings
        folder.mkdir(parents=True, exist_ok=True)
        name = pack_name(settings, person)
        pack = folder / name
        self.renderer.pack_for(person, pack, pack_meta(settings, person))
        # Read back as written, not through the gate: an output of this run, no input of it.
        data = pack.read_bytes()
        size = len(data) + len(self.manual)
        if size > MAX_PACK_BYTES:
            self.diag.warn(
                f"pack and manual are {size / 1e6:.1f} MB, over {MAX_PACK_BYTES / 1e6:.0f} MB",
                file=pack,
                hint="mail servers may refuse it; check the manual's size",
            )
        eml = pack.with_suffix(".eml")
        manual = (manual_name(settings), self.manual)
        write_eml(draft(self.env, settings, person, name, data, self.html_env, [manual]), eml)
        _remove_stale(folder, {pack, eml})
        return PackOutcome(person, folder, pack, eml, size)


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
    """Build the roster's packs over `jobs` processes (default: every core), in CSV order.

    Packs are outputs as the build's are (builder.ledger): out/welcome/ has a ledger of its
    own, and a pack is made again only when its person's row, one of its inputs (cards,
    layouts, templates, the manual, the fonts, guideprint) or the file itself changed.
    """
    if not roster.people:
        return []
    check_template(environment(layouts))  # fail before the first render, not in a worker
    sender(settings)
    out_dir = out / WELCOME_DIR
    read_ns = time.time_ns()  # before anything is read: a factory reads the cards at once
    renderer = None
    if manual is None:
        renderer = factory(diag, *factory_args)
        manual = renderer.manual_pdf()
    if not current().is_file(manual):
        raise RenderError(f"manual not found: {manual}", hint="build it first: guideprint build")
    job = PackJob(settings, out_dir, manual, roster.source, tuple(layouts))
    ledger = Ledger.load(out_dir)
    made_with = _made_with(job, factory, factory_args)
    options = {p.email: pack_options(p, made_with) for p in roster.people}
    done: list[PackOutcome] = []
    stale: list[Person] = []
    for person in roster.people:
        outcome = _up_to_date(ledger, job, person, options[person.email])
        if outcome is None:
            stale.append(person)
        else:
            _report(diag, outcome.diagnostics)
            done.append(outcome)
    if not stale:  # what was hashed to find it so is trusted by its stat next time
        ledger.settle(out_dir, [k for p in roster.people for k in _keys(job, p)])
        return done
    workers = min(jobs or os.cpu_count() or 1, len(stale))
    if workers == 1:
        builder = PackBuilder(job, renderer or factory(diag, *factory_args), diag)
        made = _serial(builder, stale, progress)
    else:
        made = _parallel(job, (factory, tuple(factory_args)), stale, workers, diag, progress)
    _record(ledger, job, made, options, read_ns)
    return sorted([*done, *made], key=lambda o: o.person.row)


def pack_options(person: Person, made_with: str) -> str:
    """What, besides its input files, a pack depends on: the person's row (its data, not
    its line: a row added above changes no one else's pack) and how packs are made."""
    row = {k: v for k, v in asdict(person).items() if k != "row"}
    data = json.dumps([row, made_with], ensure_ascii=False, sort_keys=True, default=str)
    return f"welcome-pack|{hashlib.sha256(data.encode()).hexdigest()}"


def _made_with(job: PackJob, factory: RendererFactory, args: Sequence[Any]) -> str:
    """The settings (the server's apart: no pack shows them), layouts, manual, renderer."""
    settings = replace(job.settings, smtp=type(job.settings.smtp)())
    renderer = f"{factory.__module__}.{factory.__qualname__}{tuple(map(str, args))}"
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")  # the cards' edition
    return f"{settings!r}|{job.layouts}|{job.manual}|{renderer}|epoch={epoch}"


def _keys(job: PackJob, person: Person) -> tuple[str, str]:
    """The pack's and the draft's names in the packs' ledger (relative to out/welcome/)."""
    pack = f"{person.folder}/{pack_name(job.settings, person)}"
    return pack, pack.removesuffix(".pdf") + ".eml"


def _up_to_date(ledger: Ledger, job: PackJob, person: Person, options: str) -> PackOutcome | None:
    """The person's outcome when their pack and draft are up to date, else None."""
    pack_key, eml_key = _keys(job, person)
    gate = current()
    pack = ledger.fresh(pack_key, options, job.out_dir, gate)
    eml = pack and ledger.fresh(eml_key, options, job.out_dir, gate)
    if pack is None or eml is None:
        return None
    csv = str(job.source)  # a warning of the row names its line of today's CSV
    said = [d.replace(line=person.row) if d.file == csv else d for d in pack.diagnostics]
    folder = job.out_dir / person.folder
    size = pack.output.size + os.stat(job.manual).st_size  # the attachments, as when made
    return PackOutcome(person, folder, job.out_dir / pack_key, job.out_dir / eml_key, size,
                       tuple(said), rendered=False)  # fmt: skip


def _record(
    ledger: Ledger,
    job: PackJob,
    outcomes: Sequence[PackOutcome],
    options: Mapping[str, str],
    read_ns: int,
) -> None:
    """Enter each pack and draft made in the packs' ledger (a failed one is left out)."""
    made: list[Made] = []
    keyed: dict[str, str] = {}
    for outcome in outcomes:
        pack_key, eml_key = _keys(job, outcome.person)
        error = None if outcome.ok else "failed"
        made.append(Made(pack_key, dict(outcome.inputs), list(outcome.diagnostics), error))
        keyed[pack_key] = keyed[eml_key] = options[outcome.person.email]
        if outcome.pack is not None and outcome.ok:
            # The draft is made of the pack, the templates and the manual (and the row).
            drawn = {**outcome.shared, str(outcome.pack.resolve()): seen_file(outcome.pack)}
            made.append(Made(eml_key, drawn))
        else:
            made.append(Made(eml_key, error="failed"))
    ledger.record(made, keyed, job.out_dir, current(), read_ns)


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
