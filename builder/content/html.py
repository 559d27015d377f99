"""Post-process a rendered page as a tree: sanitise raw HTML, resolve images and links
inside the space, number headings, turn GitBook's HTML forms into print forms."""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING

import emoji
import tinyhtml5

from builder.content.model import Heading, page_anchor, slugify
from builder.images import check_image
from builder.i18n import words
from builder.typography import typeset

if TYPE_CHECKING:
    from builder.content.render import Context

Element = ET.Element

# Removed with their content: they run code, pull resources or make no sense on paper.
DANGEROUS = frozenset(
    {"script", "iframe", "object", "embed", "form", "button", "textarea", "select", "link",
     "style", "meta", "base", "frame", "frameset", "applet", "template", "noscript", "video",
     "audio", "source", "track", "portal", "dialog"}
)  # fmt: skip
SILENT = frozenset({"source", "select"})  # GitBook's own <picture> and table selects
NO_TEXT_FIX = frozenset({"code", "pre", "kbd", "samp", "script", "style"})
STYLE_OK = re.compile(r"^\s*(color|background-color|text-align|width)\s*:\s*[#\w.%() ,-]+\s*$")
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html")


def clean_url(url: str) -> str:
    """GitBook paths: HTML-unescaped, then URL-unquoted, angle brackets dropped."""
    url = unescape(url.strip())
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    return urllib.parse.unquote(url)


def finish(raw: str, ctx: Context) -> tuple[str, list[Heading]]:
    """Walk the rendered tree once; return the final HTML and the headings found."""
    doc = tinyhtml5.parse(f"<!DOCTYPE html><html><body>{raw}</body></html>",
                          namespace_html_elements=False)
    body = doc.find("body")
    assert body is not None
    walker = _Walker(ctx)
    walker.walk(body, ctx.source)
    html = (body.text or "") + "".join(
        ET.tostring(child, encoding="unicode", method="html") for child in body
    )
    return html, walker.headings


class _Walker:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.headings: list[Heading] = []
        self.ids: set[str] = set()

    def warn(self, message: str, source: Path, needle: str = "", hint: str | None = None) -> None:
        self.ctx.diag.warn(message, file=_rel(source, self.ctx), line=self.line_of(source, needle),
                           hint=hint)

    def line_of(self, source: Path, needle: str) -> int | None:
        text, first = self.ctx.sources.get(source, ("", 1))
        for candidate in (needle, urllib.parse.quote(needle), needle.replace("'", "&#x27;")):
            index = text.find(candidate) if candidate else -1
            if index >= 0:
                return first + text.count("\n", 0, index)
        return None

    def walk(self, parent: Element, source: Path) -> None:
        self.fix_text(parent, source)
        for child in list(parent):
            if not isinstance(child.tag, str):  # comments
                _remove(parent, child)
                continue
            src = child.attrib.pop("data-gp-src", None)
            here = Path(src) if src else source
            if child.tail:  # first: handlers may replace child and hand its tail over
                child.tail = self.text(child.tail, parent, source)
            if self.sanitise(parent, child, here):
                continue
            handler = getattr(self, f"on_{child.tag}", None)
            if handler is not None and handler(parent, child, here) is False:
                continue
            self.walk(child, here)

    def fix_text(self, element: Element, source: Path) -> None:
        if element.text:
            element.text = self.text(element.text, element, source)

    def text(self, text: str, element: Element, source: Path) -> str:
        if element.tag in NO_TEXT_FIX or "math" in element.get("class", ""):
            return text
        if ":" in text:
            text = emoji.emojize(text, language="alias")
        return typeset(text, self.ctx.lang)

    # -- safety ---------------------------------------------------------------------------

    def sanitise(self, parent: Element, el: Element, source: Path) -> bool:
        """Drop dangerous elements and attributes; True when el was removed."""
        tag = str(el.tag).lower()
        if tag in DANGEROUS:
            if tag not in SILENT:
                self.warn(f"<{tag}> removed (not allowed in printed content)", source, f"<{tag}")
            _remove(parent, el)
            return True
        for name, value in list(el.attrib.items()):
            low = name.lower()
            if low.startswith("on"):
                self.warn(f"event attribute {name} removed from <{tag}>", source, name)
                del el.attrib[name]
            elif low in ("href", "src", "srcset", "action", "xlink:href") and value.strip(
            ).lower().startswith(BAD_SCHEMES):
                self.warn(f"{name}='{value[:40]}' removed from <{tag}>", source, value[:20])
                del el.attrib[name]
            elif low == "style":
                self.clean_style(el, value, source)
        return False

    def clean_style(self, el: Element, value: str, source: Path) -> None:
        kept = [d for d in value.split(";") if d.strip() and STYLE_OK.match(d)]
        dropped = [d for d in value.split(";") if d.strip() and not STYLE_OK.match(d)]
        if dropped and any(k in value.lower() for k in ("url(", "@import", "expression")):
            self.warn("style attribute pulling a resource removed", source, value[:20])
        if kept:
            el.set("style", ";".join(kept))
        else:
            del el.attrib["style"]

    # -- elements -------------------------------------------------------------------------

    def on_img(self, parent: Element, el: Element, source: Path) -> bool:
        src = el.get("src", "")
        if el.get("data-size") == "line":
            _add_class(el, "inline-icon")
        if not el.get("alt"):
            el.set("alt", _caption_of(parent) or "")
        url = clean_url(src)
        if url.startswith("data:image/"):
            return False
        if re.match(r"https?://", url):
            if not self.ctx.allow_remote:
                self.warn(f"remote image not fetched: {url}", source, src,
                          hint="download it into .gitbook/assets, or pass --allow-remote")
                _replace(parent, el, self.placeholder(el, url, remote=True))
            return False
        path = resolve_local(url, self.ctx, self.line_of(source, src), what="image",
                             source=source)
        problem = check_image(path) if path is not None else "refused"
        if path is None or problem:
            if path is not None:
                self.warn(f"image {problem}: {url}", source, src)
            _replace(parent, el, self.placeholder(el, url, remote=False))
            return False
        el.set("src", path.as_uri())
        return False

    def placeholder(self, img: Element, url: str, *, remote: bool) -> Element:
        w = words(self.ctx.lang)
        label = w["remote_image"] if remote else w["missing_image"]
        name = img.get("alt") or Path(urllib.parse.urlsplit(url).path).name or url
        inline = "inline-icon" in img.get("class", "")
        box = Element("span", {"class": "missing-image" + (" inline" if inline else ""),
                               "role": "img", "aria-label": f"{label} : {name}"})
        box.text = "?" if inline else None
        if not inline:
            lab = ET.SubElement(box, "span", {"class": "missing-label"})
            lab.text = label
            nm = ET.SubElement(box, "span", {"class": "missing-name"})
            nm.text = name
        box.tail = img.tail
        return box

    def on_picture(self, parent: Element, el: Element, source: Path) -> bool:
        img = el.find("img")
        if img is None:
            _remove(parent, el)
            return False
        img.tail = el.tail
        _replace(parent, el, img)
        self.on_img(parent, img, source)
        return False

    def on_figure(self, parent: Element, el: Element, source: Path) -> None:
        cap = el.find("figcaption")
        if cap is not None:
            inner = cap.find("p")
            if inner is not None and len(cap) == 1:
                cap.text, cap[:] = inner.text, list(inner)
            if not "".join(cap.itertext()).strip():
                _remove(el, cap)
            elif el.find(".//img") is not None:
                _add_class(el, "captioned")

    def on_a(self, parent: Element, el: Element, source: Path) -> bool:
        href = el.get("href")
        if href is None:
            if el.get("id") and not "".join(el.itertext()).strip():
                _remove(parent, el)  # GitBook's empty anchor; the heading takes the id
                return False
            return True
        mention = "data-mention" in el.attrib or el.get("title") == "mention"
        el.attrib.pop("data-mention", None)
        if el.get("title") == "mention":
            del el.attrib["title"]
        if re.match(r"(https?|mailto|tel):", href):
            _add_class(el, "external")
            return True
        target = self.internal_target(href, source)
        if target is None:
            del el.attrib["href"]
            return True
        path, anchor = target
        el.set("href", "#" + anchor)
        _add_class(el, "internal")
        if mention and path in self.ctx.titles:
            el.text, el[:] = self.ctx.titles[path], []
        return True

    def internal_target(self, href: str, source: Path) -> tuple[str, str] | None:
        url, _, fragment = clean_url(href).partition("#")
        if not url:
            return "", _heading_id(page_anchor(_rel(source, self.ctx)), fragment)
        path = resolve_local(url, self.ctx, self.line_of(source, href), what="link",
                             source=source, must_exist=False)
        if path is None:
            return None
        if path.is_dir():
            path = path / "README.md"
        rel = path.relative_to(self.ctx.root).as_posix()
        if rel not in self.ctx.titles:
            if self.ctx.titles and rel.endswith(".md"):
                self.warn(f"link to a page that is not in the document: {url}", source, href)
            return None
        base = page_anchor(rel)
        return rel, _heading_id(base, fragment) if fragment else base

    def on_input(self, parent: Element, el: Element, source: Path) -> bool:
        if el.get("type") == "checkbox":
            box = Element("span", {"class": "task-box" + (" checked" if "checked" in el.attrib
                                                          else ""), "aria-hidden": "true"})
            box.tail = el.tail
            _replace(parent, el, box)
        else:
            self.warn("<input> removed", source, "<input")
            _remove(parent, el)
        return False

    def on_details(self, parent: Element, el: Element, source: Path) -> None:
        el.tag, el.attrib = "div", {"class": "details"}

    def on_summary(self, parent: Element, el: Element, source: Path) -> None:
        el.tag, el.attrib = "p", {"class": "details-summary"}

    def on_p(self, parent: Element, el: Element, source: Path) -> None:
        if el.attrib.pop("align", None) == "center":
            _add_class(el, "center")
        if len(el) == 1 and not (el.text or "").strip() and not (el[0].tail or "").strip():
            if "math" in el[0].get("class", ""):
                el.tag = "div"
                _add_class(el, "math-block")

    def on_table(self, parent: Element, el: Element, source: Path) -> None:
        view = el.attrib.pop("data-view", None)
        hidden = [i for i, th in enumerate(el.iter("th")) if "data-hidden" in th.attrib]
        for row in el.iter("tr"):
            cells = [c for c in row if c.tag in ("td", "th")]
            for i in sorted(hidden, reverse=True):
                if i < len(cells):
                    row.remove(cells[i])
        if view == "cards":
            _add_class(el, "cards-table")
        for key in [k for k in el.attrib if k.startswith("data-")]:
            del el.attrib[key]

    def on_heading(self, parent: Element, el: Element, source: Path) -> None:
        custom = next((a.get("id") for a in el.iter("a") if a.get("id")), None)
        title = "".join(el.itertext()).strip()
        base = page_anchor(_rel(source, self.ctx)) if source != self.ctx.source else self.ctx.anchor
        anchor = _heading_id(base, custom or slugify(title))
        while anchor in self.ids:
            anchor += "-1"
        self.ids.add(anchor)
        el.set("id", anchor)
        self.headings.append(Heading(int(str(el.tag)[1]), title, anchor))

    on_h1 = on_h2 = on_h3 = on_h4 = on_h5 = on_h6 = on_heading

    def on_i(self, parent: Element, el: Element, source: Path) -> None:
        if el.get("class", "").startswith("fa-"):
            del el.attrib["class"]  # Font Awesome is not embedded; the :shortcode: text is


def resolve_local(
    url: str,
    ctx: Context,
    line: int | None,
    *,
    what: str,
    source: Path | None = None,
    must_exist: bool = True,
) -> Path | None:
    """Resolve a relative path inside the space; warn and return None otherwise."""
    source = source or ctx.source
    rel = _rel(source, ctx)
    if re.match(r"[a-zA-Z][\w+.-]*:", url):
        ctx.diag.warn(f"{what} '{url}' refused: only files of the space are read", file=rel,
                      line=line)
        return None
    base = ctx.root if url.startswith("/") else source.parent
    path = (base / url.lstrip("/")).resolve()
    if not path.is_relative_to(ctx.root):
        ctx.diag.warn(f"{what} '{url}' refused: it points outside the space", file=rel,
                      line=line, hint="keep files inside the space (e.g. .gitbook/assets)")
        return None
    if must_exist and not path.exists():
        ctx.diag.warn(f"{what} not found: {url}", file=rel, line=line,
                      hint="add the file, or fix the path")
        return None
    return path


def read_text(path: Path, ctx: Context, line: int | None) -> str | None:
    """Read an included file as UTF-8, or warn."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        ctx.diag.error(f"included file is not UTF-8: {_rel(path, ctx)}", file=_rel(ctx.source, ctx),
                       line=line, hint="run 'guideprint import' on it, or save it as UTF-8")
    except OSError as exc:
        ctx.diag.error(f"cannot read include {_rel(path, ctx)}: {exc.strerror}",
                       file=_rel(ctx.source, ctx), line=line)
    return None


def _heading_id(base: str, fragment: str) -> str:
    return f"{base}--{slugify(fragment)}" if fragment else base


def _rel(path: Path, ctx: Context) -> str:
    try:
        return path.relative_to(ctx.root).as_posix()
    except ValueError:
        return path.name


def _caption_of(parent: Element) -> str:
    if parent.tag == "figure":
        cap = parent.find("figcaption")
        if cap is not None:
            return "".join(cap.itertext()).strip()
    return ""


def _add_class(el: Element, name: str) -> None:
    classes = el.get("class", "").split()
    if name not in classes:
        el.set("class", " ".join([*classes, name]))


def _remove(parent: Element, child: Element) -> None:
    """Remove child, keeping the text that follows it."""
    tail = child.tail
    index = list(parent).index(child)
    parent.remove(child)
    if tail:
        if index > 0:
            prev = parent[index - 1]
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _replace(parent: Element, old: Element, new: Element) -> None:
    index = list(parent).index(old)
    parent.remove(old)
    parent.insert(index, new)
