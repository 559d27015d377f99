"""Characters no font of the set can draw, found from the fonts' character maps before any
rendering: a warning with the file and line, not empty boxes on paper.

WeasyPrint draws a character no font has as a box (.notdef) and says nothing; the check runs
where the pages and cards are read, so `check` and `build` report the same.
"""

from __future__ import annotations

import html
import re
import struct
import unicodedata
from functools import cache, lru_cache

from builder.diagnostics import Diagnostics

TAG = re.compile(r"<[^>]*>")
# Invisible or joining characters the shaper uses without a glyph of their own.
SILENT = frozenset({"Cc", "Cf", "Mn", "Me", "Zl", "Zp"})
SHOWN = 5  # characters named in one warning


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, ...]:
    """The set's font files in its order (the text fonts first, which cover a French or an
    English text alone), the CJK collection last: its map is the largest (45,000
    characters), read only for what every other font lacks."""
    from builder.fonts import font_files

    files = list(dict.fromkeys(map(str, font_files())))
    return tuple(sorted(files, key=lambda path: path.endswith((".ttc", ".otc"))))


@cache
def chars_of(path: str) -> frozenset[int]:
    """Every code point one font file maps; a collection (the CJK .ttc) by its first font:
    its faces differ in how they draw a character, not in which characters they have."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            chars = unicode_chars(font.reader["cmap"]) if "cmap" in font.reader else None
            return frozenset(chars if chars is not None else font["cmap"].getBestCmap() or ())
    except (OSError, TTLibError):
        return frozenset()


def unicode_chars(cmap: bytes) -> set[int] | None:
    """The characters a raw cmap table maps to a glyph, from its best Unicode subtable
    (format 12, else format 4); None when it has neither.

    fontTools builds a dictionary of glyph names, one entry per character: 0.8 s for the
    set (0.3 s for the 45,000 characters of the CJK collection), at every command; the
    tables themselves are ranges, read as ranges in 0.04 s.
    """
    subtables: dict[int, int] = {}
    for i in range(int.from_bytes(cmap[2:4], "big")):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3)):
            subtables.setdefault(int.from_bytes(cmap[offset : offset + 2], "big"), offset)
    if 12 in subtables:
        return _format12(cmap, subtables[12])
    if 4 in subtables:
        return _format4(cmap, subtables[4])
    return None


def _format12(cmap: bytes, offset: int) -> set[int]:
    groups = int.from_bytes(cmap[offset + 12 : offset + 16], "big")
    table = memoryview(cmap)[offset + 16 : offset + 16 + 12 * groups]
    chars: list[int] = []
    for start, end, glyph in struct.iter_unpack(">III", table):
        if end == start:
            if glyph:  # glyph 0 is .notdef: not a character
                chars.append(start)
        else:
            chars.extend(range(start + (glyph == 0), end + 1))
    return set(chars)


def _format4(cmap: bytes, offset: int) -> set[int]:
    segments = int.from_bytes(cmap[offset + 6 : offset + 8], "big") // 2
    ends = offset + 14
    starts = ends + 2 * segments + 2
    deltas, range_offsets = starts + 2 * segments, starts + 4 * segments
    chars: set[int] = set()
    for s in range(segments):
        (end,) = struct.unpack_from(">H", cmap, ends + 2 * s)
        (start,) = struct.unpack_from(">H", cmap, starts + 2 * s)
        (delta,) = struct.unpack_from(">h", cmap, deltas + 2 * s)
        (range_offset,) = struct.unpack_from(">H", cmap, range_offsets + 2 * s)
        if start == 0xFFFF:
            continue
        if range_offset == 0:
            chars.update(c for c in range(start, end + 1) if (c + delta) & 0xFFFF)
            continue
        at = range_offsets + 2 * s + range_offset
        for c in range(start, end + 1):
            (glyph,) = struct.unpack_from(">H", cmap, at + 2 * (c - start))
            if glyph:
                chars.add(c)
    return chars


def missing(text: str) -> list[str]:
    """The characters of text that no font of the set has, in order of first appearance.

    Each font's map is read when a character is still looked for: French text is all in
    the first (2 ms), where reading the set's 49 maps was 0.15 s of every card's check.
    """
    wanted = [c for c in dict.fromkeys(text)
              if not c.isspace() and unicodedata.category(c) not in SILENT]  # fmt: skip
    left = {ord(c) for c in wanted}
    for path in _fonts():
        if not left:
            break
        left -= chars_of(path)
    return [c for c in wanted if ord(c) in left]


def check_html(body: str, source_text: str, file: str, diag: Diagnostics) -> None:
    """Warn once per file about the characters of a rendered page no font can draw."""
    chars = missing(html.unescape(TAG.sub("", body)))
    if not chars:
        return
    line = next((n for n, text in enumerate(source_text.split("\n"), 1)
                 if any(c in text for c in chars)), None)  # fmt: skip
    names = ", ".join(f"{c} U+{ord(c):04X}" for c in chars[:SHOWN])
    more = f" and {len(chars) - SHOWN} more" if len(chars) > SHOWN else ""
    diag.warn(
        f"{len(chars)} character(s) no font of the set has ({names}{more}): "
        "they would print as empty boxes",
        file=file,
        line=line,
        hint="see the README's Fonts section for the scripts covered",
    )
