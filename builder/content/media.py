"""Images in every form GitBook writes: resolved inside the space, checked with Pillow,
or replaced by a visible labelled placeholder (missing, broken, remote, refused)."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from builder.content.links import clean_url, is_remote, resolve_local
from builder.content.sanitize import add_class, remove, replace
from builder.gate import current
from builder.i18n import words
from builder.images import check_image

if TYPE_CHECKING:
    from builder.content.walking import Walker

Element = ET.Element
SIZES = {"line": "inline-icon", "original": "original-size"}
REMOTE_HINT = "download it into .gitbook/assets, or pass --allow-remote"


def on_img(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Point the image at its file in the space, or replace it with a placeholder."""
    if "src" not in el.attrib:  # none written, or a javascript: one removed (and warned)
        remove(parent, el, w.at)
        return
    src = el.get("src", "")
    el.attrib.pop("srcset", None)  # print takes the plain src; srcset could fetch
    size = el.attrib.pop("data-size", None)
    if size in SIZES:
        add_class(el, SIZES[size])
    caption = _caption_of(parent)
    # alt="" is how a writer says an image is decorative; no alt at all says nothing
    unsaid = "alt" not in el.attrib and not caption and "inline-icon" not in el.get("class", "")
    if not el.get("alt"):
        el.set("alt", caption)
    url = clean_url(src)
    if url[-1:] == ">" or url[:1] == "<":
        # ![](image.png>): one angle bracket of the pair that allows spaces in a path
        w.warn(
            f"malformed image path '{url}': read as {url.strip('<>')}",
            source,
            src,
            hint="write ![alt](<path with spaces.png>) or ![alt](path.png)",
        )
        url = url.strip("<>")
    if not url:
        w.warn("image without a source removed", source, "<img")
        remove(parent, el, w.at)
        return
    if url.startswith("data:image/"):
        _check_alt(w, unsaid, source, "<img")
        return
    if is_remote(url):
        if not w.ctx.allow_remote:
            if w.ctx.remote is not None:  # the space says it once, for all of them
                w.ctx.remote.append((w.rel(source), w.line_of(source, src), url))
            else:
                w.warn(f"remote image not fetched: {url}", source, src, hint=REMOTE_HINT)
            box = placeholder(w, parent, el, url, remote=True, captioned=bool(caption))
            replace(parent, el, box, w.at)
        else:
            _check_alt(w, unsaid, source, src)
        return
    line = w.line_of(source, src)
    path = resolve_local(url, w.ctx, line, what="image", source=source)
    is_file = path is not None and current().is_file(path)
    problem = check_image(path) if path is not None and is_file else None
    if path is not None and not is_file:
        problem = "is a folder, not an image"
    if problem:
        w.ctx.diag.warn(f"image {url} {problem}", file=w.rel(source), line=line)
    if path is None or problem:
        box = placeholder(w, parent, el, url, remote=False, captioned=bool(caption))
        replace(parent, el, box, w.at)
        return
    el.set("src", path.as_uri())
    where = f"{w.rel(source)}:{line}" if line else w.rel(source)
    w.ctx.images[path.as_uri()] = (where, url)  # the renderer's warnings name it so
    _check_alt(w, unsaid, source, src)


def _check_alt(w: Walker, unsaid: bool, source: Path, needle: str) -> None:
    """An image printed without any alt attribute: a reader of the tagged PDF gets nothing."""
    if unsaid:
        w.warn(
            "image without alt text",
            source,
            needle,
            hint='describe it in alt="…", or write alt="" for a decorative image',
        )


def placeholder(
    w: Walker, parent: Element, img: Element, url: str, *, remote: bool, captioned: bool
) -> Element:
    """A visible box saying which image is missing: its label, file name and alt text."""
    labels = words(w.ctx.lang)
    label = labels["remote_image"] if remote else labels["missing_image"]
    name = Path(urllib.parse.urlsplit(url).path).name or url
    alt = img.get("alt", "").strip()
    inline = "inline-icon" in img.get("class", "") or _in_text(parent, img)
    box = Element(
        "span",
        {
            "class": "missing-image" + (" inline" if inline else ""),
            "role": "img",
            "aria-label": f"{label}: {alt or name}",
        },
    )
    box.tail = img.tail
    if inline:
        box.text = "?"
        return box
    for css, text in (("missing-label", label), ("missing-name", name)):
        ET.SubElement(box, "span", {"class": css}).text = text
    if alt and not captioned and alt != name:
        ET.SubElement(box, "span", {"class": "missing-alt"}).text = alt
    return box


def on_picture(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """<picture>: print its plain <img> (the light version); the <source>s are for screens."""
    img = el.find("img")
    if img is None:
        remove(parent, el, w.at)
        return
    img.tail = el.tail
    replace(parent, el, img, w.at)
    on_img(w, parent, img, source)


def on_figure(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """GitBook's <figure>: an empty caption dropped, a <p> in the caption unwrapped."""
    cap = el.find("figcaption")
    if cap is None:
        return
    inner = cap.find("p")
    if inner is not None and len(cap) == 1 and not (cap.text or "").strip():
        cap.text, cap[:] = inner.text, list(inner)
    if not "".join(cap.itertext()).strip() and not len(cap):
        remove(el, cap)
    elif el.find(".//img") is not None or el.find(".//picture") is not None:
        add_class(el, "captioned")


def on_div(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """GitBook's layout attributes on a <div> become classes the stylesheet knows."""
    if el.attrib.pop("data-with-frame", None) == "true":
        add_class(el, "framed")
    if el.attrib.pop("data-full-width", None) == "true":
        add_class(el, "full-width")
    align = el.attrib.pop("align", None)
    if align in ("left", "center", "right"):
        add_class(el, f"align-{align}")


def _in_text(parent: Element, img: Element) -> bool:
    """Is the image part of a sentence (an icon), rather than a paragraph of its own?"""
    if parent.tag in ("figure", "div", "body", "picture", "aside", "section"):
        return False
    siblings_text = "".join(
        (s.tail or "") + ("" if s is img else "".join(s.itertext())) for s in parent
    )
    return bool(((parent.text or "") + siblings_text).strip())


def _caption_of(parent: Element) -> str:
    if parent.tag == "figure":
        cap = parent.find("figcaption")
        if cap is not None:
            return " ".join("".join(cap.itertext()).split())
    return ""
