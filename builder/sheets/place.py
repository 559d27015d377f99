"""Put PDF pages on sheets: each source page becomes one Form XObject drawn wherever it goes.

Why not `merge_transformed_page`: it copies and re-parses the page's content stream for each
placement (ten copies of a card = ten copies of its drawing), clips to the box named by a
process-wide pypdf setting and carries links along. A Form XObject is stored once, clipped by
its own /BBox (trim or bleed, as asked) and drawn with one `cm` and one `Do` per placement.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

from builder.errors import RenderError
from builder.gate import current
from builder.output import atomic_path
from builder.sheets.geometry import Rect, Segment

BoxName = Literal["trimbox", "bleedbox"]
MARK_WIDTH = 0.25  # pt: the usual weight of crop marks


# Readers by the hash of their bytes: the office and the print-shop sheets impose the same
# cards, and pypdf's parse of a tagged card (its object streams, the structure tree) is most
# of an imposition (15-25 ms a card). Only read from; a few kept (serve runs on).
_READERS: dict[str, PdfReader] = {}
KEPT_READERS = 16


def read_pdf(path: Path) -> PdfReader:
    """Open a PDF the build wrote; a missing or broken file is a RenderError naming it."""
    try:
        data, digest = current().read_hashed(path, what="PDF")
        reader = _READERS.get(digest)
        if reader is None:
            reader = PdfReader(io.BytesIO(data))
            if not reader.pages:
                raise RenderError("the PDF has no page", file=path, hint="rebuild it")
            if _READERS and len(_READERS) >= KEPT_READERS:
                del _READERS[next(iter(_READERS))]
            _READERS[digest] = reader
        return reader
    except (OSError, PdfReadError) as exc:
        raise RenderError(f"cannot read this PDF: {exc}", file=path, hint="rebuild it") from exc


def box(page: PageObject, name: BoxName | Literal["mediabox"]) -> Rect:
    """Return a page box as a Rect in points."""
    r = getattr(page, name)
    return Rect(float(r.left), float(r.bottom), float(r.right), float(r.top))


def placement(src: Rect, cell: Rect, *, rotate: int = 0) -> Transformation:
    """Return the matrix putting src into cell: scaled to the cell, turned by `rotate` degrees."""
    turned = rotate % 180 == 90
    scale = cell.width / (src.height if turned else src.width)
    t = Transformation().translate(-src.x0, -src.y0).scale(scale).rotate(rotate)
    corners = [t.apply_on((x, y)) for x in (src.x0, src.x1) for y in (src.y0, src.y1)]
    left, bottom = min(x for x, _ in corners), min(y for _, y in corners)
    return t.translate(cell.x0 - left, cell.y0 - bottom)


def back_placement(front: Transformation, src: Rect, sheet_width: float) -> Transformation:
    """Return where a card's back goes so a long-edge duplex flip puts it behind its front.

    The card turns left-right (like a book page) and so does the sheet: mirror in the card,
    place as the front, mirror on the sheet. Two mirrors make a plain rotation.
    """
    in_card = Transformation().scale(-1, 1).translate(src.x0 + src.x1, 0)
    on_sheet = Transformation().scale(-1, 1).translate(sheet_width, 0)
    return in_card.transform(front).transform(on_sheet)


@dataclass
class SheetWriter:
    """A PDF of sheets being built; forms are shared by every sheet that draws them."""

    writer: PdfWriter = field(default_factory=PdfWriter)
    _forms: dict[tuple[object, BoxName], IndirectObject] = field(default_factory=dict)

    def form(self, key: object, page: PageObject, clip: BoxName) -> IndirectObject:
        """Return the page as a Form XObject clipped to a box, made once per key and box."""
        if (key, clip) not in self._forms:
            form = _as_form(page, box(page, clip), self.writer)
            self._forms[key, clip] = self._register(form)
        return self._forms[key, clip]

    def add_sheet(
        self,
        size: tuple[float, float],
        placed: list[tuple[IndirectObject, Transformation]],
        marks: Sequence[Segment] = (),
    ) -> None:
        """Append one sheet drawing each form with its matrix, then the marks."""
        page = self.writer.add_blank_page(size[0], size[1])
        names = DictionaryObject()
        ops: list[str] = []
        for i, (ref, matrix) in enumerate(placed):
            names[NameObject(f"/P{i}")] = ref
            ops.append(f"q {_cm(matrix)} cm /P{i} Do Q")
        if marks:
            ops.append(f"q {MARK_WIDTH} w 0 G 0 J")
            ops += [f"{_n(s.x0)} {_n(s.y0)} m {_n(s.x1)} {_n(s.y1)} l S" for s in marks]
            ops.append("Q")
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): names})
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("ascii"))
        page[NameObject("/Contents")] = self._register(stream.flate_encode())

    def write(self, target: Path) -> None:
        """Write the sheets to target atomically."""
        with atomic_path(target) as tmp:
            self.writer.write(tmp)

    def _register(self, obj: PdfObject) -> IndirectObject:
        # pypdf (pinned) has no public call to add a free-standing indirect object.
        return self.writer._add_object(obj)


def _as_form(page: PageObject, clip: Rect, writer: PdfWriter) -> StreamObject:
    """Build a Form XObject with the page's drawing and resources, its BBox the clip box."""
    if page.rotation % 360:
        page.transfer_rotation_to_content()
    form = DecodedStreamObject()
    form.set_data(_content_bytes(page))
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/FormType"): NumberObject(1),
            NameObject("/BBox"): ArrayObject(
                FloatObject(v) for v in (clip.x0, clip.y0, clip.x1, clip.y1)
            ),
        }
    )
    resources = page.get("/Resources")
    if resources is not None:
        form[NameObject("/Resources")] = resources.get_object().clone(writer)
    group = page.get("/Group")
    if group is not None:
        form[NameObject("/Group")] = group.get_object().clone(writer)
    return form.flate_encode()


def _content_bytes(page: PageObject) -> bytes:
    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    parts = contents if isinstance(contents, ArrayObject) else [contents]
    return b"\n".join(p.get_object().get_data() for p in parts)


def _cm(t: Transformation) -> str:
    return " ".join(_n(v) for v in t.ctm)


def _n(value: float) -> str:
    """Format a number for a content stream: 6 decimals, no trailing zeros, no '-0'."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
