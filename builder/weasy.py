"""Import WeasyPrint (pinned 70.0) faster, and let it embed PNG data without re-encoding it.

The only module that imports weasyprint: the others take its names from here, so that
whichever of them is imported first, the import goes through the short-cut below.

Two costs of every rendering process, both outside what WeasyPrint lets us configure:

- its import runs ctypes' library search (ldconfig and gcc subprocesses): 0.2 s;
- on writing, it decodes every PNG and compresses the pixels again to get PNG-predicted
  Flate data: 20 ms for each 1200 x 700 screenshot, every build, every document.
"""

import ctypes.util
import io
import struct
from typing import Any

# WeasyPrint tries several names per library (libgobject-2.0-0, gobject-2.0, ...); for each
# name dlopen refuses, cffi asks ctypes.util.find_library, which runs ldconfig and gcc in a
# subprocess (~10 ms each, 20 times). The Debian names (libgobject-2.0.so.0) open directly.
_search = ctypes.util.find_library
ctypes.util.find_library = lambda name: None
try:
    import weasyprint
    from weasyprint.images import RasterImage
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse, iri_to_uri
finally:
    ctypes.util.find_library = _search

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


RasterImage._get_png_data = staticmethod(_png_data)

__all__ = [
    "FontConfiguration",
    "URLFetcher",
    "URLFetcherResponse",
    "iri_to_uri",
    "png_idat",
    "weasyprint",
]
