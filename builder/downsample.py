"""Images larger than print needs are downsampled to 300 dpi at their printed size.

Originals are never touched: results go to the project cache, named by the hash of the
original's bytes and the target size, so the next build reuses them.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
import urllib.request
from pathlib import Path

from PIL import Image

DPI = 300
MM_PER_INCH = 25.4
RASTER = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})
SRC = re.compile(r'src="(file://[^"]+)"')


def max_pixels(width_mm: float, height_mm: float) -> tuple[int, int]:
    """The pixel box an image printed within width_mm x height_mm needs at 300 dpi."""
    return (round(width_mm / MM_PER_INCH * DPI), round(height_mm / MM_PER_INCH * DPI))


def downsample(path: Path, box: tuple[int, int], cache: Path) -> Path:
    """The image to embed: path itself when small enough, else a cached smaller copy."""
    if path.suffix.lower() not in RASTER:
        return path
    with Image.open(path) as im:
        if im.width <= box[0] and im.height <= box[1]:
            return path
        digest = hashlib.sha256(path.read_bytes() + repr(box).encode()).hexdigest()[:24]
        target = cache / f"{digest}{'.jpg' if im.format == 'JPEG' else '.png'}"
        if target.is_file():
            return target
        small = im.copy()
        small.thumbnail(box, Image.Resampling.LANCZOS)
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part" + target.suffix)
        if im.format == "JPEG":
            small.convert("RGB").save(tmp, "JPEG", quality=88, optimize=True)
        else:
            small.save(tmp, "PNG", optimize=True)
        tmp.replace(target)
        return target


def downsample_html(html: str, box: tuple[int, int], cache: Path) -> str:
    """Swap every local raster image in html for its print-sized copy."""

    def swap(m: re.Match[str]) -> str:
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(m.group(1)).path))
        if not path.is_file():
            return m.group(0)
        return f'src="{downsample(path, box, cache).as_uri()}"'

    return SRC.sub(swap, html)
