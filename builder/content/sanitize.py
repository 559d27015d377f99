"""Raw HTML written in a page: what may reach the PDF renderer, and what is removed.

Nothing in a page may run code, fetch a resource by itself or submit anything: such
elements are removed with their content, attributes outside a short list are dropped,
and inline styles keep only colours, alignment and widths. Each removal is a warning.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.content.walking import Walker

Element = ET.Element

DANGEROUS = frozenset(
    {"script", "iframe", "object", "embed", "form", "button", "textarea", "select", "link",
     "style", "meta", "base", "frame", "frameset", "applet", "template", "noscript", "video",
     "audio", "source", "track", "portal", "dialog", "foreignobject", "animate", "set",
     "animatemotion", "animatetransform", "param", "fieldset", "option", "optgroup",
     "datalist", "output", "canvas", "slot"}
)  # fmt: skip
SILENT = frozenset({"source"})  # inside <picture> (handled before) or a removed <video>
ATTRS = frozenset(
    {"class", "id", "href", "src", "alt", "title", "width", "height", "align", "valign",
     "colspan", "rowspan", "style", "lang", "dir", "start", "type", "reversed", "value",
     "checked", "open", "role", "headers", "scope", "span", "datetime", "label", "color",
     "cite", "abbr", "media", "srcset", "name", "disabled"}
)  # fmt: skip
SVG_REFERENCES = frozenset({"image", "feimage", "use"})
URL_ATTRS = frozenset({"href", "src", "srcset", "xlink:href", "cite"})
STYLE_OK = re.compile(
    r"^\s*(color|background-color|text-align|width|font-weight|font-style|text-decoration)"
    r"\s*:\s*[#$\w.%() ,-]+\s*$"
)
BAD_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:application")
RESOURCE = re.compile(r"url\s*\(|@import|expression\s*\(|://|^\s*//|^\s*\.\./|^\s*/", re.I)
NAMESPACES = {
    "http://www.w3.org/1999/xlink": "xlink",
    "http://www.w3.org/XML/1998/namespace": "xml",
}


def local_names(el: Element) -> None:
    """<svg>/<math> come out of the parser namespaced: give them their plain HTML names."""
    tag = str(el.tag)
    if tag.startswith("{"):
        el.tag = tag.split("}", 1)[1]
    for name in [n for n in el.attrib if n.startswith("{")]:
        ns, local = name[1:].split("}", 1)
        prefix = NAMESPACES.get(ns)
        value = el.attrib.pop(name)
        if prefix:
            el.set(f"{prefix}:{local}", value)


def sanitise(walker: Walker, parent: Element, el: Element, source: Path, svg: bool) -> bool:
    """Drop el if it is dangerous (True), else clean its attributes in place."""
    tag = str(el.tag).lower()
    if tag in DANGEROUS or (svg and tag in ("input", "img", "picture")):
        if tag not in SILENT:
            walker.warn(f"<{tag}> removed (not allowed in printed content)", source, f"<{tag}")
        remove(parent, el, walker.at)
        return True
    for name, value in list(el.attrib.items()):
        _attribute(walker, el, tag, name, value, source, svg)
    if svg and tag in SVG_REFERENCES and not ({"href", "xlink:href"} & set(el.attrib)):
        remove(parent, el, walker.at)  # its reference was refused: nothing left to draw
        return True
    return False


def _attribute(
    walker: Walker, el: Element, tag: str, name: str, value: str, source: Path, svg: bool
) -> None:
    low = name.lower()
    if low.startswith("on"):
        walker.warn(f"event attribute {name} removed from <{tag}>", source, name)
        del el.attrib[name]
    elif low in URL_ATTRS and value.strip().lower().startswith(BAD_SCHEMES):
        walker.warn(f"{name}='{value[:40]}' removed from <{tag}>", source, value[:20])
        del el.attrib[name]
    elif low == "style":
        clean_style(walker, el, value, source)
    elif svg:
        outside = low in ("href", "xlink:href") and not value.startswith(("#", "data:image/"))
        if outside or ("url(" in value.lower() and "url(#" not in value.lower().replace(" ", "")):
            walker.warn(f"{name}='{value[:40]}' removed from <{tag}>", source, value[:20])
            del el.attrib[name]
    elif low not in ATTRS and not low.startswith(("data-", "aria-")):
        if RESOURCE.search(value):
            walker.warn(f"{name}='{value[:40]}' removed from <{tag}>", source, value[:20])
        del el.attrib[name]


def clean_style(walker: Walker, el: Element, value: str, source: Path) -> None:
    """Keep only harmless declarations of a style attribute."""
    declarations = [d for d in value.split(";") if d.strip()]
    kept = [d.strip() for d in declarations if STYLE_OK.match(d)]
    if len(kept) < len(declarations) and RESOURCE.search(value):
        walker.warn("style attribute pulling a resource removed", source, value[:20])
    if kept:
        el.set("style", "; ".join(kept))
    else:
        del el.attrib["style"]


def remove(parent: Element, child: Element, at: int | None = None) -> None:
    """Remove child, keeping the text that follows it; at is where child probably is."""
    index = _index(parent, child, at)
    del parent[index]
    _keep_tail(parent, parent[index - 1] if index > 0 else None, child.tail)


def remove_all(parent: Element, doomed: list[Element]) -> None:
    """Remove every child in doomed at once, keeping the text as remove() one by one would.

    One pass over parent: removing one child after another scans and shifts the rest each
    time, quadratic for a page of thousands of blocks.
    """
    gone = set(doomed)
    kept: list[Element] = []
    for child in parent:
        if child in gone:
            _keep_tail(parent, kept[-1] if kept else None, child.tail)
        else:
            kept.append(child)
    parent[:] = kept


def _keep_tail(parent: Element, prev: Element | None, tail: str | None) -> None:
    """Join the text that followed a removed child to the text before it."""
    before = (prev.tail if prev is not None else parent.text) or ""
    if tail and not tail.strip() and (not before or before[-1:].isspace()):
        return  # whitespace between blocks: one run of it is enough
    if tail and before[-1:] == " " and tail[:1] == " ":
        tail = tail[1:]  # "Text <removed> after": one space left, not two
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def replace(parent: Element, old: Element, new: Element, at: int | None = None) -> None:
    """Put new where old was (new keeps its own tail); at is where old probably is."""
    parent[_index(parent, old, at)] = new


def _index(parent: Element, child: Element, at: int | None) -> int:
    """child's index in parent: at when right (the walker knows it), else searched for."""
    if at is not None and 0 <= at < len(parent) and parent[at] is child:
        return at
    return list(parent).index(child)


def add_class(el: Element, name: str) -> None:
    """Add a class to an element, once."""
    classes = el.get("class", "").split()
    if name not in classes:
        el.set("class", " ".join([*classes, name]))
