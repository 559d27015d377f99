"""The peers on the same text: pandoc -> WeasyPrint, and Typst on an equivalent document.

The text is the space's pages concatenated in SUMMARY order. For Typst it is converted
line by line (headings, lists, paragraphs, bold, links, figures and inline icons): a simple
document with an outline and page numbers, what a user would write by hand in Typst.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
LINK = re.compile(r"\]\(([^)#]+\.md)[^)]*\)")
FIGURE = re.compile(r'<figure>\s*<img src="([^"]+)"[^>]*>.*?<p>(.*?)</p>.*?</figure>', re.S)
INLINE_IMG = re.compile(r'<img src="([^"]+)"[^>]*>')
TAG = re.compile(r"<[^>]+>|\{%[^%]*%\}")
MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
SPECIAL = re.compile(r"([\\#$@<>_*`\[\]~])")


def summary_pages(space: Path) -> list[Path]:
    """The space's pages in SUMMARY order, each once."""
    text = (space / "SUMMARY.md").read_text(encoding="utf-8")
    names = dict.fromkeys(m.group(1) for m in LINK.finditer(text))
    return [space / name for name in names if (space / name).is_file()]


def concatenated(space: Path) -> str:
    """Every page of the space (front matter removed), one after the other."""
    texts = (FRONT_MATTER.sub("", p.read_text(encoding="utf-8")) for p in summary_pages(space))
    return "\n\n".join(texts)


def to_typst(markdown: str, space: Path, title: str) -> str:
    """A Typst document equivalent to the Markdown (layout aside): outline, numbered pages."""
    head = [
        '#set page(paper: "a4", margin: 2cm, numbering: "1")',
        '#set text(font: "Noto Sans", size: 10.5pt, lang: "fr")',
        "#set heading(numbering: none)",
        "#show heading.where(level: 1): it => { pagebreak(weak: true); it }",
        f"#align(center)[#text(size: 24pt)[{_escape(title)}]]",
        "#outline(depth: 2)",
    ]
    body = [_line(line, space) for line in markdown.splitlines()]
    return "\n".join(head + body) + "\n"


def _line(line: str, space: Path) -> str:
    figure = FIGURE.search(line)
    if figure:
        src, caption = figure.groups()
        return (
            f'#figure(image("{_path(space, src)}", width: 60%), '
            f"caption: [{_inline(caption, space)}])"
        )
    stripped = line.strip()
    heading = re.match(r"(#{1,6})\s+(.*)", stripped)
    if heading:
        return "=" * len(heading.group(1)) + " " + _inline(heading.group(2), space)
    item = re.match(r"(\s*)(?:[*-]\s+(?:\[[ x]\]\s+)?|\d+\.\s+)(.*)", line)
    if item:
        marker = "+" if re.match(r"\s*\d+\.", line) else "-"
        return f"{item.group(1)}{marker} {_inline(item.group(2), space)}"
    return _inline(line, space)


def _inline(text: str, space: Path) -> str:
    icons: list[str] = []

    def icon(match: re.Match[str]) -> str:
        icons.append(f'#box(image("{_path(space, match.group(1))}", height: 1em))')
        return f"\x00{len(icons) - 1}\x00"

    links: list[tuple[str, str]] = []

    def link(match: re.Match[str]) -> str:
        links.append((match.group(1), match.group(2)))
        return f"\x01{len(links) - 1}\x01"

    text = INLINE_IMG.sub(icon, text)
    text = MD_LINK.sub(link, text)
    text = html.unescape(TAG.sub("", text))
    text = _escape(text)
    text = BOLD.sub(r"*\1*", text.replace(r"\*\*", "**"))
    text = re.sub("\x00(\\d+)\x00", lambda m: icons[int(m.group(1))], text)
    return re.sub("\x01(\\d+)\x01", lambda m: _link(*links[int(m.group(1))]), text)


def _link(label: str, target: str) -> str:
    if target.startswith(("http://", "https://", "mailto:")):
        return f'#link("{target}")[{_escape(label)}]'
    return _escape(label)  # a page of the guide: plain text, as the peers would print it


def _escape(text: str) -> str:
    return SPECIAL.sub(r"\\\1", text)


def _path(space: Path, src: str) -> str:
    return "/" + str((space / src).resolve()).lstrip("/")
