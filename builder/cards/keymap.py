"""The key-map layout's parts: a device drawing, numbered callouts on it, and their legend.

A key-map card (`layout: keymap`) names a `drawing` (SVG or PNG, relative to the card file)
and its `callouts`, each `{x, y}` in % of the drawing's width and height, numbered in
order. The legend is the first numbered list of the card's front: one line per callout,
checked here, so a callout never points at nothing and a line never describes no callout.
No rendering here: `check` reads every card with this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from builder.errors import ConfigError, ContentError
from builder.gate import current

KEYMAP = "keymap"  # the layout that shows a drawing with numbered callouts
DRAWING_TYPES = (".svg", ".png")
SVG_SIZE = re.compile(
    rb"<svg\b[^>]*?\bviewBox\s*=\s*[\"']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)"
)
SVG_TITLE = re.compile(rb"<title\b[^>]*>([^<]{1,200})</title>")
LIST_TAG = re.compile(r"<(/?)(ol|ul|li)\b([^>]*)>", re.IGNORECASE)
START = re.compile(r"""\bstart\s*=\s*["']?\s*(-?\d+)""", re.IGNORECASE)
LEGEND_CLASS = "legend"

Error = Callable[..., ConfigError]  # (key, message, hint=None) -> an error naming its line


@dataclass(frozen=True)
class Callout:
    """A numbered circle on a key-map drawing, centred at x %, y % of the drawing."""

    number: int
    x: float
    y: float
    line: int | None  # the front matter line of `callouts`, for the messages


@dataclass(frozen=True)
class Drawing:
    """The device drawing of a key-map card, with its proportions and its text alternative."""

    path: Path
    width: float  # intrinsic units (SVG viewBox, PNG pixels): only the ratio counts
    height: float
    alt: str  # the SVG's <title>; else the given default

    @property
    def ratio(self) -> float:
        """Height over width."""
        return self.height / self.width


def read_drawing(path: Path, default_alt: str) -> Drawing:
    """A checked drawing's proportions and text alternative, read through the gate."""
    data = current().read_bytes(path, what="image")
    width, height = proportions(path, data)
    title = svg_title(data) if path.suffix.lower() == ".svg" else ""
    return Drawing(path, width, height, title or default_alt)


def proportions(path: Path, data: bytes) -> tuple[float, float]:
    """An image's width and height in its own units: an SVG's viewBox, a PNG's pixels."""
    width, height = 4.0, 3.0  # an SVG without a viewBox: drawn at this ratio
    if path.suffix.lower() == ".svg":
        size = SVG_SIZE.search(data[:4096])
        if size:
            width, height = (float(v) for v in size.groups())
    else:
        with current().open_image(path) as image:
            width, height = float(image.width), float(image.height)
    return (width, height) if width > 0 and height > 0 else (4.0, 3.0)


def svg_title(data: bytes) -> str:
    """The <title> of an SVG file (its text alternative), or ""."""
    found = SVG_TITLE.search(data[:8192])
    return html.unescape(found.group(1).decode("utf-8", "replace")).strip() if found else ""


def parse_callouts(items: object, line: int | None, error: Error) -> tuple[Callout, ...]:
    """The `callouts` list of the front matter, each {x: %, y: %}, numbered from 1."""
    if not isinstance(items, list) or not items:
        raise error(
            "callouts",
            f"layout '{KEYMAP}' needs 'callouts': a list of {{x: %, y: %}}",
            "e.g. callouts: [{x: 12, y: 40}, {x: 30, y: 40}]",
        )
    return tuple(_callout(n, item, line, error) for n, item in enumerate(items, 1))


def _callout(number: int, item: object, line: int | None, error: Error) -> Callout:
    bad = error(
        "callouts",
        f"callout {number} must be {{x: %, y: %}}, each from 0 to 100",
        "x from the drawing's left edge, y from its top, in % of its width and height",
    )
    if not isinstance(item, dict) or set(item) != {"x", "y"}:
        raise bad
    x, y = item["x"], item["y"]
    for v in (x, y):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100:
            raise bad
    return Callout(number, float(x), float(y), line)


def mark_legend(body: str, callouts: tuple[Callout, ...], file: str) -> str:
    """The front's HTML with its legend (its first numbered list) marked; one line each.

    Raises ContentError when there is no numbered list, when it does not start at 1, or
    when its lines and the callouts are not as many.
    """
    line = callouts[0].line if callouts else None
    tag = next((m for m in LIST_TAG.finditer(body) if m.group(2).lower() == "ol"), None)
    if tag is None or tag.group(1):
        raise ContentError(
            f"{len(callouts)} callouts and no legend",
            file=file,
            line=line,
            hint="write the legend as a numbered list on the front: '1. **Secret** ...'",
        )
    start = START.search(tag.group(3))
    if start and int(start.group(1)) != 1:
        raise ContentError(
            f"the legend starts at {start.group(1)}, its callouts at 1", file=file, line=line
        )
    items = _items(body, tag.end())
    if items != len(callouts):
        first = min(items, len(callouts)) + 1
        what = (
            f"callout {first} has no legend line"
            if items < len(callouts)
            else (f"legend line {first} has no callout")
        )
        raise ContentError(
            f"{what}: {len(callouts)} callout(s), {items} legend line(s)",
            file=file,
            line=line,
            hint="one line of the front's first numbered list per callout, in the same order",
        )
    attrs = tag.group(3)
    if re.search(r"\bclass\s*=", attrs, re.IGNORECASE):
        attrs = re.sub(r"""\bclass\s*=\s*(["'])""", rf"class=\1{LEGEND_CLASS} ", attrs, count=1)
    else:
        attrs = f' class="{LEGEND_CLASS}"{attrs}'
    return f"{body[: tag.start()]}<ol{attrs}>{body[tag.end() :]}"


def _items(body: str, start: int) -> int:
    """How many items the list opened just before `start` has (nested lists not counted)."""
    depth, count = 0, 0
    for m in LIST_TAG.finditer(body, start):
        closing, name = m.group(1), m.group(2).lower()
        if name in ("ol", "ul"):
            if closing and depth == 0:
                return count
            depth += -1 if closing else 1
        elif name == "li" and not closing and depth == 0:
            count += 1
    return count
