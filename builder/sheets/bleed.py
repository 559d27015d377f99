"""Print-shop card files: check that a card was rendered with its bleed; cut it to its trim.

A card is laid out once, with its bleed: the print-shop file is that PDF, and the card for
out/cards/ is the same pages with their MediaBox cut down to the TrimBox. The layout inside
the trim is the same either way (the bleed only grows the page outwards), so a second
WeasyPrint render would only repeat work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfWriter
from pypdf.generic import NameObject

from builder.errors import RenderError
from builder.output import atomic_path
from builder.sheets.geometry import BLEED_MM, MM, Rect, check_trim
from builder.sheets.place import box, read_pdf


@dataclass(frozen=True)
class BleedReport:
    target: Path
    pages: int
    trim_mm: tuple[float, float]
    bleed_mm: float


def trim_card(
    source: Path,
    target: Path,
    *,
    bleed_mm: float = BLEED_MM,
    trim_mm: tuple[float, float] | None = None,
) -> BleedReport:
    """Write target: the bleed card source with every page cut to its TrimBox.

    Checks first that every page's BleedBox is its TrimBox grown by bleed_mm (and, given
    trim_mm, that the trim is the card's size); target is not written when a check fails.
    """
    reader = read_pdf(source)
    trim = Rect(0, 0, 0, 0)
    for number, page in enumerate(reader.pages, 1):
        trim = check_bleed(page, source, number, bleed_mm=bleed_mm, trim_mm=trim_mm)
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        trimbox = page.trimbox
        page.mediabox = trimbox
        page.cropbox = trimbox
        del page[NameObject("/BleedBox")]  # defaults to the CropBox: the trim
    with atomic_path(target) as tmp:
        writer.write(tmp)
    size = (round(trim.width / MM, 2), round(trim.height / MM, 2))
    return BleedReport(target, len(reader.pages), size, bleed_mm)


def check_bleed(
    page: PageObject,
    source: Path,
    number: int,
    *,
    bleed_mm: float,
    trim_mm: tuple[float, float] | None = None,
) -> Rect:
    """Return the page's TrimBox after checking BleedBox and MediaBox hold the bleed exactly
    (and, given trim_mm, that the trim is the card's size): geometry.check_trim."""
    for key in ("/TrimBox", "/BleedBox"):
        if key not in page:
            raise RenderError(
                f"page {number} has no {key}", file=source, hint="render the card with bleed"
            )
    boxes = (box(page, "trimbox"), box(page, "bleedbox"), box(page, "mediabox"))
    return check_trim(boxes, source, number, bleed_mm=bleed_mm, trim_mm=trim_mm)
