"""Fit each side of a card on one page by stepping the type size, then write the PDF.

WeasyPrint is imported only here, and only when a card is rendered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from builder.cards import html
from builder.cards.edition import dated
from builder.cards.model import MAX_BODY_PT, Card
from builder.diagnostics import LOG
from builder.errors import RenderError
from builder.gate import current
from builder.layouts import Layouts

if TYPE_CHECKING:
    from builder.pdf import Metadata, Renderer

PX_PER_MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels
FILL_OK = 0.9  # a fit that uses this much of the room is kept (no render to grow it further)
TARGET = 0.96  # the fill aimed at when predicting the next size
STEP = 0.1  # points: sizes are tried on this grid, and closer than this is the same size
BRACKET_PT = 0.4  # a fitting size this close below a failing one is good enough
MAX_RENDERS = 6  # per side: the search is bounded whatever the content
FOOTER_GAP_MM = 2.0
TAGGED = "pdf/ua-1"
# The first guess's model of a side, calibrated on the five cards of the guide (mm): band and
# footer, fixed heights per element whatever the type size, and the area a character takes at
# 1 pt (Noto Sans, line height 1.28, ragged lines). Off by a few mm: the fit corrects it.
GUESS_FRAME_MM = 39.0
GUESS_BASE_MM = 10.0
GUESS_FIXED_MM = {"<h2": 7.0, "<h3": 7.0, '<li><img class="icon"': 10.0, "<li": 1.0, "<p": 1.0}
GUESS_QR_MM = (26.0, 36.0)  # one code beside its caption, a row of codes with captions under
GUESS_DRAWING_MM = 3.0  # a key map's drawing: its own height and its margin
GUESS_MM2_PER_CHAR_PT2 = 0.085
HEIGHT_EXPONENT = 1.1  # measured: a side's height grows as size^0.75..1.4 (fixed parts)


@dataclass(frozen=True)
class Measure:
    """How one render of a side used the room between the band and the footer."""

    size: float  # body size in points
    pages: int
    used: float  # height the content needs, in px (all pages together)
    room: float  # height available on the first page, in px

    @property
    def fits(self) -> bool:
        return self.pages == 1 and self.used <= self.room + 0.5

    @property
    def fill(self) -> float:
        return self.used / self.room


@dataclass
class CardResult:
    name: str
    target: Path
    pages: int  # 1, or 2 with a back
    renders: int  # WeasyPrint layouts made for this card, all sides together
    sizes: dict[str, float] = field(default_factory=dict)  # side -> body size used (pt)
    fill: dict[str, float] = field(default_factory=dict)  # side -> share of the room used
    size_mm: tuple[float, float] = (0.0, 0.0)  # trim
    bleed: bool = False


def render_card(
    card: Card,
    renderer: Renderer,
    target: Path,
    *,
    person: dict[str, str] | None = None,
    bleed: bool = False,
    previous: CardResult | None = None,
    bodies: dict[str, Markup] | None = None,
    trimmed: Path | None = None,
) -> CardResult:
    """Render a card (front, then back if any) fitted to one page per side; write it atomically.

    `previous`, a result of the same card, starts the search from its sizes (welcome packs
    fit each card once, not once per person). `bodies`: the sides' HTML when the card was
    already read (html.sides_html). `trimmed`: with bleed, also write there the same PDF cut
    to the card's trim (out/cards/), once each page's bleed and size are checked. Raises
    RenderError when a side cannot fit.
    """
    merged, result = lay_out_card(card, renderer, target, person=person, bleed=bleed,
                                  previous=previous, bodies=bodies)  # fmt: skip
    cut = None
    if trimmed is not None:
        from builder.pdf import Cut

        cut = Cut(trimmed, partial(_check_trim, target, card.size_mm))
    # Tagged (PDF/UA-1): cards go out with every welcome email. The cut to the trim is the
    # same PDF objects with other page boxes, tags included; the sheets drop them.
    renderer.write(merged, target, card_meta(card), variant=TAGGED, cut=cut)
    return result


def _check_trim(source: Path, size_mm: tuple[float, float], number: int,
                *boxes: tuple[float, float, float, float]) -> None:  # fmt: skip
    """A bleed card's page, before it is written and cut: its bleed and its size exact."""
    from builder.sheets.geometry import BLEED_MM, Rect, check_trim

    trim, bleed, media = (Rect(*b) for b in boxes)
    check_trim((trim, bleed, media), source, number, bleed_mm=BLEED_MM, trim_mm=size_mm)


def lay_out_card(
    card: Card,
    renderer: Renderer,
    target: Path,
    *,
    person: dict[str, str] | None = None,
    bleed: bool = False,
    previous: CardResult | None = None,
    bodies: dict[str, Markup] | None = None,
) -> tuple[Any, CardResult]:
    """The card laid out as render_card does, front then back, as one weasyprint Document,
    not written (a welcome pack writes a person's cards as one tagged PDF)."""
    if not card.edition:  # a card read here (welcome packs, tests): its edition from this read
        with current().recording() as seen:
            bodies = bodies or html.sides_html(card, renderer.diag)
        card = dated(card, seen)
    job = _Job(card, renderer, _layouts(card.project), person, bleed)
    result = CardResult(card.name, target, 0, 0, size_mm=card.size_mm, bleed=bleed)
    sides = [("front", card.front)] + ([("back", card.back)] if card.back else [])
    documents = []
    for side, text in sides:
        body = bodies[side] if bodies else html.markdown(card, text, renderer.diag)
        guess = (previous.sizes.get(side) if previous else None) or first_guess(card, side, body)
        doc, m, renders = fit(partial(job.lay_out, side, body), card, side, guess=guess)
        result.renders += renders
        result.sizes[side] = m.size
        result.fill[side] = round(m.fill, 3)
        documents.append(doc)
    merged = documents[0].copy([page for doc in documents for page in doc.pages])
    result.pages = len(merged.pages)
    assert result.pages == len(sides)  # never write a side spilling onto another page
    return merged, result


def card_meta(card: Card) -> Metadata:
    """What a card's PDF says about itself."""
    from builder.pdf import Metadata

    return Metadata(
        title=card.title,
        author=card.settings.organisation,
        subject=card.device,
        lang=card.settings.language,
    )


@dataclass
class _Job:
    """What every render of one card shares."""

    card: Card
    renderer: Renderer
    layouts: Layouts
    person: dict[str, str] | None
    bleed: bool

    def __post_init__(self) -> None:
        read = self.layouts.gate.read_text
        self.css = [self.renderer.stylesheet(read(p, what="layout"), p.parent)
                    for p in html.stylesheets(self.card, self.layouts)]  # fmt: skip

    def lay_out(self, side: str, body: Markup, size: float) -> Any:
        """One WeasyPrint layout of a side at a body size."""
        page = html.document(
            self.card, side, body, self.layouts, body_pt=size, person=self.person, bleed=self.bleed
        )
        return self.renderer.render(page, self.card.path.parent, self.css, source=_rel(self.card))


def fit(
    lay_out: Callable[[float], Any], card: Card, side: str, *, guess: float
) -> tuple[Any, Measure, int]:
    """Find the largest body size (within bounds) whose layout fits one page; count renders."""
    lo, hi = card.min_size, MAX_BODY_PT
    size: float | None = _snap(min(hi, max(lo, guess)))
    best: tuple[Any, Measure] | None = None
    fail: Measure | None = None
    renders = 0
    while size is not None and renders < MAX_RENDERS:
        doc = lay_out(size)
        renders += 1
        m = measure(doc, size)
        if m.room <= 0:  # the band and the footer meet: no size of text can fit
            raise _no_room(card, side)
        LOG.debug(
            "card %s (%s): %g pt, %d page(s), %.0f%% of the room",
            card.name,
            side,
            size,
            m.pages,
            100 * m.fill,
        )
        if m.fits and (best is None or m.size > best[1].size):
            best = (doc, m)
        elif not m.fits and (fail is None or m.size < fail.size):
            fail = m
        size = next_size(best[1] if best else None, fail, lo, hi)
        if best is None and size is not None and renders == MAX_RENDERS - 1:
            size = lo  # the last render decides: the minimum fits or nothing does
    if best is None:
        assert fail is not None
        raise _overfull(card, side, fail)
    return best[0], best[1], renders


def next_size(fit: Measure | None, fail: Measure | None, lo: float, hi: float) -> float | None:
    """The next size to try, or None when the search is done (bracket closed, room filled)."""
    if fit is not None and (fit.size >= hi - STEP / 2 or fit.fill >= FILL_OK):
        return None
    low = fit.size + STEP if fit else lo
    high = fail.size - STEP if fail else hi
    if low > high + 1e-9:
        return None
    if fit and fail:
        width = fail.size - fit.size
        if width <= BRACKET_PT:
            return None
        # Secant between the two closest sizes, kept in the middle half of the bracket: the
        # fill jumps (a heading moves to the next column), and a bare secant then creeps.
        t = (TARGET - fit.fill) / (fail.fill - fit.fill)
        guess = fit.size + min(0.75, max(0.25, t)) * width
    else:
        known = fit or fail
        assert known is not None
        guess = known.size * (TARGET / known.fill) ** (1 / HEIGHT_EXPONENT)
    return _snap(min(high, max(low, guess)), down=fail is not None and fit is None)


def measure(document: Any, size: float) -> Measure:
    """Read the layout: how tall <main>'s content is (all pages), the room above the footer."""
    pages = document.pages
    used, top, bottom = 0.0, None, None
    for page in pages:
        body = _body_box(page._page_box)
        footer = _child(body, "footer")
        if footer is not None:  # absolutely placed: same place on whichever page holds it
            bottom = footer.position_y - FOOTER_GAP_MM * PX_PER_MM
        main = _child(body, "main")
        if main is not None:
            top = main.position_y if top is None else top
            # A box split across pages is stretched to the page bottom: read its lines instead.
            used += main.margin_height() if len(pages) == 1 else _content_height(main)
    assert top is not None, "a card has a <main>"
    assert bottom is not None, "a card has a <footer>"
    return Measure(size, len(pages), used, bottom - top)


def _content_height(box: Any) -> float:
    """Height from a fragment's top to its last line or image."""
    bottoms = [
        d.position_y + d.margin_height()
        for d in box.descendants()
        if type(d).__name__ in ("LineBox", "BlockReplacedBox", "InlineReplacedBox")
    ]
    return float(max(bottoms, default=box.position_y) - box.position_y)


def first_guess(card: Card, side: str, body: str) -> float:
    """A body size from the content: text area grows as the square of the size, the rest not."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body))
    w, h = card.size_mm
    fixed = GUESS_BASE_MM + sum(body.count(tag) * mm for tag, mm in GUESS_FIXED_MM.items())
    if card.qr and side == "front":
        fixed += GUESS_QR_MM[0] if len(card.qr) == 1 else GUESS_QR_MM[1]
    if card.drawing and side == "front":
        fixed += html.keymap_size(card)[1] + GUESS_DRAWING_MM
    cols = html.columns(card)
    width = w - 2 * html.SAFE_MM - (cols - 1) * html.COLUMN_GAP_MM
    text_area = (h - GUESS_FRAME_MM - fixed / cols) * width
    return math.sqrt(max(text_area, 1.0) / (max(len(text), 1) * GUESS_MM2_PER_CHAR_PT2))


def _overfull(card: Card, side: str, m: Measure) -> RenderError:
    over_mm = (m.used - m.room) / PX_PER_MM
    return RenderError(
        f"card '{card.name}' ({side}) does not fit on one page even at {m.size:g} pt: "
        f"over by {over_mm:.0f} mm / {m.fill:.1f} pages",
        file=_rel(card),
        hint="shorten the text, move some to the back ('<!-- back -->'), or use a larger size",
    )


def _no_room(card: Card, side: str) -> RenderError:
    return RenderError(
        f"card '{card.name}' ({side}): its title band and footer leave no room for the text",
        file=_rel(card),
        hint="use a larger size, a shorter title, or 'footer: false'",
    )


def _child(body: Any, tag: str) -> Any:
    """The box of body's child element `tag` on a page, or None."""
    for box in body.children:
        if box.element_tag == tag:
            return box
    return None


@lru_cache(maxsize=8)
def _layouts(project: Path) -> Layouts:
    """One template environment per project and process (welcome packs render many cards),
    made again when the project's layouts/ appears or goes (guideprint serve runs on)."""
    return _environment(project, (project / "layouts").is_dir())


@lru_cache(maxsize=8)
def _environment(project: Path, own_layouts: bool) -> Layouts:
    return Layouts(project)


def _body_box(page_box: Any) -> Any:
    for box in page_box.descendants():
        if getattr(box, "element_tag", None) == "body":
            return box
    raise AssertionError("no <body> box")


def _snap(size: float, *, down: bool = False) -> float:
    steps = size / STEP
    return round((math.floor(steps + 1e-9) if down else round(steps)) * STEP, 2)


def _rel(card: Card) -> str:
    try:
        return card.path.relative_to(card.project).as_posix()
    except ValueError:
        return str(card.path)
