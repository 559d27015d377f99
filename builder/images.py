"""Images: checked with Pillow before rendering, so a broken file is reported, not printed."""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path

from PIL import Image, ImageFile, ImageMath, UnidentifiedImageError

from builder.errors import GuideError
from builder.gate import current
from builder.png import COLOUR_TYPES, idat_intact, unfiltered

# Pillow refuses images above twice this many pixels (a decompression bomb); we refuse
# from this many, which is already a 8000 x 8000 picture.
Image.MAX_IMAGE_PIXELS = 64_000_000
VECTOR = frozenset({".svg"})
# verify() reads every PNG chunk with its checksum; other formats are decoded to be sure.
VERIFIED = frozenset({"PNG"})
_STRICT = threading.Lock()
# Where check_image keeps, by the hash of a PNG's bytes, that its image data inflates whole
# (builder.png.idat_intact: 12 ms for a full-HD screenshot, 4.5 s of reading 450): set for a
# build's reading (builder.manual.job.read), with whether it may write there (not `check`).
# Each is an empty file with a sealed sidecar (builder.output.seal): one copied in (a
# committed cache) is not trusted, the PNG is inflated again.
INFLATES: list[tuple[Path, bool]] = []


def check_image(path: Path) -> str | None:
    """Why path is not a usable image, as words after its name ("is truncated or corrupt"),
    or None when it is one. Read through the gate: a link leading outside is refused."""
    try:
        data, digest = current().read_hashed(path, what="image")
    except GuideError as exc:
        return f"is refused: {exc.message.split(': ', 1)[-1]}"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if path.suffix.lower() in VECTOR:
        return _check_svg(data)
    # WeasyPrint sets LOAD_TRUNCATED_IMAGES for the whole process, which would let a cut
    # download through as a half-grey picture: be strict while checking.
    with _STRICT:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            return _check_raster(data, digest)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _check_raster(data: bytes, digest: str = "") -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                fmt = im.format
                im.verify()
            if fmt == "PNG" and not _inflates(data, digest):
                return "is truncated or corrupt (its image data does not inflate)"
            if fmt not in VERIFIED:
                with Image.open(io.BytesIO(data)) as im:
                    im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
                    im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (
            f"is refused: more than {Image.MAX_IMAGE_PIXELS:,} pixels (a decompression bomb?);"
            " resize it"
        )
    except UnidentifiedImageError:
        return "is not an image (corrupt, or a format Pillow cannot read)"
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        return f"is truncated or corrupt ({exc})"
    return None


def _inflates(data: bytes, digest: str) -> bool:
    """idat_intact, or what an earlier build found of the same bytes (INFLATES)."""
    if not INFLATES or not digest:
        return idat_intact(data)
    from builder.output import keep, kept

    folder, write = INFLATES[0]
    entry = folder / digest[:2] / digest
    if kept(entry, digest) == b"":
        return True
    if not idat_intact(data):
        return False
    if write:
        keep(entry, b"", digest=digest)
    return True


def _check_svg(data: bytes) -> str | None:
    head = data[:4096].lstrip()
    if b"<svg" not in head and not head.startswith(b"<?xml"):
        return "is not an SVG file"
    # Parsed as WeasyPrint parses it (ElementTree, expat): a file it cannot read is said here
    # with the parser's reason and line, not as the renderer's "Failed to load image" with
    # none. Nothing is fetched: expat loads no external entity and bounds entity expansion.
    from xml.etree.ElementTree import ParseError, fromstring

    try:
        fromstring(data)
    except ParseError as exc:
        return f"is not a valid SVG file ({exc})"
    return None


def eight_bit_grey(im: Image.Image) -> Image.Image:
    """A 16- or 32-bit grey picture (Pillow's I;16, I;16B, I) scaled to 8 bits ("L"), with
    an alpha channel ("LA") when it names a transparent grey level (a PNG's tRNS) that a
    pixel has: Pillow's convert("L") clips it (all white), convert("LA") too, and WeasyPrint
    draws I;16 as a black box ("Unknown image mode"). A 32-bit I holding only 8-bit values
    is kept as it is."""
    deep = im.convert("I")  # getextrema() refuses I;16B, I;16L, I;16N
    high = deep.getextrema()[1]
    wide = not isinstance(high, (int, float)) or high > 255
    top = 65535 if im.mode.startswith("I;16") or wide else 255
    grey = deep.point(lambda v: v * (255 / top)).convert("L")
    grey.info.pop("transparency", None)  # a 16-bit level: no 8-bit pixel is it
    clear = im.info.get("transparency")
    if isinstance(clear, int):
        mask = ImageMath.lambda_eval(lambda a: (a["x"] != clear) * 255, x=deep).convert("L")
        if mask.getextrema()[0] == 0:
            return Image.merge("LA", (grey, mask))
    return grey


# How png_bytes samples a picture: bands of BAND rows, about SAMPLES of them.
BAND, SAMPLES = 16, 8


def png_bytes(im: Image.Image) -> bytes:
    """im as a PNG: unfiltered (builder.png.unfiltered: a screenshot, in half the time of
    Pillow's encoder and fewer bytes) unless Pillow's filters compress a sample of its rows
    better (a photograph, a screenshot showing one, a gradient: up to 2x smaller), then
    Pillow's. The sample (SAMPLES bands of BAND rows, spread over the picture, ~12 % of a
    full-HD one) is encoded both ways."""
    if im.mode in COLOUR_TYPES and im.width and im.height:
        step = max(BAND, im.height // SAMPLES)
        bands = [im.crop((0, top, im.width, min(im.height, top + BAND)))
                 for top in range(0, im.height, step)]  # fmt: skip
        sample = Image.new(im.mode, (im.width, sum(band.height for band in bands)))
        at = 0
        for band in bands:
            sample.paste(band, (0, at))
            at += band.height
        mine, theirs = unfiltered(im.mode, sample.size, sample.tobytes()), _pillows(sample)
        if sample.height == im.height:  # the bands are the whole picture: both are made
            return mine if len(mine) <= len(theirs) else theirs
        if len(mine) <= len(theirs):
            return unfiltered(im.mode, im.size, im.tobytes())
    return _pillows(im)


def _pillows(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()
