"""One save, as the preview sees it: the build run with its own rules, then what the page
shows (cards, manual pages, diagnostics) as one JSON-ready state.

    the whole request, built with the renderer kept from the last build
        -> each card as its job makes it (on_made): state, its new picture at once
        -> the print-shop files, the sheets, the manual -> state: the full diagnostics

A card edited is on the page as soon as its PDF is written (0.2 to 0.3 s after the save
here), not after the two sheets are imposed again (0.1 to 0.2 s more); the renderer kept
saves its fonts (90 ms a build). Each build gets the project loaded afresh: its read gate's
record is what the build takes as read before it (the settings), so nothing read by an
earlier build or by the preview may be in it.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from builder.diagnostics import ERROR, LOG, Diagnostic, Diagnostics, listening
from builder.errors import GuideError
from builder.gate import Gate, activate
from builder.outputs import BY_NAME, BuildRequest, Made, Output, plan
from builder.project import Project
from builder.project import card_names as names_in
from builder.serve.pictures import Pictures
from builder.workers import KeptRenderer

CARD_DPI = 192  # an A6 side at true size on a 2x screen: 794 px wide
PAGE_DPI = 72  # a manual page's thumbnail: 595 px wide for A4
KINDS_OF_CARD = ("card", "bleed")  # the outputs a card's own failure shows on


@dataclass
class Outcome:
    """What one build said: its diagnostics, the outputs that failed and why, an error that
    stopped it as a whole (a GuideError, a bug), how long it took."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0


class _Failures:
    """The report's `KEY: failed: WHY` lines (builder.report), heard as they are said."""

    def __init__(self) -> None:
        self.failed: dict[str, str] = {}

    def __call__(self, name: str, level: int, message: str) -> None:
        key, sep, why = message.partition(": failed: ")
        if sep and name == "guideprint.status" and level >= ERROR:
            self.failed[key] = why


def card_names(project: Project) -> list[str]:
    """The cards of the space, listed through a gate of the same roots that records apart:
    the listing must not become an input of what the next build makes."""
    with activate(Gate(project.gate.roots, project.gate.files)):
        return names_in(project.source / "cards")


def run_build(project: Project, request: BuildRequest, kept: KeptRenderer | None = None,
              on_made: Callable[[Made], None] | None = None) -> Outcome:  # fmt: skip
    """builder.build.build, its diagnostics and failures kept; never raises (but Ctrl-C)."""
    from builder import build as build_mod  # looked up each time: tests replace it

    diag, failures, outcome = Diagnostics(), _Failures(), Outcome()
    started = time.perf_counter()
    try:
        with activate(project.gate), listening(failures):
            build_mod.build(project, request, diag, kept=kept, on_made=on_made)
    except GuideError as exc:
        LOG.error("%s", exc)
        outcome.error = str(exc)
    except Exception as exc:  # a bug: its traceback in the terminal, its words on the page
        LOG.error("%s", traceback.format_exc().rstrip())
        outcome.error = f"{type(exc).__name__}: {exc} (a bug in guideprint: see the terminal)"
    outcome.diagnostics, outcome.failed = list(diag.items), failures.failed
    outcome.seconds = time.perf_counter() - started
    return outcome


@dataclass
class Preview:
    """The builds of one serve process and the states they leave for the page."""

    request: BuildRequest
    pictures: Pictures
    publish: Callable[[dict[str, Any]], None]
    last: Outcome = field(default_factory=Outcome)  # the last whole build's
    project: Project | None = None  # the last one loaded: its outputs stay shown, stale
    shown: set[str] = field(default_factory=set)  # the cards' pictures of the last state
    kept: KeptRenderer = field(default_factory=KeptRenderer)  # from one build to the next

    def cycle(self, load: Callable[[], Project]) -> None:
        """Build; show each card as it is made, then everything."""
        project = self._load(load)
        if project is None:
            return
        cards = {Output(BY_NAME["card"], name).key for name in card_names(project)}
        made: set[str] = set()

        def shown_at_once(one: Made) -> None:
            made.add(one.key)
            if one.key in cards and one.error is None:  # what the last build said, but of it
                failed = {k: v for k, v in self.last.failed.items() if k not in made}
                self.show(self.state(project, replace(self.last, failed=failed, error=None),
                                     building=True))  # fmt: skip

        self.last = run_build(project, self.request, self.kept, shown_at_once)
        self.show(self.state(project, self.last, building=False))

    def _load(self, load: Callable[[], Project]) -> Project | None:
        """The project afresh; None, said on the page, when it cannot be loaded now."""
        try:
            self.project = load()
        except GuideError as exc:  # guideprint.toml is wrong now: say so, keep the preview
            LOG.error("%s", exc)
            self.last = Outcome(error=str(exc))
            self.show(self.state(self.project, self.last, building=False))
            return None
        return self.project

    def state(self, project: Project | None, outcome: Outcome, *, building: bool
              ) -> dict[str, Any]:  # fmt: skip
        """What the page shows: the outputs as they are in out/, and what the build said."""
        broken = outcome.error is not None
        cards, manual, outputs = [], None, []
        if project is not None:
            names = card_names(project)
            outputs = [o.key for o in plan(BuildRequest(), names)]
            for name in names:
                cards.append(self._card(project, name, outcome, stale=broken))
            manual = self._manual(project, outcome, stale=broken)
        errors = [d for d in outcome.diagnostics if d.level == "error"]
        return {
            "title": project.settings.title if project else "",
            "building": building,
            "ok": not broken and not outcome.failed and not errors,
            "error": outcome.error,
            "failed": [{"output": k, "message": v} for k, v in outcome.failed.items()],
            "diagnostics": [_diagnostic(d) for d in outcome.diagnostics],
            "errors": len(errors),
            "warnings": len(outcome.diagnostics) - len(errors),
            "seconds": round(outcome.seconds, 3),
            "finished": time.strftime("%H:%M:%S"),
            "cards": cards,
            "manual": manual,
            "outputs": outputs,
        }

    def _card(self, project: Project, name: str, outcome: Outcome, *, stale: bool
              ) -> dict[str, Any]:  # fmt: skip
        key = Output(BY_NAME["card"], name).key
        pdf = self.pictures.load(project.out / key, CARD_DPI)
        # A card that does not fit fails its bleed layout first: that line says by how much.
        errors = [outcome.failed.get(Output(BY_NAME[kind], name).key) for kind in KINDS_OF_CARD]
        error = next((e for e in errors if e), None)
        sides = []
        for index, (width, height) in enumerate(pdf.pages if pdf else ()):
            side = "front" if index == 0 else "back" if index == 1 else f"page {index + 1}"
            sides.append({"side": side, "png": _png(pdf.digest if pdf else "", index),
                          "width_mm": width, "height_mm": height})  # fmt: skip
        return {"name": name, "title": pdf.title if pdf else name, "pdf": f"/out/{key}",
                "stale": bool(pdf) and (stale or error is not None), "error": error,
                "sides": sides}  # fmt: skip

    def _manual(self, project: Project, outcome: Outcome, *, stale: bool) -> dict[str, Any] | None:
        pdf = self.pictures.load(project.out / "manual.pdf", PAGE_DPI)
        error = outcome.failed.get("manual.pdf")
        if pdf is None:
            return None if error is None else {"pdf": None, "pages": [], "error": error,
                                               "stale": False}  # fmt: skip
        pages = [{"number": n + 1, "png": _png(pdf.digest, n), "width_mm": w, "height_mm": h}
                 for n, (w, h) in enumerate(pdf.pages)]  # fmt: skip
        return {"pdf": "/out/manual.pdf", "title": pdf.title, "pages": pages, "error": error,
                "stale": stale or error is not None}  # fmt: skip

    def show(self, state: dict[str, Any]) -> None:
        """Publish a state, the new pictures of cards already shown drawn first: the page
        asks for them at once. The others (a first view, the manual's thumbnails, most of
        them below the fold) are drawn as the page asks for them."""
        pictures = {side["png"] for card in state["cards"] for side in card["sides"]}
        for png in sorted(pictures - self.shown) if self.shown else ():
            _, _, digest, page = png.split("/")
            self.pictures.png(digest, int(page.removesuffix(".png")))
        self.shown = pictures
        self.publish(state)


def _png(digest: str, index: int) -> str:
    return f"/png/{digest}/{index + 1}.png"


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {"level": d.level, "text": str(d), "file": d.file, "line": d.line,
            "message": d.message, "hint": d.hint}  # fmt: skip
