"""The outputs' pages as PNG pictures, drawn in this process by PDFium (pypdfium2) and kept
by the PDF's hash: each page of each version of an output is drawn once.

PDFium is not thread-safe: every call into it holds LOCK. The PNG is written here rather
than by Pillow: Pillow's encoder tries each row filter (31 ms for an A6 side at 192 dpi),
where unfiltered rows through zlib level 1 take 10 ms, outside the lock and the GIL.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import GuideError
from builder.gate import Gate

LOCK = threading.Lock()  # PDFium, one caller at a time
MM_PER_PT = 25.4 / 72
PNG_BUDGET = 96 * 2**20  # the pictures kept: ~700 card sides or ~4,000 thumbnails
DOCUMENTS_KEPT = 64  # versions of outputs kept open (a page may ask for the one it shows)


@dataclass(frozen=True)
class Pdf:
    """One version of an output: its hash, its pages' sizes in mm, its title."""

    digest: str
    pages: tuple[tuple[float, float], ...]
    title: str
    dpi: int  # what its pictures are drawn at


class Pictures:
    """Load outputs through a read gate; draw their pages as PNG, cached by hash and page."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self._known: dict[str, tuple[int, int, Pdf]] = {}  # path -> size, mtime, what it was
        self._docs: OrderedDict[str, tuple[Pdf, Any]] = OrderedDict()  # digest -> PdfDocument
        self._pngs: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._png_bytes = 0
        self._cache_lock = threading.Lock()

    def load(self, path: Path, dpi: int) -> Pdf | None:
        """The PDF at path as it is now; None when absent, refused or not a PDF."""
        try:
            info = os.stat(path)
        except OSError:
            return None
        known = self._known.get(str(path))
        if known and known[:2] == (info.st_size, info.st_mtime_ns) and known[2].dpi == dpi:
            return known[2]
        try:
            data = self.gate.read_bytes(path, what="output")
        except (GuideError, OSError):
            return None
        pdf = self._open(data, dpi)
        if pdf is not None:
            self._known[str(path)] = (info.st_size, info.st_mtime_ns, pdf)
        return pdf

    def _open(self, data: bytes, dpi: int) -> Pdf | None:
        import pypdfium2 as pdfium

        digest = hashlib.sha256(data).hexdigest()
        with LOCK:
            if digest in self._docs:
                self._docs.move_to_end(digest)
                return self._docs[digest][0]
            try:
                doc = pdfium.PdfDocument(data)
            except pdfium.PdfiumError:
                return None
            sizes = []
            for index in range(len(doc)):
                width, height = doc[index].get_size()
                sizes.append((round(width * MM_PER_PT, 1), round(height * MM_PER_PT, 1)))
            title = str(doc.get_metadata_value("Title") or "")
            pdf = Pdf(digest, tuple(sizes), title, dpi)
            self._docs[digest] = (pdf, doc)
            while len(self._docs) > DOCUMENTS_KEPT:
                _, (_, old) = self._docs.popitem(last=False)
                old.close()
        return pdf

    def known(self, digest: str) -> bool:
        """Is this a version of an output loaded (and still kept)?"""
        with LOCK:
            return digest in self._docs

    def png(self, digest: str, page: int) -> bytes | None:
        """Page `page` (from 1) of the version `digest` as PNG; None when there is none."""
        with self._cache_lock:
            found = self._pngs.get((digest, page))
            if found is not None:
                self._pngs.move_to_end((digest, page))
                return found
        drawn = self._draw(digest, page)
        if drawn is None:
            return None
        width, height, stride, pixels, dpi = drawn
        data = encode_png(width, height, stride, pixels, dpi)
        with self._cache_lock:
            if (digest, page) not in self._pngs:
                self._pngs[(digest, page)] = data
                self._png_bytes += len(data)
            while self._png_bytes > PNG_BUDGET and len(self._pngs) > 1:
                _, old = self._pngs.popitem(last=False)
                self._png_bytes -= len(old)
        return data

    def _draw(self, digest: str, page: int) -> tuple[int, int, int, bytes, int] | None:
        """The RGB pixels of a page (width, height, bytes per row, pixels, dpi)."""
        with LOCK:
            kept = self._docs.get(digest)
            if kept is None or not 1 <= page <= len(kept[0].pages):
                return None
            pdf, doc = kept
            drawn = doc[page - 1]
            bitmap = drawn.render(scale=pdf.dpi / 72, rev_byteorder=True)
            try:
                if bitmap.n_channels != 3:  # pragma: no cover - RGB is PDFium's default here
                    raise ValueError(f"unexpected bitmap of {bitmap.n_channels} channels")
                pixels = bytes(bitmap.buffer)
                return bitmap.width, bitmap.height, bitmap.stride, pixels, pdf.dpi
            finally:
                bitmap.close()
                drawn.close()


def encode_png(width: int, height: int, stride: int, pixels: bytes, dpi: int) -> bytes:
    """An 8-bit RGB PNG of rows `stride` bytes apart, unfiltered, with its resolution."""
    view = memoryview(pixels)
    row = width * 3
    raw = b"".join(b"\0" + view[y * stride : y * stride + row] for y in range(height))
    per_metre = round(dpi / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack("!2I5B", width, height, 8, 2, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack("!2IB", per_metre, per_metre, 1)),
            _chunk(b"IDAT", zlib.compress(raw, 1)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))
