"""Titles as the page prints its headings: Markdown inline (code, emphasis, `\\(` escapes),
emoji shortcodes, typography, `$$…$$` math. For the lines that show a title outside its
page: the TOC, the chapter's own title, the PDF bookmarks and the running header.

A page title is its H1 line taken as written (space.py); SUMMARY.md's titles too. Links
and images inside a title print as their text: a TOC line is a link already. A formula
stays the drawing the page prints (content.tex); where only text can go (bookmarks, the
running header, metadata: title_text) it is its TeX source, as its /Alt says it.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from html import escape
from typing import Any

import emoji
import tinyhtml5
from markdown_it import MarkdownIt

from builder.content import tex
from builder.content.markdown import _math_inline as math_inline  # the pages' own rule
from builder.typography import typeset

KEPT = frozenset({"code", "em", "strong", "s", "del", "sub", "sup", "mark", "kbd"})
ARTEFACT = "&#xNAN;"  # GitBook's export writes it for nothing at all


@lru_cache(maxsize=1)
def _engine() -> MarkdownIt:
    # Raw HTML is text in a title: a title has no use for it, and the TOC is not sanitised.
    md = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
    md.inline.ruler.before("escape", "math_double", math_inline)
    md.add_render_rule("math_inline_double", _render_math)
    return md


def _render_math(self: object, tokens: list[Any], idx: int, options: object, env: object) -> str:
    # The page's own rendering warns of a formula not typeset; a title prints its source.
    return f'<span class="math">{tex.typeset(tokens[idx].content, display=False).html}</span>'


@lru_cache(maxsize=4096)
def title_html(text: str, lang: str) -> str:
    """A title's Markdown as inline HTML, safe to print as it is."""
    rendered = _engine().renderInline(text.replace(ARTEFACT, ""))
    source = io.StringIO(f"<!DOCTYPE html><html><body><span>{rendered}</span></body></html>")
    doc = tinyhtml5.parse(source, namespace_html_elements=False)
    span = doc.find("body/span")
    if span is None:
        return escape(text)
    _clean(span, lang, raw=False)
    return _inner(span)


def title_text(text: str, lang: str) -> str:
    """A title as plain text (PDF metadata, messages): a formula as its TeX source."""
    return plain_text(title_html(text, lang))


def plain_text(html: str) -> str:
    """Inline HTML as the words it prints, a formula's drawing as its source (its alt)."""
    doc = tinyhtml5.parse(io.StringIO(f"<p>{html}</p>"), namespace_html_elements=False)
    body = doc.find("body")
    words = [] if body is None else _words(body)
    return " ".join("".join(words).split())


def heading_html(html: str) -> str:
    """A heading's inner HTML as the page printed it, kept as a title keeps it (the TOC)."""
    if "<" not in html:
        return " ".join(html.split())  # text only, escaped and typeset already
    source = io.StringIO(f"<!DOCTYPE html><html><body><span>{html}</span></body></html>")
    span = tinyhtml5.parse(source, namespace_html_elements=False).find("body/span")
    if span is None:
        return " ".join(html.split())
    _clean(span, "", raw=True)
    return _inner(span)


def _words(el: ET.Element) -> list[str]:
    out = [el.text or ""]
    for child in el:
        out += [child.get("alt", "")] if child.tag == "img" else _words(child)
        out.append(child.tail or "")
    return out


def _inner(span: ET.Element) -> str:
    inner = escape(span.text or "", quote=False) + "".join(
        ET.tostring(child, encoding="unicode", method="html") for child in span
    )
    return " ".join(inner.split())


def _clean(el: ET.Element, lang: str, *, raw: bool) -> None:
    """Keep the inline elements a title may print; links and images become their text.

    A formula is kept as it is: <span class="math"> holding content.tex's drawing.
    """
    el.text = _text(el.text, lang, raw)
    kids: list[ET.Element] = []
    for child in list(el):
        tag = str(child.tag)
        if _formula(child):
            child.tail = _text(child.tail, lang, raw)
            kids.append(child)
            continue
        _clean(child, lang, raw=raw or tag in ("code", "kbd"))
        child.tail = _text(child.tail, lang, raw)
        if tag in KEPT:
            child.attrib.clear()
            kids.append(child)
            continue
        words = child.get("alt", "") if tag == "img" else "".join(child.itertext())
        _append_text(el, kids, words + (child.tail or ""))
    el[:] = kids


def _formula(el: ET.Element) -> bool:
    """content.tex's <span class="math">: its SVG <img>, or the source it fell back to."""
    if el.tag != "span" or el.get("class") != "math" or len(el) != 1:
        return False
    (inner,) = el
    if inner.tag == "img":
        kind = inner.get("class", "").split()
        return "math-svg" in kind and inner.get("src", "").startswith("data:image/svg+xml;")
    return inner.tag == "code" and inner.get("class") == "math-source"


def _append_text(el: ET.Element, kids: list[ET.Element], text: str) -> None:
    if kids:
        kids[-1].tail = (kids[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def _text(text: str | None, lang: str, raw: bool) -> str | None:
    if not text or raw:
        return text
    if ":" in text:
        text = emoji.emojize(text, language="alias")
    return typeset(text, lang)


def is_blank(text: str) -> bool:
    """True for a title with nothing to print (no letter, digit, emoji or sign)."""
    return not re.sub(r"\s+", "", title_text(text, "en"))
