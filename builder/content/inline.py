"""Titles as the page prints its headings: Markdown inline (code, emphasis, `\\(` escapes),
emoji shortcodes, typography. For the lines that show a title outside its page: the TOC,
the chapter's own title, the PDF bookmarks and the running header (both read from it).

A page title is its H1 line taken as written (space.py); SUMMARY.md's titles too. Links
and images inside a title print as their text: a TOC line is a link already.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from html import escape

import emoji
import tinyhtml5
from markdown_it import MarkdownIt

from builder.typography import typeset

KEPT = frozenset({"code", "em", "strong", "s", "del", "sub", "sup", "mark", "kbd"})
ARTEFACT = "&#xNAN;"  # GitBook's export writes it for nothing at all


@lru_cache(maxsize=1)
def _engine() -> MarkdownIt:
    # Raw HTML is text in a title: a title has no use for it, and the TOC is not sanitised.
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


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
    inner = escape(span.text or "", quote=False) + "".join(
        ET.tostring(child, encoding="unicode", method="html") for child in span
    )
    return " ".join(inner.split())


def title_text(text: str, lang: str) -> str:
    """A title as plain text (PDF metadata, messages)."""
    html = title_html(text, lang)
    doc = tinyhtml5.parse(io.StringIO(f"<p>{html}</p>"), namespace_html_elements=False)
    return " ".join("".join(doc.itertext()).split())


def _clean(el: ET.Element, lang: str, *, raw: bool) -> None:
    """Keep the inline elements a title may print; links and images become their text."""
    el.text = _text(el.text, lang, raw)
    kids: list[ET.Element] = []
    for child in list(el):
        tag = str(child.tag)
        _clean(child, lang, raw=raw or tag in ("code", "kbd"))
        child.tail = _text(child.tail, lang, raw)
        if tag in KEPT:
            child.attrib.clear()
            kids.append(child)
            continue
        words = child.get("alt", "") if tag == "img" else "".join(child.itertext())
        _append_text(el, kids, words + (child.tail or ""))
    el[:] = kids


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
