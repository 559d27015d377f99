"""GitBook's HTML tables: hidden columns, typed columns (checkbox, rating, select) and the
cards view, printed as a plain table whose rows name the page each card leads to."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from builder.content.codeblocks import URL_BREAKS
from builder.content.sanitize import add_class

if TYPE_CHECKING:
    from builder.content.walking import Walker

Element = ET.Element
STRUCTURE = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th", "colgroup", "col"})
CELL_ATTRS = ("width", "align", "valign", "colspan", "rowspan", "style", "class", "scope")


@dataclass
class Column:
    hidden: bool = False
    kind: str = ""  # data-type: content-ref, files, image, checkbox, select, rating
    target: bool = False  # data-card-target
    maximum: int = 5  # rating scale
    options: dict[str, str] = field(default_factory=dict)  # select: value -> label


def on_table(w: Walker, parent: Element, el: Element, source: Path) -> None:
    """Rewrite a GitBook table in place into its printed form."""
    view = el.attrib.get("data-view")
    hide_header = "data-header-hidden" in el.attrib or "data-column-title-hidden" in el.attrib
    rows = [r for r in el.iter("tr")]
    header = rows[0] if rows and any(c.tag == "th" for c in rows[0]) else None
    columns = [_column(th) for th in _cells(header)] if header is not None else []
    for row in rows:
        if row is header:
            continue
        _body_row(row, columns, cards=view == "cards")
    for row in rows:
        for i, cell in reversed(list(enumerate(_cells(row)))):
            if i < len(columns) and columns[i].hidden:
                row.remove(cell)
    head_empty = header is not None and not any(
        "".join(c.itertext()).strip() for c in _cells(header)
    )
    if header is not None and (hide_header or (view == "cards" and head_empty)):
        _drop_row(el, header)
    if view == "cards":
        add_class(el, "cards-table")
    for cell in [c for row in el.iter("tr") for c in _cells(row)]:
        breakable(cell)
    for node in el.iter():
        if node.tag not in STRUCTURE:
            continue
        keep = CELL_ATTRS if node.tag in ("td", "th") else ("class", "style", "width")
        for key in [k for k in node.attrib if k not in keep]:
            del node.attrib[key]


def _cells(row: Element | None) -> list[Element]:
    return [c for c in row if c.tag in ("td", "th")] if row is not None else []


def _column(th: Element) -> Column:
    col = Column(
        hidden="data-hidden" in th.attrib,
        kind=th.get("data-type", ""),
        target="data-card-target" in th.attrib,
    )
    if th.get("data-max", "").isdigit():
        col.maximum = min(int(th.get("data-max", "5")), 10)
    for select in th.findall("select"):
        for option in select.iter("option"):
            col.options[option.get("value", "")] = option.get("label") or (option.text or "")
        th.remove(select)  # options are read; the control means nothing on paper
    return col


def _body_row(row: Element, columns: list[Column], *, cards: bool) -> None:
    cells = _cells(row)
    target: Element | None = None
    for cell, col in zip(cells, columns, strict=False):
        if cards and col.target and target is None:
            target = next(cell.iter("a"), None)
        _typed_cell(cell, col)
    visible = [c for c, col in zip(cells, columns, strict=False) if not col.hidden]
    visible += cells[len(columns) :]
    if target is not None and visible and target.get("href"):
        # A card leads to a page: on paper, say which one.
        para = ET.SubElement(visible[-1], "p", {"class": "card-target"})
        ET.SubElement(para, "a", {"href": target.get("href", ""), "data-mention": ""}).text = (
            "".join(target.itertext()) or target.get("href", "")
        )


def _typed_cell(cell: Element, col: Column) -> None:
    text = "".join(cell.itertext()).strip()
    if col.kind == "checkbox" and text.lower() in ("true", "false") and not len(cell):
        box = Element(
            "span",
            {
                "class": "task-box" + (" checked" if text.lower() == "true" else ""),
                "role": "img",
                "aria-label": text.lower(),
            },
        )
        cell.text, cell[:] = None, [box]
    elif col.kind == "rating" and text.isdigit() and not len(cell):
        stars = min(int(text), col.maximum)
        cell.text = "★" * stars + "☆" * (col.maximum - stars)
        cell.set("aria-label", f"{stars}/{col.maximum}")
    elif col.options:  # a select column (GitBook does not always say data-type="select")
        _select_cell(cell, col.options, text)


def _select_cell(cell: Element, options: dict[str, str], text: str) -> None:
    spans = [s for s in cell.iter("span") if "data-option" in s.attrib]
    for span in spans:
        if not "".join(span.itertext()).strip():
            span.text = options.get(span.get("data-option", ""), "")
    if not spans and not len(cell) and text in options:
        cell.text = options[text]


def _drop_row(table: Element, row: Element) -> None:
    for section in (table, *table.iter("thead"), *table.iter("tbody")):
        if row in list(section):
            section.remove(row)
            if section.tag == "thead" and not len(section):
                table.remove(section)
            return


LONG = re.compile(r"\S{24,}")  # a token that long can make a column wider than the page
PIECE = 12
TOKEN_BREAKS = re.compile(r"(?<=[/?&=._-])")


def breakable(el: Element) -> None:
    """Let long tokens of a cell wrap: a <wbr> after each / ? & = . _ - of theirs, or every
    12 characters when they have none. Only there: overflow-wrap: anywhere on a cell lets
    the table squeeze a short word ("toke|n") to make room for the long one."""
    el.text, heads = _split_long(el.text)
    kids: list[Element] = heads
    for child in list(el):
        breakable(child)
        child.tail, tails = _split_long(child.tail)
        kids += [child, *tails]
    el[:] = kids


def _split_long(text: str | None) -> tuple[str | None, list[Element]]:
    if not text or not LONG.search(text):
        return text, []
    pieces: list[str] = []
    last = 0
    for m in LONG.finditer(text):
        token = m.group(0)
        breaks = URL_BREAKS if "://" in token else TOKEN_BREAKS
        parts = [part for part in breaks.split(token) if part]
        if len(parts) == 1:
            parts = [token[i : i + PIECE] for i in range(0, len(token), PIECE)]
        pieces.append(text[last : m.start()] + parts[0])
        pieces.extend(parts[1:])
        last = m.end()
    pieces[-1] += text[last:]
    wbrs = []
    for piece in pieces[1:]:
        wbr = Element("wbr")
        wbr.tail = piece
        wbrs.append(wbr)
    return pieces[0], wbrs
