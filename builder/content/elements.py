"""GitBook's HTML forms other than links, images, tables and code: task boxes, expandable
blocks, coloured text, custom emoji and icons, variables, custom-block hints."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from builder.content import codeblocks, media
from builder.content.handlers import HINT_STYLES, hint_html
from builder.content.model import anchor_slug, slugify
from builder.content.sanitize import add_class, remove, replace
from builder.content.variables import evaluate

if TYPE_CHECKING:
    from builder.content.walking import Walker

Element = ET.Element
CUSTOM_BLOCKS = frozenset({"hint", "tabs", "tab", "stepper", "step", "columns", "column"})
# GitBook's colour names and theme colours, as inks that read on white paper.
TEXT_COLOURS = {
    "red": "#b3261e", "orange": "#a84f00", "yellow": "#806400", "green": "#23803a",
    "blue": "#1f5fa8", "purple": "#6b3fa0", "$primary": "#1f5fa8", "$info": "#1f5fa8",
    "$success": "#23803a", "$warning": "#a86a00", "$danger": "#b3261e",
}  # fmt: skip
BACKGROUNDS = {
    "red": "#fbe3e1", "orange": "#fdebd3", "yellow": "#fdf3c4", "green": "#e0f2e4",
    "blue": "#e1ecf9", "purple": "#eee5f8", "$primary": "#e1ecf9", "$info": "#e1ecf9",
    "$success": "#e0f2e4", "$warning": "#fdf3c4", "$danger": "#fbe3e1",
}  # fmt: skip


def on_input(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """A task list's checkbox: an empty box, ticked or not on screen, to tick on paper."""
    if el.get("type") == "checkbox":
        box = Element("span", {"class": "task-box", "aria-hidden": "true"})
        box.tail = el.tail
        replace(parent, el, box, w.at)
        return
    w.warn("<input> removed (not allowed in printed content)", source, "<input")
    remove(parent, el, w.at)


def on_details(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Expandable blocks are printed open; links reach them by their summary's slug."""
    summary = el.find("summary")
    title = " ".join("".join(summary.itertext()).split()) if summary is not None else ""
    el.tag, el.attrib = "div", {"class": "details"}
    if title:
        el.set("id", anchor_slug(title))
        w.unique_id(el)


def on_summary(w: Walker, parent: Element, el: Element, source: Path) -> None:
    el.tag, el.attrib = "p", {"class": "details-summary"}


def on_p(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Centred paragraphs; a paragraph that is only math or only an image is a block."""
    if el.attrib.pop("align", None) == "center":
        add_class(el, "center")
    if len(el) != 1 or (el.text or "").strip() or (el[0].tail or "").strip():
        return
    only = el[0]
    classes = only.get("class", "").split()
    if "math" in classes:
        el.tag = "div"
        add_class(el, "math-block")
    elif (
        only.tag == "img"
        and only.get("alt", "").strip()
        and not {"icon", "inline-icon"} & set(classes)
        and only.get("data-size") != "line"
        and not names_nothing(only.get("alt", ""), only.get("src", ""))
    ):
        # GitBook writes an image block's caption as the Markdown alt text: ![Caption](x.png)
        el.tag, el.attrib = "figure", {"class": "captioned"}
        ET.SubElement(el, "figcaption").text = " ".join(only.get("alt", "").split())


# Alt texts an editor writes when no one wrote one (VS Code pastes "Alt text").
PLACEHOLDER_ALTS = {"alt", "alt text", "image", "img", "picture", "screenshot", "untitled"}


def names_nothing(alt: str, src: str) -> bool:
    """An alt text that is an editor's placeholder or the image's file name: "Figure 3 —
    Alt text" or "— xcode-link-dylib" under a picture says nothing (it stays the alt)."""

    def words(text: str) -> str:
        return " ".join(re.split(r"[\W_]+", text.lower())).strip()

    said = words(alt)
    name = unquote(src.split("?")[0].rsplit("/", 1)[-1])
    stem = name.rsplit(".", 1)[0] if "." in name else name
    said_stem = re.sub(r"(\s\d+)+$", "", said)  # "image (3)" and "Alt text 2" too
    return said_stem in PLACEHOLDER_ALTS or (bool(said) and said in (words(stem), words(name)))


def on_i(w: Walker, parent: Element, el: Element, source: Path) -> None:
    if el.get("class", "").startswith("fa-"):
        # Font Awesome is not embedded: the :shortcode: inside it prints as an emoji; one
        # that names no emoji (":flask:", a Font Awesome name) would print as raw text, so
        # the icon is left out, as a decorative picture would be.
        el.tag, el.attrib = "span", {"class": "icon"}
        text = el.text or ""
        if re.fullmatch(r"\s*:[\w+-]+:\s*", text) and not len(el):
            import emoji  # the reader's own shortcode table (html.py)

            if emoji.emojize(text, language="alias") == text:
                el.text = ""


def on_span(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """GitBook's custom emoji: the character itself, from its code point when empty."""
    if el.get("data-tag") != "emoji" or "data-gb-custom-inline" not in el.attrib:
        return
    code = el.get("data-code", "")
    if not "".join(el.itertext()).strip() and re.fullmatch(r"[0-9a-fA-F]{2,6}", code):
        if int(code, 16) <= 0x10FFFF:
            el.text = chr(int(code, 16))
    el.attrib.clear()
    el.set("class", "emoji")


def on_code(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """A GitBook expression prints the variable's value; GitBook's {% raw %} escape is
    taken off inline code."""
    if "expression" not in el.get("class", "").split():
        codeblocks.unraw(el)
        return
    expression = "".join(el.itertext())
    value = evaluate(expression, w.ctx.variables)
    if value is None:
        w.warn(
            f"expression '{expression}' has no value here: printed as written",
            source,
            expression,
            hint="define it in .gitbook/vars.yaml or the page's vars:",
        )
        return
    new = Element("span", {"class": "variable"})
    new.text, new.tail = w.text(value), el.tail
    replace(parent, el, new, w.at)


def on_div(w: Walker, parent: Element, el: Element, source: Path) -> None:
    media.on_div(w, parent, el, source)
    if "data-gb-custom-block" not in el.attrib:
        return
    tag = el.get("data-tag", "")
    if tag == "hint":
        style = el.get("data-style", "info")
        style = style if style in HINT_STYLES else "info"
        shell = ET.fromstring(hint_html(style, "", w.ctx.lang))
        body = shell[1]
        body.text, body[:] = el.text, list(el)
        el.tag, el.attrib, el.text = shell.tag, dict(shell.attrib), None
        el[:] = list(shell)
        return
    if tag not in CUSTOM_BLOCKS:
        w.warn(
            f'unknown GitBook block <div data-tag="{tag}"> kept as text',
            source,
            "data-gb-custom-block",
        )
    el.attrib.clear()
    el.set("class", f"gb-{slugify(tag)}")


def on_mark(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """GitBook colours text with <mark style=…>: a coloured span, not a yellow highlight."""
    style = el.attrib.pop("style", None)
    if style is None:
        return  # a plain <mark> is a highlight
    rules = []
    for declaration in style.split(";"):
        prop, _, value = (part.strip().lower() for part in declaration.partition(":"))
        palette = TEXT_COLOURS if prop == "color" else BACKGROUNDS
        if prop in ("color", "background-color") and value not in ("", "default", "$default"):
            rules.append(f"{prop}: {palette.get(value, value)}")
    el.tag = "span"
    add_class(el, "mark")
    if rules:
        el.set("style", "; ".join(rules))
