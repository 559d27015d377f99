"""Characters no font of the set can draw, found from the fonts' character maps before any
rendering: a warning with the file and line, not empty boxes on paper.

WeasyPrint draws a character no font has as a box (.notdef) and says nothing; the check runs
where the pages and cards are read, so `check` and `build` report the same.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from builder.diagnostics import Diagnostics

TAG = re.compile(r"<[^>]*>")
# Invisible or joining characters the shaper uses without a glyph of their own.
SILENT = frozenset({"Cc", "Cf", "Mn", "Me", "Zl", "Zp"})
SHOWN = 5  # characters named in one warning


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Every code point some font of the set maps (0.1 s for the whole set, once a process)."""
    from fontTools.ttLib import TTFont

    from builder.fonts import font_files

    found: set[int] = set()
    for path in font_files():
        with TTFont(path, lazy=True) as font:
            found |= set(font["cmap"].getBestCmap() or {})
    return frozenset(found)


def missing(text: str) -> list[str]:
    """The characters of text that no font of the set has, in order of first appearance."""
    have = covered()
    seen: dict[str, None] = {}
    for char in text:
        if ord(char) not in have and char not in seen and not char.isspace():
            if unicodedata.category(char) not in SILENT:
                seen[char] = None
    return list(seen)


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
