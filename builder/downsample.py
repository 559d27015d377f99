"""Images prepared for print: downsampled to 300 dpi at their printed size, in a form the
renderer embeds as it is.

WeasyPrint embeds a JPEG, an 8-bit grey or RGB PNG or a palette PNG, not interlaced,
without decoding it (builder.weasy); any other image it converts and compresses again in
every document of every build (20 ms for a 1200 x 700 screenshot). Such images are converted
once into the cache instead: transparent palettes, 1-bit and 16-bit grey images to RGBA or
8-bit grey, opaque RGBA to RGB, GIF/WebP/BMP/TIFF to PNG. Real transparency is kept.

Originals are never touched: results go to the project cache, named by the hash of the
original's bytes (and the target size), so the next build reuses them.
"""

from __future__ import annotations

import hashlib
import io
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from builder import machine
from builder.gate import current
from builder.images import eight_bit_grey, png_bytes
from builder.output import atomic_path, kept, seal, sidecar, write_text
from builder.output import keep as note
from builder.png import embedded_as_is

DPI = 300
MM_PER_INCH = 25.4
RASTER = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
# Only the src of a real <img> tag: text that reads src="file://…" (a code sample) is text.
SRC = re.compile(r'(<img\b[^<>]*?\ssrc=")(file://[^"]+)"')
CACHE_VERSION = 6  # part of every entry's key: bump when a conversion changes (6: libdeflate)
CACHE_HINT = "the image cache (.guideprint-cache) cannot be written; fix or delete it"


def max_pixels(width_mm: float, height_mm: float) -> tuple[int, int]:
    """The pixel box an image printed within width_mm x height_mm needs at 300 dpi."""
    return (round(width_mm / MM_PER_INCH * DPI), round(height_mm / MM_PER_INCH * DPI))


def downsample(path: Path, box: tuple[int, int], cache: Path, *,
               spill: Path | None = None) -> Path:  # fmt: skip
    """The image to embed: path itself when small enough and embeddable as it is, else a
    cached copy, smaller or converted. The original is read through the gate.

    spill: for `check`, which writes nothing in the project: a copy the cache does not hold
    yet is made there (a folder it throws away), and nothing is noted (_noted_mode).
    """
    if path.suffix.lower() not in RASTER:
        return path
    data = current().read_bytes(path, what="image")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width <= box[0] and im.height <= box[1]:
                return _embeddable(path, data, im, cache, spill)
            ext = ".jpg" if im.format == "JPEG" else ".png"
            return _cached(cache, _key(data, f"fit {box}"), ext, lambda tmp: _shrink(im, box, tmp),
                           spill)  # fmt: skip
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return path  # not an image Pillow reads: the reader reported it, the renderer will


def _shrink(im: Image.Image, box: tuple[int, int], tmp: Path) -> None:
    small = im.copy()
    small.thumbnail(box, Image.Resampling.LANCZOS)
    if im.format == "JPEG":
        small.convert("RGB").save(tmp, "JPEG", quality=88, optimize=True)
    else:
        mode = _target_mode(small)
        # Not optimize=True: 3x the time of the save (0.55 against 0.18 s for a 2560 x 1440
        # screenshot) for 1 % fewer bytes.
        _save_png(_as(small, mode) if mode else small, tmp)


def _save_png(im: Image.Image, tmp: Path) -> None:
    """im as a PNG at tmp, unfiltered when that compresses better (builder.images.png_bytes)."""
    tmp.write_bytes(png_bytes(im))


def _embeddable(path: Path, data: bytes, im: Image.Image, cache: Path,
                spill: Path | None) -> Path:  # fmt: skip
    """path if WeasyPrint embeds it as it is, else a PNG it does, converted once and cached."""
    if im.format == "JPEG" or (im.format == "PNG" and embedded_as_is(data)):
        return path
    mode = _noted_mode(im, data, cache, keep=spill is None)
    if mode is None or (mode == im.mode and mode in ("RGBA", "LA") and _plain_png(data)):
        # CMYK, ...: rare; left to WeasyPrint. An 8-bit RGBA/LA PNG with real
        # transparency converted to its own mode would be the same pixels again: WeasyPrint
        # splits off its alpha in every document either way.
        return path
    return _cached(cache, _key(data, f"mode {mode}"), ".png",
                   lambda tmp: _save_png(_as(im, mode), tmp), spill)  # fmt: skip


def _noted_mode(im: Image.Image, data: bytes, cache: Path, *, keep: bool) -> str | None:
    """_target_mode of im, or what an earlier build found for the same bytes: telling an
    RGBA screenshot opaque decodes all of it (25 ms for a full-HD one; 4.3 s of a rebuild of
    a space with 173). Noted in the cache (modes/), sealed, unless keep is False (`check`,
    which writes nothing); a note planted or copied in is not believed."""
    if im.mode not in ("RGBA", "LA") or "transparency" in im.info:
        return _target_mode(im)  # told without decoding the pixels (or a palette: small)
    key = _key(data, "mode")
    entry = cache / "modes" / key[:2] / key
    found = kept(entry)
    if found is not None and found.decode("ascii", "replace") in (im.mode, im.mode[:-1]):
        return found.decode("ascii")
    mode = _target_mode(im)
    if mode is not None and keep:
        note(entry, mode.encode("ascii"))
    return mode


def _plain_png(data: bytes) -> bool:
    """An 8-bit PNG, not interlaced (its IHDR: bit depth 8, interlace method 0)."""
    return data[12:16] == b"IHDR" and data[24] == 8 and data[28] == 0


def _key(data: bytes, conversion: str) -> str:
    """A cache entry's name: the hash of the bytes read and of what is done to them."""
    h = hashlib.sha256(data)
    h.update(f"|{conversion}|v{CACHE_VERSION}".encode())
    return h.hexdigest()[:32]


def _cached(cache: Path, key: str, ext: str, make: Callable[[Path], None],
            spill: Path | None = None) -> Path:  # fmt: skip
    """The entry key+ext of the cache, made when absent or when it fails its check (made in
    spill instead, unsealed, when given: `check`).

    Each entry has a sidecar with the hash of its bytes and the file's inode and change time
    (builder.output.seal): a truncated or corrupted entry (a killed build, a disk error, a
    hand edit), or one this machine did not write (planted, copied in), is made again, never
    trusted. Two builds
    making one entry at once write the same bytes, each atomically.
    """
    target = cache / f"{key}{ext}"
    if kept(target) is not None:  # checked unrecorded: the renderer records what it embeds
        return target
    if spill is not None:
        target = spill / target.name
        with atomic_path(target, hint=CACHE_HINT) as tmp:
            make(tmp)
        return target
    with atomic_path(target, hint=CACHE_HINT) as tmp:
        make(tmp)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    write_text(sidecar(target), seal(target, digest), hint=CACHE_HINT)
    return target


def _target_mode(im: Image.Image) -> str | None:
    """The mode to convert im to: RGB or L, or RGBA/LA when anything in it is transparent."""
    if "transparency" in im.info and im.mode.startswith("I"):  # a transparent grey level
        return eight_bit_grey(im).mode  # LA if a pixel has it, else L
    if "transparency" in im.info:  # a transparent palette entry or colour: an alpha channel
        im = im.convert("LA" if im.mode in ("L", "1") else "RGBA")
    elif im.mode == "P":
        return "RGB"
    if im.mode in ("RGB", "L"):  # interlaced or 16-bit PNG, GIF, WebP, BMP, TIFF
        return im.mode
    if im.mode == "1" or im.mode.startswith("I"):  # 1-bit; 16- or 32-bit grey
        return "L"
    if im.mode in ("RGBA", "LA"):
        opaque = im.getchannel("A").getextrema() == (255, 255)
        return im.mode[:-1] if opaque else im.mode
    return None


def _as(im: Image.Image, mode: str) -> Image.Image:
    """im converted to mode. A 16-bit grey PNG (Pillow's I;16, or I) is scaled to 8 bits,
    its transparent level an alpha channel (eight_bit_grey, which _target_mode asked):
    convert() clips it (all white), and WeasyPrint drew it as a black box ("Unknown image
    mode")."""
    if im.mode.startswith("I") and mode in ("L", "LA"):
        return eight_bit_grey(im)
    return im.convert(mode)


def downsample_pages(
    pages: list[str],
    box: tuple[int, int],
    cache: Path,
    *,
    from_the_end: bool = False,
    swapped: dict[str, str] | None = None,
    spill: Path | None = None,
) -> list[str]:
    """Swap every local raster image in the pages for its print-ready copy, each image
    prepared once, first to last or from the end. spill: see downsample.

    Two processes preparing the same images start from opposite ends: each then finds in
    the cache what the other already made, and between them every image is made once.
    """
    urls = list(dict.fromkeys(url for html in pages for _, url in SRC.findall(html)))
    gate = current()
    todo = []
    for url in reversed(urls) if from_the_end else urls:
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
        if gate.is_file(path):  # a refused one is left to the fetcher, which reports it
            todo.append((url, path))
    # Pillow decodes, resamples and compresses without the GIL: one thread per core. Each
    # entry depends on its image alone, so the result is the same on one core as on two.
    with ThreadPoolExecutor(machine.cores()) as pool:
        done = pool.map(lambda item: downsample(item[1], box, cache, spill=spill).as_uri(), todo)
        made = {url: uri for (url, _), uri in zip(todo, done, strict=True)}

    if swapped is not None:  # original URL -> what takes its place, for the renderer's words
        swapped.update((url, uri) for url, uri in made.items() if uri != url)

    def swap(m: re.Match[str]) -> str:
        return f'{m.group(1)}{made.get(m.group(2), m.group(2))}"'

    return [SRC.sub(swap, html) for html in pages]
