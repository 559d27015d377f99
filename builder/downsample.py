"""Images prepared for print: downsampled to 300 dpi at their printed size, in a form the
renderer embeds as it is.

WeasyPrint embeds a JPEG, an 8-bit grey or RGB PNG or a palette PNG, not interlaced,
without decoding it (builder.weasy); any other image it converts and compresses again in
every document of every build (20 ms for a 1200 x 700 screenshot). Such images are converted
once into the cache instead: transparent palettes and 1-bit images to RGBA or grey, opaque
RGBA to RGB, GIF/WebP/BMP/TIFF to PNG. Real transparency is kept.

Originals are never touched: results go to the project cache, named by the hash of the
original's bytes (and the target size), so the next build reuses them.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
import urllib.request
from pathlib import Path

from PIL import Image

from builder.output import atomic_path
from builder.png import embedded_as_is

DPI = 300
MM_PER_INCH = 25.4
RASTER = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
SRC = re.compile(r'src="(file://[^"]+)"')


def max_pixels(width_mm: float, height_mm: float) -> tuple[int, int]:
    """The pixel box an image printed within width_mm x height_mm needs at 300 dpi."""
    return (round(width_mm / MM_PER_INCH * DPI), round(height_mm / MM_PER_INCH * DPI))


def downsample(path: Path, box: tuple[int, int], cache: Path) -> Path:
    """The image to embed: path itself when small enough and embeddable as it is, else a
    cached copy, smaller or converted."""
    if path.suffix.lower() not in RASTER:
        return path
    with Image.open(path) as im:
        if im.width <= box[0] and im.height <= box[1]:
            return _embeddable(path, im, cache)
        digest = hashlib.sha256(path.read_bytes() + repr(box).encode()).hexdigest()[:24]
        target = cache / f"{digest}{'.jpg' if im.format == 'JPEG' else '.png'}"
        if target.is_file():
            return target
        small = im.copy()
        small.thumbnail(box, Image.Resampling.LANCZOS)
        with atomic_path(target) as tmp:  # two processes may make it at once: same bytes
            if im.format == "JPEG":
                small.convert("RGB").save(tmp, "JPEG", quality=88, optimize=True)
            else:
                mode = _target_mode(small)
                (small.convert(mode) if mode else small).save(tmp, "PNG", optimize=True)
        return target


def _embeddable(path: Path, im: Image.Image, cache: Path) -> Path:
    """path if WeasyPrint embeds it as it is, else a PNG it does, converted once and cached."""
    if im.format == "JPEG" or (im.format == "PNG" and embedded_as_is(path.read_bytes())):
        return path
    mode = _target_mode(im)
    if mode is None:
        return path  # 16-bit, CMYK, ...: rare; left to WeasyPrint
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    target = cache / f"{digest}-{mode.lower()}.png"
    if not target.is_file():  # another process may have made it: same bytes
        converted = im.convert(mode)
        with atomic_path(target) as tmp:
            converted.save(tmp, "PNG")
    return target


def _target_mode(im: Image.Image) -> str | None:
    """The mode to convert im to: RGB or L, or RGBA/LA when anything in it is transparent."""
    if "transparency" in im.info:  # a transparent palette entry or colour: an alpha channel
        im = im.convert("LA" if im.mode in ("L", "1") else "RGBA")
    elif im.mode == "P":
        return "RGB"
    if im.mode in ("RGB", "L"):  # interlaced or 16-bit PNG, GIF, WebP, BMP, TIFF
        return im.mode
    if im.mode == "1":
        return "L"
    if im.mode in ("RGBA", "LA"):
        opaque = im.getchannel("A").getextrema() == (255, 255)
        return im.mode[:-1] if opaque else im.mode
    return None


def downsample_pages(
    pages: list[str], box: tuple[int, int], cache: Path, *, from_the_end: bool = False
) -> list[str]:
    """Swap every local raster image in the pages for its print-ready copy, each image
    prepared once, first to last or from the end.

    Two processes preparing the same images start from opposite ends: each then finds in
    the cache what the other already made, and between them every image is made once.
    """
    urls = list(dict.fromkeys(url for html in pages for url in SRC.findall(html)))
    made = {}
    for url in reversed(urls) if from_the_end else urls:
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
        if path.is_file():
            made[url] = downsample(path, box, cache).as_uri()
    return [SRC.sub(lambda m: f'src="{made.get(m.group(1), m.group(1))}"', html) for html in pages]
