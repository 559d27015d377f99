"""GitBook's `$$…$$` TeX typeset as a vector drawing, with no TeX installation.

ziamath (pure Python) turns the TeX into MathML (latex2mathml) and lays it out with the MATH
table of an OpenType math font, each glyph drawn as an SVG path: the PDF embeds no font for
math. That font is STIX Two Math 2.11 (SIL Open Font License 1.1), the file the pinned
ziamath wheel carries, named by its path in the package: the same bytes on every machine,
never a font the machine happens to have. (Debian's Noto Sans Math, of the font set, has no
MATH table; fonts-texgyre-math would be a system package more for no better page.)

A formula becomes an <img> of a data: SVG whose alt is its source: it is tagged as a
/Formula with that /Alt (weasy.py), so a screen reader of the PDF says the TeX; in a title,
the TOC draws it too, and the bookmarks and running header say its source (inline.py,
manual). Its width is in em, so it scales with the text around it; an inline formula is
padded to be centred on half the text's x-height, where CSS's `vertical-align: middle` puts
the centre of an image, so that its baseline sits on the text's. TeX the typesetter cannot
read (an unknown macro or environment, a missing argument, a character its font lacks) is
printed as its source, in monospace and the font set's faces, with the reason.
"""

from __future__ import annotations

import base64
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache, lru_cache
from html import escape
from importlib.resources import files
from typing import Any

# The em of the formulas, in ziamath's units: any size draws the same shapes, scaled; three
# decimals of 1/24 em are finer than a printer's dot at any text size.
SIZE = 24.0
MARGIN = 0.5  # around the ink, in those units: antialiased edges are not cut
# Half the x-height of the text font (Noto Sans: sxHeight 536 of 1000 units), in em: where
# `vertical-align: middle` puts an inline image's centre above the baseline.
MIDDLE = 0.268
# The formula's em to the text's: x-height to x-height (Noto Sans 536, STIX Two Math 473 of
# 1000 units), or a formula's letters look a size smaller than the words around them.
SCALE = 536 / 473
FONT = "STIXTwoMath-Regular.ttf"  # in the package ziamath.fonts
UNKNOWN = re.compile(r"^\\[A-Za-z]+")
ENVIRONMENT = re.compile(r"\\begin\s*\{([^}]*)\}")
# Environments ziamath rewrites before latex2mathml sees them (ziamath.tex.tex2mml).
REWRITTEN = frozenset({"aligned"})
KNOWN_HINT = "the typesetter knows LaTeX's own math commands, not a package's: write it with those"
HINTS = (("math not read", "check its braces and each command's arguments"),
         ("math not typeset", "remove the line break (\\\\) at its start or end"),
         ("math font has no", "write the words outside the formula"))  # fmt: skip


@dataclass(frozen=True)
class Formula:
    """A formula as HTML, and why it is printed as its source, when it is."""

    html: str
    problem: str | None = None
    hint: str = ""


@cache
def _ziamath() -> Any:
    """ziamath, imported on the first formula: 0.3 s (it reads its font at import)."""
    with warnings.catch_warnings():
        # ziamath 0.13 finds its font with importlib.resources.path, deprecated in 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath
    return ziamath


def font_path() -> str:
    """The math font's file: the one inside the pinned ziamath package."""
    return str(files("ziamath.fonts").joinpath(FONT))


@lru_cache(maxsize=4096)
def typeset(tex: str, display: bool) -> Formula:
    """The formula as an <img> of its SVG, or as its source with the reason; cached."""
    alt = " ".join(tex.split())
    problem = _unknown_environment(tex)
    svg: ET.Element | None = None
    if problem is None:
        try:
            math = _ziamath().Math.fromlatex(
                tex, size=SIZE, font=font_path(), inline=not display, margin=0
            )
            problem = _unknown_macro(math.mathml) or _missing(math) or _unmeasured(math)
            if problem is None:
                svg = math.svgxml()
        except Exception as exc:  # any TeX it cannot read (its errors share no base): the source
            problem = _reason(exc)
    if svg is None:
        hint = next((h for start, h in HINTS if (problem or "").startswith(start)), KNOWN_HINT)
        return Formula(f'<code class="math-source">{escape(alt)}</code>', problem, hint)
    width = _frame(svg, math, display)
    data = base64.b64encode(ET.tostring(svg, encoding="utf-8")).decode("ascii")
    kind = "math-display" if display else "math-inline"
    return Formula(
        f'<img class="math-svg {kind}" src="data:image/svg+xml;base64,{data}" '
        f'alt="{escape(alt)}" style="width: {width:.3f}em">'
    )


def _frame(svg: ET.Element, math: Any, display: bool) -> float:
    """Set the SVG's box around its ink (centred on MIDDLE when inline); its width in em."""
    box = math.node.bbox  # y upwards from the baseline, in SVG units (SIZE to the em)
    left, top = box.xmin - MARGIN, box.ymax + MARGIN
    width, height = box.xmax - box.xmin + 2 * MARGIN, box.ymax - box.ymin + 2 * MARGIN
    if not display:
        middle = MIDDLE / SCALE * SIZE
        half = max(box.ymax - middle, middle - box.ymin) + MARGIN
        top, height = middle + half, 2 * half
    svg.set("viewBox", f"{left:.3f} {-top:.3f} {width:.3f} {height:.3f}")
    svg.set("width", f"{width:.3f}")
    svg.set("height", f"{height:.3f}")
    return float(width / SIZE * SCALE)


def _unknown_environment(tex: str) -> str | None:
    from latex2mathml import commands

    known = {*commands.CONVERSION_MAP, *commands.MATRICES}
    for name in ENVIRONMENT.findall(tex):
        if name not in REWRITTEN and f"\\{name}" not in known:
            return f"unsupported math environment {name}"
    return None


def _unknown_macro(mathml: ET.Element) -> str | None:
    """latex2mathml keeps a command it does not know as text: "\\foo" drawn letter by letter."""
    for el in mathml.iter():
        if m := UNKNOWN.match((el.text or "").strip()):
            return f"unsupported math {m.group(0)}"
    return None


def _missing(math: Any) -> str | None:
    """Characters the math font has no glyph for (Hangul, Han in \\text{}): boxes, else."""
    lacking = {
        ch: None
        for el in math.mathml.iter()
        for ch in (el.text or "")
        if not ch.isspace() and math.font.glyphindex(ch) == 0
    }  # in reading order, each once
    return f"math font has no {''.join(lacking)}" if lacking else None


def _unmeasured(math: Any) -> str | None:
    """A box ziamath 0.13 got wrong: a line break first (`\\\\ x`) makes it 20,000 em high."""
    box = math.node.bbox
    width, height = box.xmax - box.xmin, box.ymax - box.ymin
    if 0 <= width < 200 * SIZE and 0 <= height < 50 * SIZE:
        return None
    return "math not typeset (its layout came out wrong: a line break where none is needed?)"


def _reason(exc: Exception) -> str:
    """latex2mathml's errors are classes without a message: their name says what is wrong."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(exc).__name__).lower()
    name = name.removesuffix(" error").replace("super script", "superscript")
    detail = str(exc).strip()
    return f"math not read ({name}{': ' + detail if detail else ''})"
