"""The build: the outputs a request plans (builder.outputs), the ledger's word on which are
up to date, the stale ones read, checked and rendered, the ledger written, a report.

    plan -> ledger: fresh? -> (something stale: the lock, the ledger again, the settings)
         -> read (a forked reader while this process loads WeasyPrint; kept on to impose
            the sheets when there are some to make: the press, builder.workers.Relay)
         -> check what was read -> render jobs (manual and booklet forked, cards here, then
         the sheets in the press) -> inputs checked again -> ledger -> report

Each output stands alone: one that fails (an error in what it is made from, a card that
does not fit) is reported and the others are written. WeasyPrint is imported only when
something has to be rendered; a no-op build takes no lock and reads no settings (the
ledger checks that guideprint.toml is the file it read). A long-running process (serve,
--watch) hands in the renderer it keeps, and hears of each output as it is made.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from functools import partial

from builder.diagnostics import Collected, Diagnostics
from builder.gate import current
from builder.ledger import Entry, Ledger, changed_warning
from builder.output import build_lock
from builder.outputs import (
    FORKED,
    IMPOSED,
    JOBS,
    PRESSED,
    BuildRequest,
    JobContext,
    Made,
    Output,
    Read,
    dependents_of_stale,
    output_options,
    plan,
    with_cards_of_copies,
)
from builder.project import Project
from builder.project import card_names as names_in
from builder.report import report
from builder.workers import (
    START,
    KeptRenderer,
    Relay,
    alongside,
    in_child,
    job_here,
    kept_renderer,
    named,
    new_renderer,
    reading,
    run_job,
    scratch,
)

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from builder.pdf import Renderer

Made_ = Callable[[Made], None]  # told of each output as its job makes it, before the ledger


def card_names(project: Project) -> list[str]:
    """The card names of the space, without reading them."""
    return names_in(project.source / "cards")


def build(project: Project, request: BuildRequest, diag: Diagnostics, *,
          kept: KeptRenderer | None = None, on_made: Made_ | None = None) -> int:  # fmt: skip
    """Make the stale outputs of the request; report each; 1 when any failed.

    kept: the renderer of a process that builds again and again, used when made for the same
    and replaced otherwise; on_made: told of each output made (a preview shows it at once)."""
    started, read_ns = time.perf_counter(), time.time_ns()
    common = dict(project.gate.seen)  # read before the build (the settings, if read yet)
    names = card_names(project)
    outputs = plan(request, names)
    options = {o.key: output_options(o, request, project.source, project.space, names)
               for o in outputs}  # fmt: skip
    ledger, fresh = _fresh(project, request, outputs, options)
    # Looking writes nothing, so it takes no lock (filelock's import alone was 20 ms, then a
    # walk of out/ for leftovers): the lock is for making, and the ledger is read again
    # under it, as another build may have written meanwhile.
    writing = request.write and len(fresh) < len(outputs)
    if request.write and not writing:  # all up to date: what was hashed is trusted next time
        ledger.settle(project.out, list(fresh))
    with build_lock(project.out) if writing else contextlib.nullcontext():
        if writing:
            ledger, fresh = _fresh(project, request, outputs, options)
        stale = [o for o in outputs if o.key not in fresh]
        if stale:  # read and checked before anything is made; each output is made from them
            with project.gate.recording() as settings:
                _ = project.settings
            common.update(settings)
        made = _make(project, request, stale, names, kept, on_made) if stale else []
        for one in made:
            one.seen = {**common, **one.seen}
        if request.write and made:
            for one in ledger.record(made, options, project.out, project.gate, read_ns):
                one.diag.append(changed_warning(one.seen, read_ns, project))
    for entry in fresh.values():
        diag.extend(Diagnostics(list(entry.diagnostics)))  # replayed: --strict fails on them
    for one in made:
        diag.extend(Diagnostics(list(one.diag)))
    return report(outputs, set(fresh), made, write=request.write, force=request.force,
                  seconds=time.perf_counter() - started)  # fmt: skip


def _fresh(project: Project, request: BuildRequest, outputs: list[Output],
           options: dict[str, str]) -> tuple[Ledger, dict[str, Entry]]:  # fmt: skip
    """The ledger of out/ and the entries of the outputs it finds up to date."""
    ledger = Ledger.load(project.out)
    fresh: dict[str, Entry] = {}
    for o in outputs if not request.force else ():
        entry = ledger.fresh(o.key, options[o.key], project.out, project.gate)
        if entry is not None:
            fresh[o.key] = entry
    for key in dependents_of_stale(outputs, set(fresh)):
        fresh.pop(key)
    return ledger, fresh


def _make(project: Project, request: BuildRequest, stale: list[Output], names: list[str],
          kept: KeptRenderer | None, on_made: Made_ | None) -> list[Made]:  # fmt: skip
    """Read what the stale outputs are made from, then render those it lets through."""
    if request.copies:  # N copies are imposed from the card's layout: lay it out again
        stale = with_cards_of_copies(stale, plan(request, names))
    parallel = (os.cpu_count() or 1) > 1
    read = partial(_read, project, request, stale)
    renderers = [r] if (r := kept_renderer(project, request, kept)) else []
    press: Relay | None = None
    try:
        if parallel and not renderers:  # read in a fork while WeasyPrint loads here
            warm = [partial(named(w), project.out, tuple(names)) for j, (w, _) in PRESSED.items()
                    if request.write and any(o.kind.job == j for o in stale)]  # fmt: skip
            load = partial(_load, renderers, project, request, kept)
            reads, press = reading(read, load, warm[0] if warm else None)
        else:  # kept, a renderer costs nothing: a fork would cost 20 ms
            renderers = renderers or [new_renderer(project, request, kept)]
            reads = read()
        failed = [m for o in stale if (m := _refused(o, reads, request)) is not None]
        todo = [o for o in stale if o.key not in {m.key for m in failed}]
        with scratch(project, request) as out:
            ctx = JobContext(project, renderers[0], out, request, tuple(names))
            made = _render(todo, reads, ctx, parallel=parallel, failed=failed, on_made=on_made,
                           press=press)  # fmt: skip
            return failed + _own(made, todo, reads)
    finally:
        if press is not None:
            press.close()
        for renderer in renderers if kept is None else ():
            renderer.close()


def _load(renderers: list[Renderer], project: Project, request: BuildRequest,
          kept: KeptRenderer | None) -> None:  # fmt: skip
    renderers.append(new_renderer(project, request, kept))


def _read(project: Project, request: BuildRequest, stale: list[Output]) -> dict[str, Read]:
    """The pages (when a manual output is stale) and each stale card, read and checked."""
    reads: dict[str, Read] = {}
    if any(o.group == "pages" for o in stale):
        from builder.manual.job import read

        papers = [project.settings.manual.paper, "A5"]
        # No space to read, a wrong .gitbook.yaml: a GuideError, the build's one line.
        reads["pages"] = read(project, papers, Collected(), allow_remote=request.allow_remote,
                              keep=request.write)  # fmt: skip
    cards = list(dict.fromkeys(o.card for o in stale if o.card))
    if cards:
        from builder.cards.job import read as read_cards

        reads.update(read_cards(project, cards))
    return reads


def _refused(output: Output, reads: dict[str, Read], request: BuildRequest) -> Made | None:
    """Made for an output whose inputs have errors (or warnings under --strict), else None."""
    groups = [f"card:{n}" for n in request.cards] if output.group == "cards" else [output.group]
    for group in groups:
        read = reads.get(group)
        if read is None:
            continue
        errors, warnings = len(read.diag.errors), len(read.diag.warnings)
        if errors or (request.strict and warnings):
            what = "the pages" if group == "pages" else group.replace("card:", "card ")
            why = f"{errors} error(s)" if errors else f"{warnings} warning(s) with --strict"
            return Made(output.key, dict(read.seen), list(read.diag.items),
                        f"{why} in {what}; not written")  # fmt: skip
    return None


def _render(todo: list[Output], reads: dict[str, Read], ctx: JobContext, *, parallel: bool,
            failed: list[Made], on_made: Made_ | None = None,
            press: Relay | None = None) -> list[Made]:  # fmt: skip
    """Run each job over its outputs: the manual's in forked processes, the cards then the
    sheets here (the cards on both cores, the sheets in the press when there is one).
    `check` lays out but does not impose (a sheet of a failed card fails)."""
    by_job: dict[str, list[Output]] = {}
    for o in todo:
        by_job.setdefault(o.kind.job, []).append(o)
    write = ctx.request.write
    forked = [j for j in FORKED if j in by_job and parallel and (write or j not in IMPOSED)]
    made: list[Made] = []

    def run_here() -> None:
        for name in [j for j in JOBS if j in by_job and j not in forked]:
            broken = [m.key for m in [*failed, *made] if m.error and m.key.startswith("card")]
            if name == "sheets" and broken:
                made.extend(Made(o.key, error=f"{broken[0]} failed; not imposed")
                            for o in by_job[name])  # fmt: skip
            elif write or name not in IMPOSED:
                two = name == "cards" and parallel and START == "fork"
                done = (_cards_on_two(by_job[name], reads, ctx, press) if two
                        else run_job(name, by_job[name], reads, ctx, press))  # fmt: skip
                made.extend(done)
                if on_made is not None:
                    for one in done:
                        on_made(one)

    # Forked, a worker uses this process's renderer (fonts loaded); spawned, it makes its own.
    job_ctx = ctx if START == "fork" else ctx.replace(renderer=None)
    jobs = [partial(in_child, partial(job_here, j, by_job[j], reads, job_ctx, current()))
            for j in forked]  # fmt: skip
    alongside(run_here, jobs, made.extend)
    return made


def _cards_on_two(outputs: list[Output], reads: dict[str, Read], ctx: JobContext,
                  press: Relay | None) -> list[Made]:  # fmt: skip
    """The cards' job on both cores: every other card laid out in a forked worker (this
    process's renderer, its fonts loaded), the others here, the results in the outputs'
    order. Beside the manual and the booklet, the cards here were the last to end, alone on
    a core for ~0.35 s of a 1.6-s build of everything. A worker that dies (killed, out of
    memory) fails its cards, as the press does. A single card is laid out here alone."""
    names = list(dict.fromkeys(o.card for o in outputs))
    away = set(names[1::2])
    theirs = [o for o in outputs if o.card in away]
    if not theirs:
        return run_job("cards", outputs, reads, ctx, press)
    mine = [o for o in outputs if o.card not in away]
    made: list[Made] = []
    worker = partial(in_child, partial(job_here, "cards", theirs, reads, ctx, current()))

    def died(exc: BaseException) -> list[Made]:  # the worker's cards fail, with its reason
        return [Made(o.key, error=str(exc)) for o in theirs]

    alongside(lambda: made.extend(run_job("cards", mine, reads, ctx, press)), [worker],
              made.extend, lost=died)  # fmt: skip
    order = {o.key: n for n, o in enumerate(outputs)}
    return sorted(made, key=lambda m: order[m.key])


def _own(made: list[Made], todo: list[Output], reads: dict[str, Read]) -> list[Made]:
    """Each output made gets what its group read: its inputs and its diagnostics."""
    by_key = {o.key: o for o in todo}
    for one in made:
        group = reads.get(by_key[one.key].group) if one.key in by_key else None
        if group is not None:
            one.seen = {**group.seen, **one.seen}
            one.diag = [*group.diag.items, *(d for d in one.diag if d not in group.diag.items)]
    return made
