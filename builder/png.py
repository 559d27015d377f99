"""PNG files read at the chunk level: which ones a PDF can hold as they are, and their data.

A PDF image with /FlateDecode and /Predictor 15 holds exactly what a PNG's IDAT chunks hold
(zlib-compressed, PNG-filtered scanlines), so such an image needs no decoding: builder.weasy
embeds these as they are, and builder.downsample leaves them alone.
"""

from __future__ import annotations

import struct
from typing import cast

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# IHDR colour types whose IDAT stream is what PDF's Flate + PNG predictor wants as is, for
# the colour spaces WeasyPrint declares for them: grey (0) and RGB (2).
PASS_THROUGH = {0: "L", 2: "RGB"}


def png_idat(data: bytes, mode: str) -> bytes | None:
    """The concatenated IDAT data of an 8-bit, non-interlaced grey or RGB PNG, else None.

    That data is the zlib stream of PNG-filtered scanlines: exactly the stream a PDF image
    with /FlateDecode and /Predictor 15 holds, so the pixels need no decoding.
    """
    header = _ihdr(data)
    if header is None or header[0] != 8 or PASS_THROUGH.get(header[1]) != mode:
        return None
    return _chunks(data).get(b"IDAT") or None


def png_palette(data: bytes) -> tuple[int, bytes, bytes] | None:
    """(bit depth, palette, IDAT data) of a non-interlaced, opaque palette PNG, else None.

    Its IDAT stream holds one palette index per pixel (1, 2, 4 or 8 bits): a PDF image in
    an /Indexed colour space takes it as is, where WeasyPrint would convert every pixel to
    RGB and compress them again.
    """
    header = _ihdr(data)
    if header is None or header[1] != 3:
        return None
    chunks = _chunks(data)
    palette, idat = chunks.get(b"PLTE", b""), chunks.get(b"IDAT", b"")
    if b"tRNS" in chunks or b"eXIf" in chunks:  # transparency; an orientation to apply
        return None
    if not idat or not palette or len(palette) % 3 or len(palette) > 768:
        return None
    return header[0], palette, idat


def _ihdr(data: bytes) -> tuple[int, int] | None:
    """(bit depth, colour type) of a PNG that is not interlaced, else None."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    depth, colour, _, _, interlace = struct.unpack("!5B", data[24:29])
    return None if interlace else (depth, colour)


def _chunks(data: bytes) -> dict[bytes, bytes]:
    """Each chunk type's data, chunks of one type concatenated (IDAT), up to IEND."""
    found: dict[bytes, list[bytes]] = {}
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack("!I4s", data[pos : pos + 8])
        if kind == b"IEND":
            break
        found.setdefault(kind, []).append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length  # length, type, data, CRC
    return {kind: b"".join(parts) for kind, parts in found.items()}


def embedded_as_is(data: bytes) -> bool:
    """Whether the renderer embeds this file as it is: an 8-bit grey or RGB PNG or an opaque
    palette PNG, not interlaced (png_idat, png_palette)."""
    header = _ihdr(data)
    if header is None:
        return False
    if header[1] == 3:
        return png_palette(data) is not None
    return header[0] == 8 and header[1] in PASS_THROUGH and b"tRNS" not in _chunks(data)


def idat_intact(data: bytes) -> bool:
    """Does the PNG's image data inflate whole? Pillow's verify() checks the chunks' CRCs,
    not the compressed stream; the renderer embeds such a PNG as it is (builder.weasy), so a
    broken stream would print as a broken picture without a word. Inflated as it streams,
    1 MB at a time, by zlib-ng: zlib's own checks (libdeflate's inflater, faster still,
    takes length codes 286 and 287, which zlib refuses), ~0.2 ms for a full-HD screenshot
    against ~1 ms with zlib and ~20 ms to decode it."""
    from zlib_ng import zlib_ng

    idat = _chunks(data).get(b"IDAT")
    if not idat:
        return False
    inflater = zlib_ng.decompressobj()
    refused = cast("type[Exception]", zlib_ng.error)  # its stub calls it an instance
    try:
        while idat:
            inflater.decompress(idat, 1 << 20)
            idat = inflater.unconsumed_tail
    except refused:
        return False
    return bool(inflater.eof)


def deflated(data: bytes | bytearray | memoryview, level: int = -1) -> bytes:
    """zlib.compress(data, level), by libdeflate: a zlib stream as zlib's (RFC 1950); level
    -1 is its default, 6, as zlib's. On the image cache's 160 screenshots of bench (i)'s
    space (790 MB of scanlines), level 6 in 1.6 s and 28.9 MB, zlib's in 3.9 s and 29.0 MB
    (bench/README.md)."""
    import deflate

    return bytes(deflate.zlib_compress(data, level))  # a bytearray: made immutable


# The 8-bit modes (Pillow's names) a PNG of unfiltered() holds, by their IHDR colour type.
COLOUR_TYPES = {"L": 0, "RGB": 2, "LA": 4, "RGBA": 6}


def unfiltered(mode: str, size: tuple[int, int], pixels: bytes) -> bytes:
    """A PNG of these 8-bit pixels (mode: a key of COLOUR_TYPES; Pillow's tobytes()), each
    scanline stored with filter type 0, deflated at zlib's default level (by libdeflate).

    Pillow's PNG encoder tries the five filters on every scanline: for 188 real screenshots,
    twice the time of this one (22.4 s against 11.6 s) for 18 % more bytes (36.4 MB against
    29.9 MB); the flat colours of a screenshot compress better as they are. A photograph or
    a gradient is served better by the filters (builder.images.png_bytes chooses).
    """
    width, height = size
    row = width * len(mode)
    if mode not in COLOUR_TYPES or width < 1 or height < 1 or len(pixels) != row * height:
        raise ValueError(f"{len(pixels)} bytes are not {width} x {height} {mode} pixels")
    rows = bytearray(height * (row + 1))  # each scanline after its filter type: none (0)
    view = memoryview(pixels)
    for y in range(height):
        at = y * (row + 1) + 1
        rows[at : at + row] = view[y * row : (y + 1) * row]
    data = deflated(rows)
    header = struct.pack("!2I5B", width, height, 8, COLOUR_TYPES[mode], 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    import zlib

    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
