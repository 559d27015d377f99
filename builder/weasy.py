"""WeasyPrint, imported faster and with three costs removed that no option of its reaches.

The only module that imports weasyprint: the others take its names from here, so that
whichever of them is imported first, the import goes through the short-cut below.

- Its import runs ctypes' library search (ldconfig and gcc subprocesses): 0.2 s.
- On writing, it decodes every PNG and compresses the pixels again to get PNG-predicted
  Flate data: 20 ms for each 1200 x 700 screenshot, every build, every document.
- A leader (the TOC's dot leaders) is one text box per dot: shaped, drawn and tagged one by
  one, 40,000 boxes in a 271-page manual; and tagging rebuilds pydyf's list of page
  references once per structure element (quadratic in pages).

Each patch gives the same PDF (pages, pixels, text, outline, tags) and is applied only to
the versions it was checked against (CHECKED); any other version runs unpatched, slower.
"""

import copy
import ctypes.util
import io
import struct
from typing import Any

import pydyf

# WeasyPrint tries several names per library (libgobject-2.0-0, gobject-2.0, ...); for each
# name dlopen refuses, cffi asks ctypes.util.find_library, which runs ldconfig and gcc in a
# subprocess (~10 ms each, 20 times). The Debian names (libgobject-2.0.so.0) open directly.
_search = ctypes.util.find_library
ctypes.util.find_library = lambda name: None
try:
    import weasyprint
    from weasyprint.images import RasterImage
    from weasyprint.layout import inline, leader
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse, iri_to_uri
finally:
    ctypes.util.find_library = _search

CHECKED = {"weasyprint": "70.0", "pydyf": "0.13.0"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IHDR colour types whose IDAT stream is what PDF's Flate + PNG predictor wants as is, for
# the colour spaces WeasyPrint declares for them: grey (0) and RGB (2).
PASS_THROUGH = {0: "L", 2: "RGB"}


def png_idat(data: bytes, mode: str) -> bytes | None:
    """The concatenated IDAT data of an 8-bit, non-interlaced grey or RGB PNG, else None.

    That data is the zlib stream of PNG-filtered scanlines: exactly the stream a PDF image
    with /FlateDecode and /Predictor 15 holds, so the pixels need no decoding.
    """
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    depth, colour, _, _, interlace = struct.unpack("!5B", data[24:29])
    if depth != 8 or interlace or PASS_THROUGH.get(colour) != mode:
        return None
    chunks, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack("!I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        elif kind == b"IEND":
            break
        pos += 12 + length  # length, type, data, CRC
    return b"".join(chunks) or None


_reencode = RasterImage._get_png_data
_handle_leader = leader.handle_leader


def _png_data(pillow_image: Any) -> bytes:
    """WeasyPrint's RasterImage._get_png_data, minus the decode and re-encode when possible."""
    fp = getattr(pillow_image, "fp", None)  # set while Image.open has not decoded the file
    if pillow_image.format == "PNG" and isinstance(fp, io.BytesIO):
        data = png_idat(fp.getvalue(), pillow_image.mode)
        if data is not None:
            return data
    data = _reencode(pillow_image)
    assert isinstance(data, bytes)
    return data


def _one_text_per_leader(context: Any, line: Any, containing_block: Any) -> None:
    """Fill a leader with one text box of n dots instead of n boxes of one dot.

    A TOC line of the manual had ~60 boxes of ". ": 700 lines made 40,000 boxes, each
    shaped by Pango, drawn and tagged on its own (1.8 s of 11 s for 271 pages). The dots
    are the same glyphs at the same places, within 1/1000 em per dot.
    """
    _handle_leader(context, line, containing_block)
    index, box = leader.leader_index(line)
    if index is None or len(box.children) < 2:
        return
    dots = sorted(box.children, key=lambda dot: dot.position_x)
    first, last = dots[0], dots[-1]
    merged = first.copy_with_text(first.text * len(dots))
    merged.pango_layout = copy.copy(first.pango_layout)  # drawing shapes its .text again
    merged.pango_layout.text = merged.text
    merged.width = last.position_x + last.width - first.position_x
    box.children = (merged,)


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pdf.page_references, built once per page count instead of once per use.

    Tagging asks for it once per structure element: 12,000 times for 271 pages, each
    building all 271 references again (0.3 s).
    """
    kids = pdf.pages["Kids"]
    cached: tuple[int, tuple[bytes, ...]] | None = pdf.__dict__.get("_gp_page_references")
    if cached is None or cached[0] != len(kids):
        refs = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
        cached = (len(kids), refs)
        pdf.__dict__["_gp_page_references"] = cached
    return cached[1]


def install() -> bool:
    """Patch WeasyPrint and pydyf when their versions are the checked ones; say if done."""
    if (weasyprint.__version__, pydyf.__version__) != tuple(CHECKED.values()):
        return False
    RasterImage._get_png_data = staticmethod(_png_data)
    inline.handle_leader = _one_text_per_leader
    pydyf.PDF.page_references = property(_page_references)
    return True


PATCHED = install()

__all__ = [
    "PATCHED",
    "FontConfiguration",
    "URLFetcher",
    "URLFetcherResponse",
    "iri_to_uri",
    "png_idat",
    "weasyprint",
]
