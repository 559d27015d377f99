"""WeasyPrint, imported faster and with costs removed that no option of its reaches.

The only module that imports weasyprint: the others take its names from here, so that
whichever of them is imported first, the import goes through the short-cut below.

- Its import runs ctypes' library search (ldconfig and gcc subprocesses): 0.2 s; and cffi
  parses its C declarations again at every start: 50 ms, once per machine now (ffi_cache);
  and two fontTools modules it seldom calls cost 0.14 s more (loaded when called: deferred).
- On writing, it decodes every PNG and compresses the pixels again to get PNG-predicted
  Flate data: 20 ms for each 1200 x 700 screenshot, every build, every document; a palette
  PNG it first converts to RGB. Grey, RGB and palette PNGs now go in as they are.
- A leader (the TOC's dot leaders) is one text box per dot: shaped, drawn and tagged one by
  one, 40,000 boxes in a 271-page manual; and tagging rebuilds pydyf's list of page
  references once per structure element (quadratic in pages).
- An emoji font (Noto Color Emoji) is subset, then decompiled and compiled again by fontTools
  to drop its bitmaps: 70 ms a document in a new process, for the same few emoji each time.
  The result is kept in the project's cache by the subset's hash, sealed like the images.
- A page reference to a later page ("voir p. N", the contents' numbers) is printed empty
  at first, then each page holding one is laid out again once the numbers are known, and
  every page after it whose breaks moved: 322 page layouts for a 160-page manual. Given
  where each anchor and reference landed last time (page_hints), WeasyPrint prints those
  numbers at once and checks each as it lays out the anchor: 160 layouts. An anchor that
  moved (an edit before it) has the pages of its references laid out again, so the PDF is
  the same either way (tests/test_page_hints.py).
- Not a cost, a fault: an image with alt="" is decorative (HTML's way, and GitBook's, to say
  so), yet WeasyPrint tags every image as a /Figure and gives it no /Alt, which PDF/UA-1
  forbids. A decorative image is drawn as an /Artifact and left out of the structure tree.
- Also a fault: a formula (content.tex's <img class="math-svg">) is tagged as a /Figure;
  PDF/UA-1 (ISO 14289-1, 7.7) wants math tagged as a /Formula, its /Alt its TeX source.

Each speed patch gives the same PDF (pages, pixels, text, outline, tags); the artifact and
formula ones change the tags alone. All are applied only to the versions they were checked
against (CHECKED); any other version runs unpatched: slower, its decorative images and its
formulas figures.
"""

import copy
import ctypes.util
import hashlib
import io
import json
import math
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
from PIL import Image

from builder.deferred import deferred
from builder.ffi_cache import StaleError, declared_once
from builder.images import eight_bit_grey, png_bytes
from builder.output import keep, kept
from builder.png import deflated, png_idat, png_palette

# WeasyPrint tries several names per library (libgobject-2.0-0, gobject-2.0, ...); for each
# name dlopen refuses, cffi asks ctypes.util.find_library, which runs ldconfig and gcc in a
# subprocess (~10 ms each, 20 times). The Debian names (libgobject-2.0.so.0) open directly.
_search = ctypes.util.find_library
ctypes.util.find_library = lambda name: None
try:
    try:
        with deferred(), declared_once():
            import weasyprint
    except StaleError:  # the cache holds other declarations: WeasyPrint imported afresh, kept anew
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        with declared_once(again=True):
            import weasyprint
    from weasyprint import document as weasy_document
    from weasyprint import images
    from weasyprint.css.targets import TargetCollector
    from weasyprint.formatting_structure.boxes import ReplacedBox
    from weasyprint.images import RasterImage
    from weasyprint.layout import inline, leader
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import fonts, tags
    from weasyprint.pdf.stream import Stream
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse, iri_to_uri
finally:
    ctypes.util.find_library = _search

CHECKED = {"weasyprint": "70.0", "pydyf": "0.13.0"}

_reencode = RasterImage._get_png_data
_raster_init = RasterImage.__init__
_raster_x_object = RasterImage.get_x_object
_handle_leader = leader.handle_leader
_marked = Stream.marked
_build_box_tree = tags._build_box_tree
_font_clean = fonts.Font.clean
_layout_document = weasy_document.layout_document
_collect_anchor = TargetCollector.collect_anchor
_collect_missing_counters = TargetCollector.collect_missing_counters
_cache_target = TargetCollector.cache_target_page_counters
# The guesses of the documents being laid out (page_hints), innermost last.
_HINTS: list["_Hints"] = []
# Where emoji fonts cleaned of their pictures are kept, and whether new ones are put there:
# the cache of the project a renderer was made for (builder.pdf.Renderer sets it); none,
# and each is cleaned at each write.
CLEANED_FONTS: list[tuple[Path, bool]] = []
# Where the colour and alpha streams of the RGBA/LA pictures are kept, and whether new ones
# are put there (the same project cache); none, and each is split at each write.
SPLIT_ALPHA: list[tuple[Path, bool]] = []
# The folders a renderer reads from (builder.pdf.Renderer sets them), each as it was given
# and as its real path, ending in "/": a picture under one is named in the PDF after its path
# from there (_image_id).
IMAGE_ROOTS: list[tuple[str, ...]] = []
_md5 = images.md5


def _image_id(data: bytes, usedforsecurity: bool = True) -> Any:
    """The md5 WeasyPrint names a picture's XObject with (images.get_image_from_uri hashes
    its URL), of the URL with the folder it was read from as that folder's rank: the same
    project in another folder makes the same bytes. Two files that differ still differ
    (the first folder a path lies under, in the renderer's order, gives its rank)."""
    url = data.decode("utf-8", "surrogateescape")
    if url.startswith("file:"):
        parts = urlsplit(url)
        path = unquote(parts.path)
        for rank, spellings in enumerate(IMAGE_ROOTS):
            root = next((s for s in spellings if path.startswith(s)), None)
            if root is not None:
                key = [rank, parts.netloc, path[len(root) :], parts.query, parts.fragment]
                data = json.dumps(key).encode("utf-8", "surrogateescape")
                break
    return _md5(data, usedforsecurity=usedforsecurity)


class _Deflater:
    """zlib.compressobj as pydyf uses it (one compress, then flush: Stream.data, for every
    stream it writes), deflating by libdeflate (builder.png.deflated) at the level asked."""

    def __init__(self, level: int = -1) -> None:
        self.level = level  # -1: libdeflate's default, 6, as zlib's
        self.parts: list[bytes] = []

    def compress(self, data: bytes) -> bytes:
        self.parts.append(bytes(data))
        return b""

    def flush(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return deflated(data, self.level)


class _Zlib:
    """zlib for pydyf: compressobj (every stream, level 9) and compress (inline images,
    which WeasyPrint does not draw) by libdeflate."""

    compressobj = _Deflater

    @staticmethod
    def compress(data: bytes, level: int = -1) -> bytes:
        return deflated(data, level)


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


def _palette_init(
    self: Any,
    pillow_image: Any,
    image_id: str,
    image_data: bytes | None,
    filename: str | None = None,
    cache: Any = None,
    orientation: str = "none",
    options: Any = None,
) -> None:
    """RasterImage.__init__, keeping a plain palette PNG as it is (see png_palette), and
    a 16- or 32-bit grey picture scaled to 8 bits (builder.images.eight_bit_grey).

    Any other image, or options that change pixels (optimize, dpi, a rotation), go through
    WeasyPrint's own __init__; "from-image" rotates nothing without an eXIf chunk.
    """
    options = options if options is not None else images.DEFAULT_OPTIONS
    found = None
    plain = (orientation in ("none", "from-image") and not options["optimize_images"]
             and options["dpi"] is None and pillow_image.format == "PNG")  # fmt: skip
    if plain and image_data is not None and pillow_image.mode == "P":
        found = png_palette(image_data)
    if pillow_image.mode.startswith("I"):  # 16- or 32-bit grey, which WeasyPrint clips or
        # refuses: its 8-bit picture, encoded by WeasyPrint (the file's bytes are not it)
        pillow_image, image_data, filename = eight_bit_grey(pillow_image), None, None
    if found is None:
        _raster_init(
            self, pillow_image, image_id, image_data, filename, cache, orientation, options
        )
        return
    self.id = image_id
    self._cache = {} if cache is None else cache
    self._jpeg_quality = options["jpeg_quality"]
    self._dpi = options["dpi"]
    self.mode = "P"
    self.width, self.height = pillow_image.width, pillow_image.height
    self.ratio = (self.width / self.height) if self.height != 0 else math.inf
    self.optimize = False
    self.invert_colors = False
    self.format = "PNG"
    self.image_data = self.cache_image_data(image_data, filename)
    self._gp_depth, self._gp_palette, self._gp_idat = found


def _palette_x_object(self: Any, interpolate: bool, dpi_ratio: float) -> Any:
    """RasterImage.get_x_object, for a palette PNG kept as it is: an /Indexed image."""
    if self.mode in ("RGBA", "LA") and dpi_ratio == 1 and self.format == "PNG" and SPLIT_ALPHA:
        return _alpha_x_object(self, interpolate)
    if self.mode != "P" or not hasattr(self, "_gp_palette"):
        return _raster_x_object(self, interpolate, dpi_ratio)
    palette: bytes = self._gp_palette
    depth: int = self._gp_depth
    colour_space = pydyf.Array(
        ["/Indexed", "/DeviceRGB", len(palette) // 3 - 1, b"<" + palette.hex().encode() + b">"]
    )
    extra = pydyf.Dictionary({
        "Type": "/XObject",
        "Subtype": "/Image",
        "Width": self.width,
        "Height": self.height,
        "ColorSpace": colour_space,
        "BitsPerComponent": depth,
        "Interpolate": "true" if interpolate else "false",
        "Filter": "/FlateDecode",
        "DecodeParms": pydyf.Dictionary(
            {"Predictor": 15, "Columns": self.width, "Colors": 1, "BitsPerComponent": depth}
        ),
    })  # fmt: skip
    return pydyf.Stream([self.cache_image_data(self._gp_idat, slot="stream")], extra)


def _idat_of(picture: Any) -> bytes:
    """The image data of an 8-bit grey or RGB picture for a PDF's Flate + PNG predictor,
    unfiltered when that compresses better (builder.images.png_bytes)."""
    found = png_idat(png_bytes(picture), picture.mode)
    assert found is not None  # an 8-bit, non-interlaced L or RGB PNG
    return found


def _alpha_x_object(self: Any, interpolate: bool) -> Any:
    """RasterImage.get_x_object for a PNG with an alpha channel, its colour and its alpha
    split once, as WeasyPrint splits them but unfiltered when that compresses better (the
    same pixels in fewer bytes), kept in the project's cache by the hash of the picture (a
    full-HD screenshot: 47 ms a document, 128 of them in a 786-page manual's parts)."""
    data = self.image_data.data
    key = hashlib.sha256(data + b"|" + self.mode.encode() + b"|unfiltered|libdeflate").hexdigest()
    folder, writes = SPLIT_ALPHA[0]
    entry = folder / key[:2] / key
    found = kept(entry)
    size = int.from_bytes(found[:8], "big") if found is not None and len(found) >= 8 else -1
    if found is not None and 0 <= size <= len(found) - 8:
        colour, alpha = found[8 : 8 + size], found[8 + size :]
    else:
        picture = Image.open(io.BytesIO(data))
        alpha = _idat_of(picture.getchannel("A"))
        colour = _idat_of(picture.convert(self.mode[:-1]))
        if writes:
            keep(entry, len(colour).to_bytes(8, "big") + colour + alpha)
    # What RasterImage.get_x_object makes of them, key for key (dpi_ratio 1, a PNG).
    width, height = self.width, self.height
    gray = self.mode == "LA"
    extra = pydyf.Dictionary({
        "Type": "/XObject",
        "Subtype": "/Image",
        "Width": width,
        "Height": height,
        "ColorSpace": "/DeviceGray" if gray else "/DeviceRGB",
        "BitsPerComponent": 8,
        "Interpolate": "true" if interpolate else "false",
    })  # fmt: skip
    extra["Filter"] = "/FlateDecode"
    extra["DecodeParms"] = pydyf.Dictionary({"Predictor": 15, "Columns": width})
    if not gray:
        extra["DecodeParms"]["Colors"] = 3
    stream = self.cache_image_data(alpha, slot="streamalpha")
    extra["SMask"] = pydyf.Stream([stream], extra={
        "Filter": "/FlateDecode",
        "Type": "/XObject",
        "Subtype": "/Image",
        "DecodeParms": pydyf.Dictionary({"Predictor": 15, "Columns": width}),
        "Width": width,
        "Height": height,
        "ColorSpace": "/DeviceGray",
        "BitsPerComponent": 8,
        "Interpolate": "true" if interpolate else "false",
    })  # fmt: skip
    return pydyf.Stream([self.cache_image_data(colour, slot="stream")], extra)


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


def _decorative(box: Any) -> bool:
    """An image its writer marked as decorative: alt="" (or role="presentation", "none").

    Only a drawn image (a replaced box): one that failed to load is text, tagged as such.
    """
    element = getattr(box, "element", None)
    if not isinstance(box, ReplacedBox) or element is None:
        return False
    if getattr(box, "link_annotation", None) is not None:
        return False  # a link is content whatever its picture: left to WeasyPrint
    role = element.get("role", "").strip().lower()
    return role in ("presentation", "none") or element.get("alt", None) == ""


def _formula(box: Any) -> bool:
    """A formula content.tex typeset: an <img class="math-svg …"> whose alt is its TeX."""
    element = getattr(box, "element", None)
    if not isinstance(box, ReplacedBox) or element is None or box.element_tag != "img":
        return False
    return "math-svg" in element.get("class", "").split() and bool(element.get("alt"))


@contextmanager
def _marked_or_artifact(self: Any, box: Any, tag: str) -> Iterator[None]:
    """Stream.marked, drawing a decorative image as an /Artifact instead of a /Figure, and
    marking a formula's drawing as a /Formula."""
    if tag == "Figure" and _decorative(box):
        with self.artifact():
            yield
        return
    with _marked(self, box, "Formula" if tag == "Figure" and _formula(box) else tag):
        yield


def _tree_without_decoration(box: Any, *args: Any) -> Iterator[Any]:
    """tags._build_box_tree, with no structure element for a decorative image, and a
    /Formula for a formula (its /Alt and /BBox WeasyPrint's, as for a /Figure).

    A decorative image's content is an /Artifact (_marked_or_artifact): no id to map.
    """
    inner = box._box if isinstance(box, AbsolutePlaceholder) else box
    if _decorative(inner):
        return
    if not _formula(inner):
        yield from _build_box_tree(box, *args)
        return
    for element in _build_box_tree(box, *args):
        if element["S"] == "/Figure":
            element["S"] = "/Formula"
        yield element


@contextmanager
def _dated_as_read() -> Iterator[None]:
    """fontTools saving a font it changed, as WeasyPrint's Font.clean does (an emoji font
    cleaned of its pictures, a variable font made static): the font keeps the date its head
    table gives, instead of the time of the save (recalcTimestamp). Stamped, an emoji subset
    made in two builds (or a cold build on one core and on two) differed by those 8 bytes,
    and so did each PDF that embedded it."""
    from fontTools.ttLib.tables import _h_e_a_d

    compile_head = _h_e_a_d.table__h_e_a_d.compile

    def compile_dated(head: Any, font: Any) -> bytes:
        stamp, font.recalcTimestamp = font.recalcTimestamp, False
        try:
            data: bytes = compile_head(head, font)
        finally:
            font.recalcTimestamp = stamp
        return data

    _h_e_a_d.table__h_e_a_d.compile = compile_dated
    try:
        yield
    finally:
        _h_e_a_d.table__h_e_a_d.compile = compile_head


def _clean_kept(self: Any, to_unicode: Any, hinting: Any) -> None:
    """Font.clean, its emoji part done once per subset: the subset's bytes name the entry.
    A font it saves keeps its own date (_dated_as_read): the same bytes from the same font."""
    if not (self.png or self.svg or self.colr) or "fvar" in self.tables or not CLEANED_FONTS:
        with _dated_as_read():
            _font_clean(self, to_unicode, hinting)
        return
    self.subset(to_unicode, hinting)
    digest = hashlib.sha256(self.file_content).hexdigest()[:32]
    folder, writes = CLEANED_FONTS[0]
    entry = folder / f"{digest}-{self.index}.ttf"
    found = kept(entry)
    if found is not None:
        self.file_content = found
        return
    subset = self.file_content
    self.subset = lambda *_: None  # subset above: the rest of clean, as WeasyPrint does it
    try:
        with _dated_as_read():
            _font_clean(self, to_unicode, hinting)
    finally:
        del self.subset
    if not writes or self.file_content == subset:  # not cleaned (WeasyPrint warned): not kept
        return
    keep(entry, self.file_content)


@contextmanager
def page_hints(previous: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Lay out the block's documents with previous as the guess of where their anchors and
    page references land (the dict this yields, filled by each layout: the next guess).

    Both are page counters as WeasyPrint caches them: an anchor's (TargetLookupItem), which
    its references print, and a reference's own page (CounterLookupItem), which make_page
    compares with the page it lands on (a page whose reference moved is laid out again).

    An anchor that does not land where guessed (an edit moved the pages after it) has the
    pages of its references laid out again, as WeasyPrint does for a reference it knows is
    waiting for a page number (TargetCollector.cache_target_page_counters): it does not
    know the ones whose anchor came later, and relies on the total of pages changing to lay
    them out again, which a guess takes away. References this cannot name an anchor for
    (a link that is not "#anchor") make the dict say "moved", the anchors that moved: the
    caller lays the document out again without a guess (builder.manual.job.draw).
    """
    found: dict[str, Any] = {}
    _HINTS.append(_Hints(previous, found))
    try:
        yield found
    finally:
        _HINTS.pop()


class _Hints:
    """One document's guesses: {"anchors": {name: counters}, "refs": {key: counters}}."""

    def __init__(self, previous: dict[str, Any], found: dict[str, Any]) -> None:
        self.anchors: dict[str, Any] = previous.get("anchors") or {}
        self.refs: dict[str, Any] = previous.get("refs") or {}
        self.found = found
        self.to: dict[str, list[Any]] = {}  # anchor -> the lookup items of its references
        self.unnamed = 0  # references whose anchor is not known (not a "#anchor" link)
        self.keys: dict[int, str] = {}  # id of a reference's lookup item -> its key
        self.guessed: dict[str, Any] = {}  # the anchors given a guess, and the guess
        self.seen: dict[str, int] = {}  # how many references of each kind so far

    def key(self, box: Any) -> tuple[str, str]:
        """A reference named the same from one build to the next: its element, its link and
        how many such came before it (boxes are new objects at each build); and the anchor
        its link names ("" when it names none)."""
        element = getattr(box, "element", None)
        href = element.get("href", "") if element is not None else ""
        kind = f"{getattr(box, 'element_tag', '')} {href}"
        self.seen[kind] = n = self.seen.get(kind, 0) + 1
        return f"{kind} {n}", href[1:] if href.startswith("#") else ""


def _cache_target_checked(self: Any, anchor_name: Any, page_counter_values: Any,
                          page_maker_index: Any, page_maker: Any) -> None:  # fmt: skip
    """TargetCollector.cache_target_page_counters; and a guessed anchor not where guessed
    has each of its references printed again, and its page laid out again (or laid out
    with it when not laid out yet), as WeasyPrint does for the references it knows of."""
    _cache_target(self, anchor_name, page_counter_values, page_maker_index, page_maker)
    hints = _HINTS[-1] if _HINTS and not self.collecting else None
    guess = hints.guessed.get(anchor_name) if hints is not None else None
    if hints is None or guess is None or _first_pass(page_counter_values) == guess:
        return
    for item in hints.to.get(anchor_name, ()):
        if item.page_maker_index is None or item.page_maker_index >= len(page_maker):
            item.pending = True
        else:
            page_maker[item.page_maker_index][-1]["content_changed"] = True
            item.parse_again(item.cached_page_counter_values)


def _first_pass(counters: dict[str, Any]) -> dict[str, Any]:
    """Page counters as the first pass sees them, the total of pages not known yet: 0
    (weasyprint.layout.initialize_page_maker). A later total would make every guess wrong."""
    landed = copy.deepcopy(counters)
    if "pages" in landed:
        landed["pages"] = [0]
    return landed


def _layout_with_hints(html: Any, root_box: Any, context: Any, max_loops: int = 8) -> Any:
    """layout_document; then where this layout's anchors and references landed, kept."""
    if not _HINTS:
        return _layout_document(html, root_box, context, max_loops)
    hints = _HINTS[-1]
    collector = context.target_collector
    pages = list(_layout_document(html, root_box, context, max_loops))
    anchors = {name: _first_pass(item.cached_page_counter_values)
               for name, item in collector.target_lookup_items.items()
               if item.state == "up-to-date" and item.cached_page_counter_values}  # fmt: skip
    refs = {hints.keys[id(item)]: _first_pass(item.cached_page_counter_values)
            for item in collector.counter_lookup_items.values()
            if id(item) in hints.keys and item.cached_page_counter_values}  # fmt: skip
    moved = sorted(name for name, guess in hints.guessed.items() if anchors.get(name) != guess)
    moved = moved if hints.unnamed else []  # each reference of a moved anchor was printed again
    hints.found.clear()
    hints.found.update({"anchors": anchors, "refs": refs, "moved": moved,
                        "stale": _stale(pages, context)})  # fmt: skip
    return pages


DIGITS = re.compile(r"\d+")


def _prints_page(box: Any) -> bool:
    """Does box's content end with its link's page, target-counter(..., page, decimal),
    then only words without figures (a project's own CSS may print other numbers)?"""
    content = box.style["content"]
    if not isinstance(content, (tuple, list)):
        return False
    for at, (kind, value) in enumerate(content):
        if kind == "target-counter()" and tuple(value[1:]) == ("page", "decimal"):
            rest = content[at + 1 :]
            return all(k == "string" and not DIGITS.search(v) for k, v in rest)
    return False


def _stale(pages: list[Any], context: Any) -> int:
    """How many links print a page number other than the page their anchor landed on, in
    these laid-out pages (a link's ::before or ::after, its last number: what
    target-counter(attr(href), page) prints, in decimal).

    WeasyPrint lays pages out again until none is marked changed, and may stop with some
    references printed from an earlier round: a 786-page manual laid out whole, after 5
    rounds, printed 983 of its 1,342 contents' entries one page short of their headings
    (one page had been added at page 235 in the third round). Counted, they are laid out
    again with where the anchors landed as the guess (builder.manual.job._drawn)."""
    landed: dict[str, int] = {}
    printed: dict[int, tuple[str, list[str]]] = {}
    for index, page in enumerate(pages):
        counters = context.page_maker[index + 1][3][1]  # as layout_document reads them
        number = (counters.get("page") or [index + 1])[-1]
        for box in page.descendants():
            anchor = box.style["anchor"]
            if anchor and anchor not in landed:
                landed[anchor] = number
            tag = box.element_tag
            if tag in ("a::after", "a::before") and box.element is not None and _prints_page(box):
                href = box.element.get("href") or ""
                if href.startswith("#"):
                    texts = printed.setdefault(id(box), (href[1:], []))[1]
                    texts.extend(b.text for b in box.descendants() if hasattr(b, "text")
                                 and isinstance(b.text, str))  # fmt: skip
    stale = 0
    for href, texts in printed.values():
        numbers = DIGITS.findall("".join(texts))
        name = unquote(href)
        if numbers and name in landed and int(numbers[-1]) != landed[name]:
            stale += 1
    return stale


def _collect_anchor_guessed(self: Any, anchor_name: Any) -> None:
    """TargetCollector.collect_anchor, the anchor's page counters first guessed from
    page_hints: the references to it are printed with the guess from the start."""
    new = isinstance(anchor_name, str) and anchor_name not in self.target_lookup_items
    _collect_anchor(self, anchor_name)
    if new and _HINTS and (guess := _HINTS[-1].anchors.get(anchor_name)):
        self.target_lookup_items[anchor_name].cached_page_counter_values = copy.deepcopy(guess)
        _HINTS[-1].guessed[anchor_name] = guess


def _collect_missing_counters_guessed(self: Any, parent_box: Any, css_token: Any,
                                      *args: Any) -> None:  # fmt: skip
    """TargetCollector.collect_missing_counters, the page a reference lands on first
    guessed from page_hints (make_page lays out again a page whose reference's counters
    differ from those it cached: at first, none)."""
    new = (parent_box, css_token) not in self.counter_lookup_items
    _collect_missing_counters(self, parent_box, css_token, *args)
    item = self.counter_lookup_items.get((parent_box, css_token))
    if not (_HINTS and new and item is not None and css_token == "content"):
        return
    hints = _HINTS[-1]
    key, anchor = hints.key(parent_box)
    hints.keys[id(item)] = key
    if anchor:
        hints.to.setdefault(anchor, []).append(item)
    else:
        hints.unnamed += 1
    # Only a reference to an anchor guessed too: guessed, its page is not compared again,
    # and an anchor without a guess is printed right only through that comparison.
    if (guess := hints.refs.get(key)) and anchor in hints.anchors:
        item.cached_page_counter_values = copy.deepcopy(guess)


def install() -> bool:
    """Patch WeasyPrint and pydyf when their versions are the checked ones; say if done."""
    if (weasyprint.__version__, pydyf.__version__) != tuple(CHECKED.values()):
        return False
    RasterImage._get_png_data = staticmethod(_png_data)
    RasterImage.__init__ = _palette_init
    images.md5 = _image_id
    RasterImage.get_x_object = _palette_x_object
    inline.handle_leader = _one_text_per_leader
    pydyf.PDF.page_references = property(_page_references)
    pydyf.zlib = _Zlib  # its streams deflated by libdeflate (2.5x faster); zlib inflates them
    Stream.marked = _marked_or_artifact
    tags._build_box_tree = _tree_without_decoration
    fonts.Font.clean = _clean_kept
    weasy_document.layout_document = _layout_with_hints
    TargetCollector.collect_anchor = _collect_anchor_guessed
    TargetCollector.collect_missing_counters = _collect_missing_counters_guessed
    TargetCollector.cache_target_page_counters = _cache_target_checked
    return True


PATCHED = install()

__all__ = [
    "CLEANED_FONTS",
    "IMAGE_ROOTS",
    "PATCHED",
    "FontConfiguration",
    "URLFetcher",
    "URLFetcherResponse",
    "iri_to_uri",
    "page_hints",
    "weasyprint",
]
