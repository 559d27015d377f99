"""Draw a labelled placeholder PNG for every screenshot a space's pages show but do not have.

    .venv/bin/python scripts/make_placeholders.py [SPACE] [--refresh]

A placeholder is written only where no file exists, so a real screenshot dropped into
.gitbook/assets/ under the same name is never overwritten. --refresh redraws the files this
script made before (recognised by a PNG text chunk), and only those.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

SIZE = (1200, 700)
MARK = "guideprint-placeholder"
TITLE = "Capture d’écran à fournir"  # noqa: RUF001 - French typographic apostrophe
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/noto")
FIGURE = re.compile(
    r'<figure><img src="(?P<src>[^"]+\.png)"[^>]*>'
    r"<figcaption>(?:<p>)?(?P<caption>.*?)(?:</p>)?</figcaption>"
)
GREY = {
    "bg": "#f1f1f1",
    "line": "#8c8c8c",
    "mark": "#a6a6a6",
    "title": "#505050",
    "text": "#303030",
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans (or Noto Sans) when installed, else Pillow's own font."""
    names = (
        ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf")
        if bold
        else ("DejaVuSans.ttf", "NotoSans-Regular.ttf")
    )
    for folder in FONT_DIRS:
        for name in names:
            if (Path(folder) / name).is_file():
                return ImageFont.truetype(str(Path(folder) / name), size)
    return ImageFont.load_default(size)


def dashed_rect(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    """A dashed border, the usual sign for 'something goes here'."""
    x0, y0, x1, y1 = box
    dash, gap, width = 26, 14, 5
    for x in range(x0, x1, dash + gap):
        for y in (y0, y1):
            draw.line([(x, y), (min(x + dash, x1), y)], fill=GREY["line"], width=width)
    for y in range(y0, y1, dash + gap):
        for x in (x0, x1):
            draw.line([(x, y), (x, min(y + dash, y1))], fill=GREY["line"], width=width)


def camera(draw: ImageDraw.ImageDraw, cx: int, cy: int) -> None:
    """A simple camera: body, viewfinder bump, lens."""
    c = GREY["mark"]
    draw.rounded_rectangle([cx - 40, cy - 62, cx + 40, cy - 38], radius=8, fill=c)
    draw.rounded_rectangle([cx - 110, cy - 48, cx + 110, cy + 82], radius=22, fill=c)
    draw.ellipse([cx - 52, cy - 35, cx + 52, cy + 69], fill=GREY["bg"])
    draw.ellipse([cx - 34, cy - 17, cx + 34, cy + 51], fill=c)
    draw.ellipse([cx + 72, cy - 34, cx + 92, cy - 14], fill=GREY["bg"])


def centred(draw: ImageDraw.ImageDraw, y: int, text: str, fnt: Font, fill: str) -> None:
    width = draw.textlength(text, font=fnt)
    draw.text(((SIZE[0] - width) / 2, y), text, font=fnt, fill=fill)


def wrap(draw: ImageDraw.ImageDraw, text: str, fnt: Font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=fnt) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines[:2]


def draw_placeholder(caption: str, name: str) -> Image.Image:
    """The placeholder image: grey box, dashed border, camera, title, caption, file name."""
    im = Image.new("RGB", SIZE, GREY["bg"])
    draw = ImageDraw.Draw(im)
    dashed_rect(draw, (14, 14, SIZE[0] - 15, SIZE[1] - 15))
    camera(draw, SIZE[0] // 2, 190)
    centred(draw, 320, TITLE, font(54, bold=True), GREY["title"])
    y = 410
    for line in wrap(draw, caption, font(40), SIZE[0] - 160):
        centred(draw, y, line, font(40), GREY["text"])
        y += 54
    centred(draw, 600, f".gitbook/assets/{name}", font(26), GREY["title"])
    return im.quantize(colors=16)


def is_placeholder(path: Path) -> bool:
    with Image.open(path) as im:
        return MARK in getattr(im, "text", {})


def wanted(space: Path) -> dict[Path, str]:
    """Screenshot files referenced by figures of the space's pages, with their captions."""
    found: dict[Path, str] = {}
    for page in sorted(space.rglob("*.md")):
        for m in FIGURE.finditer(page.read_text(encoding="utf-8")):
            src = html.unescape(m.group("src"))
            caption = html.unescape(re.sub(r"<[^>]+>", "", m.group("caption"))).strip()
            if not src.startswith(("http:", "https:")):
                found[(page.parent / src).resolve()] = caption or Path(src).stem
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("space", nargs="?", default="content", type=Path)
    parser.add_argument("--refresh", action="store_true", help="redraw earlier placeholders")
    args = parser.parse_args(argv)
    for path, caption in wanted(args.space).items():
        if path.exists() and not (args.refresh and is_placeholder(path)):
            continue
        info = PngImagePlugin.PngInfo()
        info.add_text(MARK, caption)
        path.parent.mkdir(parents=True, exist_ok=True)
        draw_placeholder(caption, path.name).save(path, optimize=True, pnginfo=info)
        sys.stdout.write(f"{path.name}: {path.stat().st_size // 1024} KB, “{caption}”\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
