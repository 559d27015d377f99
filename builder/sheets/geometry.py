"""Sheet geometry in points: rectangles, grids of cards, cut marks that avoid every card."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.errors import RenderError

MM = 72 / 25.4
EPS = 0.01  # pt: page boxes written by WeasyPrint are rounded to 6 decimals

A4 = (210.0, 297.0)
A4_LANDSCAPE = (297.0, 210.0)
BLEED_MM = 3.0  # a print shop's usual bleed: what a card is laid out with beyond its trim
NOTE_MM = 9.0  # office sheets: room under the top margin for how to print them (two lines)
SRA3 = (320.0, 450.0)  # the usual digital-press sheet: A3 plus room for bleed and marks


def mm(value: float) -> float:
    """Convert millimetres to points."""
    return value * MM


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def grow(self, d: float) -> Rect:
        """Return this rectangle enlarged by d on every side (shrunk if d < 0)."""
        return Rect(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)

    def mirrored(self, sheet_width: float) -> Rect:
        """Return this rectangle mirrored left-right on a sheet of that width."""
        return Rect(sheet_width - self.x1, self.y0, sheet_width - self.x0, self.y1)

    def contains(self, other: Rect, tol: float = EPS) -> bool:
        """Tell whether other lies inside this rectangle."""
        return (
            other.x0 >= self.x0 - tol
            and other.y0 >= self.y0 - tol
            and other.x1 <= self.x1 + tol
            and other.y1 <= self.y1 + tol
        )


def check_trim(
    boxes: tuple[Rect, Rect, Rect],
    source: Path,
    number: int,
    *,
    bleed_mm: float,
    trim_mm: tuple[float, float] | None = None,
) -> Rect:
    """Return a card page's trim after checking its (trim, bleed, media) boxes: the BleedBox
    is the TrimBox grown by bleed_mm exactly, inside the MediaBox; the trim is trim_mm (the
    card's size) when given. A RenderError naming the file and page otherwise."""
    trim, bleed, media = boxes
    margins = (trim.x0 - bleed.x0, trim.y0 - bleed.y0, bleed.x1 - trim.x1, bleed.y1 - trim.y1)
    if not all(abs(m - mm(bleed_mm)) <= EPS for m in margins):
        raise RenderError(
            f"page {number}: BleedBox is {[round(v, 3) for v in margins]} pt beyond TrimBox,"
            f" not {mm(bleed_mm):.3f}",
            file=source,
            hint=f"render the card with @page {{ bleed: {bleed_mm:g}mm }}",
        )
    if not media.contains(bleed):
        raise RenderError(f"page {number}: MediaBox smaller than BleedBox", file=source)
    if trim_mm is not None and not (
        abs(trim.width - mm(trim_mm[0])) <= EPS and abs(trim.height - mm(trim_mm[1])) <= EPS
    ):
        raise RenderError(
            f"page {number}: trim is {trim.width / MM:.1f} x {trim.height / MM:.1f} mm,"
            f" not {trim_mm[0]:g} x {trim_mm[1]:g}",
            file=source,
            hint="the card's size in its front matter and its layout's @page disagree",
        )
    return trim


@dataclass(frozen=True)
class Grid:
    """Where cards go on one sheet: cells in reading order, each the card's placed trim."""

    cols: int
    rows: int
    rotated: bool  # cards turned a quarter to fit more of them
    scale: float
    cells: tuple[Rect, ...]

    @property
    def per_sheet(self) -> int:
        return len(self.cells)


def fit_grid(
    sheet: tuple[float, float],
    card: tuple[float, float],
    *,
    margin: float,
    gutter: float,
    min_scale: float = 1.0,
) -> Grid | None:
    """Return the grid holding most cards (then the largest scale, then unrotated), or None."""
    best: tuple[int, float, bool, int, int] | None = None
    for rotated in (False, True):
        w, h = (card[1], card[0]) if rotated else card
        # As many as fit at the smallest scale allowed (not at actual size): a sheet a little
        # shorter than two cards still holds two, shrunk.
        for cols in range(1, int(sheet[0] / (w * min_scale) + EPS) + 1):
            for rows in range(1, int(sheet[1] / (h * min_scale) + EPS) + 1):
                scale = min(
                    1.0,
                    (sheet[0] - 2 * margin - (cols - 1) * gutter) / (cols * w),
                    (sheet[1] - 2 * margin - (rows - 1) * gutter) / (rows * h),
                )
                key = (cols * rows, round(scale, 6), not rotated, cols, rows)
                if scale >= min_scale - 1e-9 and (best is None or key > best):
                    best = key
    if best is None:
        return None
    _, scale, unrotated, cols, rows = best
    w, h = card if unrotated else (card[1], card[0])
    cells = _cells(sheet, (w * scale, h * scale), cols, rows, gutter)
    return Grid(cols, rows, not unrotated, scale, cells)


def _cells(
    sheet: tuple[float, float], size: tuple[float, float], cols: int, rows: int, gutter: float
) -> tuple[Rect, ...]:
    """Lay out cols x rows cells of a size, gutters between, the block centred on the sheet."""
    w, h = size
    left = (sheet[0] - cols * w - (cols - 1) * gutter) / 2
    top = sheet[1] - (sheet[1] - rows * h - (rows - 1) * gutter) / 2
    return tuple(
        Rect(x0, y1 - h, x0 + w, y1)
        for r in range(rows)
        for c in range(cols)
        for x0, y1 in [(left + c * (w + gutter), top - r * (h + gutter))]
    )


@dataclass(frozen=True)
class Segment:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def length(self) -> float:
        return math.hypot(self.x1 - self.x0, self.y1 - self.y0)


def cut_marks(
    trims: Sequence[Rect],
    *,
    keepout: Sequence[Rect],
    zone: Rect,
    offset: float,
    length: float,
    shortest: float = mm(1),
) -> list[Segment]:
    """Return marks prolonging each trim edge past its corners, clipped off every keep-out area.

    Each corner gets two marks, `offset` away from the trim, `length` long; what falls on a
    keep-out rectangle (a card, or a card with its bleed) or outside `zone` is cut away.
    """
    found: dict[tuple[float, ...], Segment] = {}
    for trim in trims:
        for seg in _corner_marks(trim, offset, length):
            for piece in _clip(seg, keepout, zone):
                if piece.length >= shortest:
                    found.setdefault(tuple(round(v, 3) for v in _ends(piece)), piece)
    return list(found.values())


def _ends(s: Segment) -> tuple[float, float, float, float]:
    return (s.x0, s.y0, s.x1, s.y1)


def _corner_marks(t: Rect, offset: float, length: float) -> Iterable[Segment]:
    for x in (t.x0, t.x1):
        yield Segment(x, t.y1 + offset, x, t.y1 + offset + length)
        yield Segment(x, t.y0 - offset - length, x, t.y0 - offset)
    for y in (t.y0, t.y1):
        yield Segment(t.x0 - offset - length, y, t.x0 - offset, y)
        yield Segment(t.x1 + offset, y, t.x1 + offset + length, y)


def _clip(seg: Segment, keepout: Sequence[Rect], zone: Rect) -> list[Segment]:
    """Cut an axis-parallel segment to the zone, minus every keep-out rectangle it crosses."""
    vertical = seg.x0 == seg.x1
    at = seg.x0 if vertical else seg.y0
    lo, hi = (seg.y0, seg.y1) if vertical else (seg.x0, seg.x1)
    if vertical:
        inside, lo, hi = zone.x0 <= at <= zone.x1, max(lo, zone.y0), min(hi, zone.y1)
    else:
        inside, lo, hi = zone.y0 <= at <= zone.y1, max(lo, zone.x0), min(hi, zone.x1)
    spans = [(lo, hi)] if inside and hi > lo else []
    for r in keepout:
        a, b, c0, c1 = (r.x0, r.x1, r.y0, r.y1) if vertical else (r.y0, r.y1, r.x0, r.x1)
        if a < at < b:
            spans = [piece for s in spans for piece in _minus(s, (c0, c1))]
    if vertical:
        return [Segment(at, s0, at, s1) for s0, s1 in spans]
    return [Segment(s0, at, s1, at) for s0, s1 in spans]


def _minus(span: tuple[float, float], cut: tuple[float, float]) -> list[tuple[float, float]]:
    lo, hi = span
    parts = [(lo, min(hi, cut[0])), (max(lo, cut[1]), hi)]
    return [(a, b) for a, b in parts if b - a > EPS]


def overlaps(seg: Segment, rect: Rect) -> bool:
    """Tell whether a segment passes through the inside of a rectangle (edges excluded)."""
    x0, x1 = sorted((seg.x0, seg.x1))
    y0, y1 = sorted((seg.y0, seg.y1))
    return x0 < rect.x1 - EPS and x1 > rect.x0 + EPS and y0 < rect.y1 - EPS and y1 > rect.y0 + EPS
