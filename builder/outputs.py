"""Every kind of output, as data: what it is made from, which job makes it, where it goes.

Planning, the ledger's keys, the jobs and the final report all derive from KINDS, the way
markdown-it-py lists its rules: a new kind of output is one entry here and one renderer in
its product package (builder.manual.job, builder.cards.job, builder.sheets.job).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from builder.diagnostics import Collected, Diagnostic, Diagnostics
from builder.errors import GuideError, OutputError, UsageError
from builder.gate import Seen, current
from builder.record import Frozen, Record

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any

    from builder.pdf import Renderer
    from builder.project import Project


class Kind(Frozen):
    """One kind of output: a row of KINDS."""

    __slots__ = _fields = ("name", "path", "made_from", "job", "per_card", "doc")
    name: str
    path: str  # relative to out/; "{card}" and "{copies}" filled in per output
    made_from: str  # "pages" (the space), "card" (one card file), "cards" (every card's bleed)
    job: str  # the job that renders it: "manual", "booklet", "cards", "sheets"
    per_card: bool
    doc: str

    def __init__(self, name: str, path: str, made_from: str, job: str, per_card: bool = False,
                 doc: str = "") -> None:  # fmt: skip
        self._set(name, path, made_from, job, per_card, doc)


KINDS: tuple[Kind, ...] = (
    Kind("manual", "manual.pdf", "pages", "manual", doc="the manual, tagged PDF/UA"),
    Kind("booklet", "print/manuel-livret.pdf", "pages", "booklet",
         doc="the manual at A5, imposed as a saddle-stitched booklet on A4"),
    Kind("card", "cards/{card}.pdf", "card", "cards", per_card=True,
         doc="a quick card, cut to its trim"),
    Kind("bleed", "print/imprimeur/{card}-fond-perdu.pdf", "card", "cards", per_card=True,
         doc="a card with its bleed, for the print shop"),
    Kind("copies", "print/{card}-x{copies}.pdf", "card", "sheets", per_card=True,
         doc="N copies of one card on office sheets"),
    Kind("office-sheet", "print/cartes-bureau.pdf", "cards", "sheets",
         doc="every card on A4, front and back, with cut guides"),
    Kind("shop-sheet", "print/imprimeur/planche-sra3.pdf", "cards", "sheets",
         doc="every card on SRA3 with bleed and crop marks"),
)  # fmt: skip
BY_NAME = {kind.name: kind for kind in KINDS}
JOBS = {  # job name -> its renderer, imported when something has to be rendered
    "manual": "builder.manual.job:render_manual",
    "booklet": "builder.manual.job:render_booklet",
    "cards": "builder.cards.job:render_cards",
    "sheets": "builder.sheets.job:render_sheets",
}
FORKED = ("manual", "booklet")  # each in a process of its own; cards then sheets here
IMPOSED = ("booklet", "sheets")  # pypdf work on what was laid out: not done by `check`
# Run in the reader's process once it has read (builder.workers.Relay), warmed up there
# (warm) while WeasyPrint loads in the build's; what it needs of the renderer made there
# first (ahead). Forked only: spawned, or in a process that keeps its renderer, it runs here.
PRESSED = {"sheets": ("builder.sheets.job:warm", "builder.sheets.job:ahead")}


class Output(Frozen):
    """One file to make: a kind, for a card when the kind is per card."""

    __slots__ = _fields = ("kind", "card", "copies")
    kind: Kind
    card: str | None
    copies: int

    def __init__(self, kind: Kind, card: str | None = None, copies: int = 0) -> None:
        self._set(kind, card, copies)

    @property
    def key(self) -> str:
        """The output's path relative to out/: its name in the ledger and the report."""
        return self.kind.path.format(card=self.card, copies=self.copies)

    @property
    def group(self) -> str:
        """What it is read from: "pages", "card:NAME" or "cards"."""
        return f"card:{self.card}" if self.kind.made_from == "card" else self.kind.made_from


class BuildRequest(Frozen):
    """What a command asks of the build; nothing below the commands sees argparse."""

    __slots__ = _fields = ("manual", "cards", "sheets", "copies", "allow_remote", "force",
                           "strict", "write")  # fmt: skip
    manual: bool
    cards: tuple[str, ...]
    sheets: bool
    copies: int
    allow_remote: bool
    force: bool
    strict: bool
    write: bool  # False: `check`, the build without writing

    def __init__(self, manual: bool = False, cards: tuple[str, ...] = (), sheets: bool = False,
                 copies: int = 0, allow_remote: bool = False, force: bool = False,
                 strict: bool = False, write: bool = True) -> None:  # fmt: skip
        self._set(manual, cards, sheets, copies, allow_remote, force, strict, write)

    @property
    def everything(self) -> bool:
        return not (self.manual or self.cards or self.sheets)


class Read(Record):
    """What a group of outputs is made from, read and checked, with what reading found."""

    __slots__ = _fields = ("value", "seen", "diag")
    value: Any  # the product's own: the assembled manual, a checked card
    seen: dict[str, Seen]
    diag: Diagnostics

    def __init__(self, value: Any, seen: dict[str, Seen], diag: Diagnostics) -> None:
        self.value, self.seen, self.diag = value, seen, diag


class Made(Record):
    """What happened to one output: written (error None) or failed, and what it read."""

    __slots__ = _fields = ("key", "seen", "diag", "error")
    key: str
    seen: dict[str, Seen]
    diag: list[Diagnostic]
    error: str | None

    def __init__(self, key: str, seen: dict[str, Seen] | None = None,
                 diag: list[Diagnostic] | None = None,
                 error: str | None = None) -> None:  # fmt: skip
        self.key = key
        self.seen = {} if seen is None else seen
        self.diag = [] if diag is None else diag
        self.error = error


class JobContext(Record):
    """What a renderer job gets: the project, the renderer, where to write."""

    __slots__ = _fields = ("project", "renderer", "out", "request", "cards")
    project: Project
    renderer: Renderer
    out: Path  # out/, or a scratch folder for `check`
    request: BuildRequest
    cards: tuple[str, ...]  # every card of the space, in order (the sheets hold them all)

    def __init__(self, project: Project, renderer: Renderer, out: Path, request: BuildRequest,
                 cards: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.project, self.renderer, self.out, self.request = project, renderer, out, request
        self.cards = cards


@contextlib.contextmanager
def making(key: str, ctx: JobContext) -> Iterator[Made]:
    """Make one output in the block: what it reads and what the renderer reports are its
    own; a GuideError fails this output only (the others go on)."""
    made = Made(key)
    diag = Collected()
    if ctx.renderer is not None:  # None: imposed in the reader's process (builder.build)
        ctx.renderer.report_to(diag)
    with current().recording() as seen:
        try:
            yield made
        except OutputError:
            raise  # out/ cannot be written (disk full, a folder in the way): the whole build
        except GuideError as exc:
            made.error = str(exc)
    made.seen, made.diag = dict(seen), list(diag.items)


def plan(request: BuildRequest, names: list[str]) -> list[Output]:
    """The outputs a request makes, in the order they are reported."""
    unknown = [n for n in request.cards if n not in names]
    if unknown:
        raise UsageError(f"unknown card '{unknown[0]}'", hint=card_hint(unknown[0], names))
    if request.everything or request.sheets:
        chosen = names
        wanted = {"card", "bleed", "office-sheet", "shop-sheet", "booklet"}
        wanted |= {"manual"} if request.everything else set()
        if not names:
            wanted = {"booklet", *(["manual"] if request.everything else [])}
    else:
        chosen = list(request.cards)
        wanted = {"card"} if chosen else set()
        wanted |= {"manual"} if request.manual else set()
        wanted |= {"copies"} if request.copies else set()
    wanted |= {"manual"} if request.manual else set()
    outputs: list[Output] = []
    for kind in KINDS:
        if kind.name not in wanted:
            continue
        if kind.per_card:
            outputs += [Output(kind, name, request.copies) for name in chosen]
        else:
            outputs.append(Output(kind))
    return outputs


def card_hint(name: str, names: list[str]) -> str:
    """Suggest the closest card and always list them all."""
    from builder.config import did_you_mean

    if not names:
        return "this space has no cards/ folder"
    hint = did_you_mean(name, names)
    return hint if hint.startswith("known:") else f"{hint} known: {', '.join(names)}"


def output_options(output: Output, request: BuildRequest, source: Path, space: str | None,
                   names: list[str]) -> str:  # fmt: skip
    """What, besides its inputs, an output depends on (its ledger entry holds it)."""
    cards = ",".join(names) if output.kind.made_from == "cards" else ""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")  # the cards' edition, the cover's date
    return (f"{output.kind.name}|remote={request.allow_remote}|space={space}"
            f"|source={source}|copies={output.copies}|cards={cards}|epoch={epoch}")  # fmt: skip


def dependents_of_stale(outputs: list[Output], fresh: set[str]) -> list[str]:
    """Fresh sheets imposed from a card laid out again: they are stale too."""
    shop = {o.card for o in outputs if o.kind.name == "bleed"}  # the sheets read these files
    relaid = {o.card for o in outputs if o.kind.job == "cards" and o.key not in fresh
              and (o.kind.name == "bleed" or o.card not in shop)}  # fmt: skip
    return [o.key for o in outputs if o.key in fresh and o.kind.job == "sheets"
            and (o.card in relaid or (o.card is None and relaid))]  # fmt: skip


def with_cards_of_copies(stale: list[Output], planned: list[Output]) -> list[Output]:
    """N copies are imposed from their card's layout: that card is laid out again."""
    cards = {o.card for o in stale if o.kind.name == "copies"}
    extra = [o for o in planned if o.kind.name == "card" and o.card in cards and o not in stale]
    return [*extra, *stale]
