"""Post-process a rendered page as a tree: sanitise raw HTML, resolve images and links
inside the space, number headings, turn GitBook's HTML forms into print forms.

One walk over the tree, in document order. Elements dispatch to `on_<tag>` handlers here
or in media.py, tables.py, codeblocks.py; sanitize.py decides what raw HTML may stay.
"""

from __future__ import annotations

import bisect
import io
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Collection
from html import escape
from pathlib import Path

import emoji
import tinyhtml5

from builder.content import codeblocks, elements, media, tables
from builder.content.context import Context, rel_path
from builder.content.links import clean_url, read_text, resolve_local
from builder.content.markdown import LINE_ATTR, LINE_COMMENT, SRC_ATTR
from builder.content.model import Heading, anchor_slug, page_anchor
from builder.content.sanitize import add_class, local_names, remove, remove_all, sanitise
from builder.gate import current
from builder.typography import typeset

__all__ = ["Walker", "clean_url", "finish", "read_text", "resolve_local"]

Element = ET.Element
RAW = frozenset({"code", "pre", "kbd", "samp", "var", "script", "style"})
FOREIGN = frozenset({"svg", "math"})
MAX_DEPTH = 64
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
Handler = Callable[["Walker", Element, Element, Path], None]
TINYHTML5_CHECKED = "2.1.0"
# An image the Markdown parser left as text: ![](image.png>), ![alt](a b.png)
BROKEN_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")


class _CharacterRuns(dict[tuple[Collection[str], bool], re.Pattern[str]]):
    """tinyhtml5's cache of `chars_until` patterns, filled under the key it looks up.

    Its own code stores each pattern under the pattern itself (`characters = cache[key] =`
    rebinds characters first), so every call builds its pattern again: 60% of parsing a
    2 MB page (13 s, 5 s with this). Same patterns, so the same tree.
    """

    def __missing__(self, key: tuple[Collection[str], bool]) -> re.Pattern[str]:
        characters, opposite = key
        regex = "".join([f"\\x{ord(character):02x}" for character in characters])
        self[key] = pattern = re.compile(f"[{regex}]+" if opposite else f"[^{regex}]+")
        return pattern


if tinyhtml5.__version__ == TINYHTML5_CHECKED:  # another version runs unpatched, slower
    tinyhtml5.inputstream.characters_until_regex = _CharacterRuns()


def finish(raw: str, ctx: Context) -> tuple[str, list[Heading]]:
    """Walk the rendered tree once; return the final HTML and the headings found."""
    # A stream, not a str: tinyhtml5 takes a str under 200 characters for a file name to
    # read (and fails on one too long for the file system).
    source = io.StringIO(f"<!DOCTYPE html><html><body>{raw}</body></html>")
    doc = tinyhtml5.parse(source, namespace_html_elements=False)
    body = doc.find("body")
    assert body is not None
    if _flatten_deep(body):
        ctx.diag.warn(
            f"HTML nested more than {MAX_DEPTH} elements deep: the deepest part kept as text",
            file=ctx.rel,
        )
    walker = Walker(ctx)
    walker.walk(body, ctx.source)
    _drop_empty_paragraphs(body)
    html = (body.text or "") + "".join(
        ET.tostring(child, encoding="unicode", method="html") for child in body
    )
    return html.strip() + "\n", walker.headings


class Walker:
    """The state of one walk: where in the source we are, ids given, headings found."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.headings: list[Heading] = []
        self.ids: set[str] = set()
        self.lines: dict[Path, int] = {}  # the source line of the current block, per file
        self.raw = 0  # > 0 inside code, where text is printed as written
        self.foreign = 0  # > 0 inside <svg>/<math>
        self._starts: dict[Path, list[int]] = {}  # offsets of each source's lines
        self.at: int | None = None  # the index of the element visited in its parent

    # -- where ---------------------------------------------------------------------------

    def rel(self, source: Path) -> str:
        return rel_path(source, self.ctx.root)

    def warn(self, message: str, source: Path, needle: str = "", hint: str | None = None) -> None:
        self.ctx.diag.warn(
            message, file=self.rel(source), line=self.line_of(source, needle), hint=hint
        )

    def line_of(self, source: Path, needle: str) -> int | None:
        """The line of needle at or just after the current block, else the block's line."""
        text, first = self.ctx.sources.get(source, ("", 1))
        current = self.lines.get(source)
        if not needle:
            return current
        # Offsets computed once per source: scanning from the top on every link and image
        # made a 1 MB page take 40 s.
        starts = self._starts.get(source)
        if starts is None:
            starts = self._starts[source] = _line_starts(text)
        at = current - first if current else 0
        end = len(text)
        if 0 <= at < len(starts) - 1:  # only the next 40 lines can match: search no further
            end = starts[min(at + 41, len(starts) - 1)] if current is not None else end
        else:
            at = 0
        for candidate in _spellings(needle):
            index = text.find(candidate, starts[at], end + len(candidate))
            if index >= 0:
                line = first + bisect.bisect_right(starts, index) - 1
                if current is None or line - current <= 40:
                    return line
        return current

    # -- the walk ------------------------------------------------------------------------

    def walk(self, parent: Element, source: Path) -> None:
        if parent.text and not self.raw:
            self.check_text(parent.text, source)
            parent.text = self.text(parent.text)
        # Children are found by index and comments removed in one pass at the end: a
        # search (or a removal) per child made a page of thousands of blocks quadratic.
        comments: list[Element] = []
        expected = 0  # where the next child should be: after this one, or in its place
        for child in list(parent):
            at = _position(parent, child, expected)
            expected = expected if at is None else at + 1
            if not isinstance(child.tag, str):  # comments: line markers, or the author's
                self.marker(child, source)
                comments.append(child)
                continue
            local_names(child)
            here = Path(src) if (src := child.attrib.pop(SRC_ATTR, None)) else source
            if (line := child.attrib.pop(LINE_ATTR, None)) is not None and line.isdigit():
                self.lines[here] = int(line)
            for forged in [k for k in child.attrib if k.startswith("data-gp-")]:
                del child.attrib[forged]
            if "id" in child.attrib and child.tag not in HEADINGS:
                self.unique_id(child)
            if child.tail and not self.raw:
                self.check_text(child.tail, source)
                child.tail = self.text(child.tail)
            self.at = at
            self.visit(parent, child, here)
        if comments:
            remove_all(parent, comments)

    def visit(self, parent: Element, el: Element, source: Path) -> None:
        tag, at = str(el.tag).lower(), self.at
        if sanitise(self, parent, el, source, svg=self.foreign > 0):
            return
        handler = HANDLERS.get(tag)
        if handler is not None and not self.foreign:
            handler(self, parent, el, source)
            if _position(parent, el, at, near=True) is None and el.tag != "pre":
                return  # replaced (an image by its placeholder): nothing left to walk
        raw, foreign = tag in RAW or "math" in el.get("class", "").split(), tag in FOREIGN
        self.raw += raw
        self.foreign += foreign
        self.walk(el, source)
        self.raw -= raw
        self.foreign -= foreign

    def unique_id(self, el: Element) -> None:
        """An author's id, made unique in the document like a link to it (#id) will be."""
        anchor = _heading_id(self.ctx.anchor, el.get("id", ""))
        while anchor in self.ids:
            anchor += "-1"
        self.ids.add(anchor)
        el.set("id", anchor)

    def marker(self, comment: Element, source: Path) -> None:
        text = comment.text or ""
        if text.startswith(LINE_COMMENT) and text[len(LINE_COMMENT) :].isdigit():
            self.lines[source] = int(text[len(LINE_COMMENT) :])

    def check_text(self, text: str, source: Path) -> None:
        """Markdown that did not parse and would print as it is written."""
        if "![" not in text:
            return
        for m in BROKEN_IMAGE.finditer(text):
            self.warn(
                f"malformed image {m.group(0)} printed as text",
                source,
                m.group(0),
                hint="write ![alt](path.png), with <…> around a path holding spaces",
            )

    def text(self, text: str) -> str:
        if ":" in text:
            text = emoji.emojize(text, language="alias")
        return typeset(text, self.ctx.lang)


def _line_starts(text: str) -> list[int]:
    """The offset of each line of text, and one past its end."""
    return [0, *(m.end() for m in re.finditer("\n", text)), len(text) + 1]


def _spellings(needle: str) -> list[str]:
    """The ways a path found in the tree may be written in the source."""
    if not needle:
        return []
    plain = urllib.parse.unquote(needle)
    return list(dict.fromkeys(
        [needle, plain, urllib.parse.quote(plain), plain.replace("'", "&#x27;"),
         escape(plain, quote=False), plain.replace("&", "&#x26;")]
    ))  # fmt: skip


# -- elements ----------------------------------------------------------------------------


def on_a(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Links: external ones kept, links to pages become #anchors, the rest are unlinked."""
    href = el.get("href")
    if "footnote-backref" in el.get("class", "").split():
        remove(parent, el, w.at)  # "back to the text": a screen's convenience
        return
    if href is None:
        return
    mention = "data-mention" in el.attrib or el.get("title") == "mention"
    el.attrib.pop("data-mention", None)
    if el.get("title") == "mention":
        del el.attrib["title"]
    if re.match(r"(https?|mailto|tel):", href, re.I):
        add_class(el, "external")
        if "".join(el.itertext()).strip() in (href, href.removeprefix("mailto:")):
            add_class(el, "bare")
        return
    target = internal_target(w, href, source)
    if target is None:
        del el.attrib["href"]
        return
    path, anchor = target
    el.set("href", "#" + anchor)
    add_class(el, "internal")
    if mention and path in w.ctx.titles:
        el.text, el[:] = w.ctx.titles[path], []


def internal_target(w: Walker, href: str, source: Path) -> tuple[str, str] | None:
    """(page path, document id) of a link inside the space, or None (with a warning)."""
    url, _, fragment = clean_url(href).partition("#")
    if not url:  # "#section" of this page (an included file's headings are the page's)
        return w.rel(w.ctx.source), _heading_id(w.ctx.anchor, fragment)
    path = resolve_local(
        url, w.ctx, w.line_of(source, href), what="link", source=source, must_exist=False
    )
    if path is None:
        return None
    folder = path.is_dir() or url.endswith("/")
    rel = rel_path(path / "README.md" if folder else path, w.ctx.root)
    if folder and rel not in w.ctx.titles:  # a folder's page may be readme.md, Readme.md
        rel = next((t for t in w.ctx.titles if t.lower() == rel.lower()), rel)
    if rel not in w.ctx.titles:
        if w.ctx.titles and rel.endswith(".md"):
            w.warn(
                f"link to a page that is not in the document: {url}",
                source,
                href,
                hint="add the page to SUMMARY.md, or fix the link",
            )
        elif current().kind(path) not in ("file", "dir"):
            w.warn(f"link to a missing file: {url}", source, href, hint="fix the path")
        return None
    base = page_anchor(rel)
    return rel, _heading_id(base, fragment) if fragment else base


def on_heading(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Give a heading a document-unique id (its custom anchor, else its slug)."""
    anchors = [a for a in el.iter("a") if a.get("id") and not "".join(a.itertext()).strip()]
    custom = anchors[0].get("id") if anchors else el.get("id")
    for a in anchors:
        holder = next(p for p in el.iter() if a in list(p))
        remove(holder, a)
    _strip_end(el)
    title = " ".join("".join(el.itertext()).split())
    if not title and el.find(".//img") is None:
        w.warn("empty heading left out", source, hint="write its title, or remove the line")
        remove(parent, el, w.at)
        return
    anchor = _heading_id(w.ctx.anchor, custom or anchor_slug(title))
    if ":" in title:  # its text is converted after it; the TOC prints this copy
        title = emoji.emojize(title, language="alias")
    while anchor in w.ids:
        anchor += "-1"
    w.ids.add(anchor)
    el.set("id", anchor)
    w.headings.append(Heading(int(str(el.tag)[1]), title, anchor))


def _strip_end(el: Element) -> None:
    """Drop the space GitBook leaves before a heading's anchor."""
    last = el[-1] if len(el) else None
    if last is not None:
        last.tail = (last.tail or "").rstrip() or None
    elif el.text:
        el.text = el.text.rstrip()


def _flatten_deep(body: Element) -> bool:
    """Replace what lies deeper than MAX_DEPTH by its text (the walk is recursive)."""
    flattened = False
    stack = [(body, 0)]
    while stack:
        el, depth = stack.pop()
        if depth >= MAX_DEPTH and len(el):
            el.text, el[:] = "".join(el.itertext()), []
            flattened = True
            continue
        stack.extend((child, depth + 1) for child in el)
    return flattened


def _heading_id(base: str, fragment: str) -> str:
    return f"{base}--{anchor_slug(fragment)}" if fragment else base


def _drop_empty_paragraphs(body: Element) -> None:
    for parent in list(body.iter()):
        empty = [c for c in parent if c.tag == "p" and not len(c) and not (c.text or "").strip()]
        if empty:
            remove_all(parent, empty)


def _position(parent: Element, child: Element, at: int | None, near: bool = False) -> int | None:
    """child's index in parent, looked for at `at` and beside it first; None if not there.

    With near, only there: a handler keeps its element where it is, replaces it or
    removes it (sanitize.replace, sanitize.remove), so it cannot be further away.
    """
    if at is not None:
        for index in (at, at - 1, at + 1):
            if 0 <= index < len(parent) and parent[index] is child:
                return index
        if near:
            return None
    return next((i for i, c in enumerate(parent) if c is child), None)


HANDLERS: dict[str, Handler] = {
    "a": on_a, "img": media.on_img, "picture": media.on_picture, "figure": media.on_figure,
    "table": tables.on_table, "pre": codeblocks.on_pre, "input": elements.on_input,
    "details": elements.on_details, "summary": elements.on_summary, "p": elements.on_p,
    "i": elements.on_i, "span": elements.on_span, "code": elements.on_code,
    "div": elements.on_div, "mark": elements.on_mark,
    **{f"h{n}": on_heading for n in range(1, 7)},
}  # fmt: skip
