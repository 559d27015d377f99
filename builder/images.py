"""Images: checked with Pillow before rendering; large ones downsampled for print."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

# Pillow refuses images above twice this many pixels (a decompression bomb).
Image.MAX_IMAGE_PIXELS = 64_000_000
VECTOR = frozenset({".svg"})


def check_image(path: Path) -> str | None:
    """Why path is not a usable image ("corrupt", "too large"...), or None when it is."""
    if path.suffix.lower() in VECTOR:
        return _check_svg(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"refused: more than {Image.MAX_IMAGE_PIXELS:,} pixels (decompression bomb?)"
    except UnidentifiedImageError:
        return "is not an image Pillow can read (corrupt or unknown format)"
    except (OSError, SyntaxError, ValueError) as exc:
        return f"is truncated or corrupt ({exc})"
    return None


def _check_svg(path: Path) -> str | None:
    head = path.read_bytes()[:4096].lstrip()
    if b"<svg" not in head and not head.startswith(b"<?xml"):
        return "is not an SVG file"
    return None
