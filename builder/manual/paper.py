"""Paper: where the manual's new pages start, and how much of it the contents take.

GitBook shows one page at a time; paper need not turn a sheet for each. `page_breaks` says
where a new page starts ("chapter": each top-level group or page of SUMMARY.md; "page": each
page; "none": never); a page that is only its title (a group page with no text) starts no
page of its own: its title heads the page that follows it.

The contents adapt their depth to the manual's length (toc_depth = "auto"): the PDF
bookmarks keep every entry, the printed contents leave out the deepest ones until they fit
a budget of pages, a small part of the manual. Both lengths are estimated from the HTML, to
decide before the one rendering.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING

from builder.content.model import flatten

if TYPE_CHECKING:
    from builder.manual import Chapter, TocEntry

# Inside a page, the heading levels the contents show when toc_depth is "auto" and the manual
# is small; fewer when it is not.
AUTO_DEPTH = 2
# The contents' budget: a thirtieth of the manual, never less than 2 pages nor, when cutting
# down to the top-level pages can keep it there, more than 8.
TOC_SHARE, TOC_LEAST, TOC_MOST = 1 / 30, 2.0, 8.0
# A4 at 10 pt (manual.css): 257 mm of text block, 6.3 mm a line of the contents (0.6 mm of
# padding each side), 95 characters a line of text, 70 a line of the contents beside its
# leader and page number. 38 lines of text a page, not the 50 the block holds: the bundled
# guide and lawnchair-docs (13 and 79 pages of chapters, one page each) were estimated at
# 10 and 58 with 50; margins, boxes and headings take the rest. A5 holds about half of each.
BODY_LINES, TOC_LINES, BODY_CHARS, TOC_CHARS = 38, 40, 95, 70
TOC_HEAD = 3.0  # the contents' title, in lines

PRE = re.compile(r"<pre\b.*?</pre>", re.S)
TAG = re.compile(r"<[^>]+>")
COMMENT = re.compile(r"<!--.*?-->", re.S)
# Elements that print something without text of their own.
SHOWS = re.compile(r"<(?:img|svg|figure|table|hr|iframe|pre|object|embed|math|video)\b", re.I)


@dataclass(frozen=True)
class Budget:
    """What the printed contents were cut to, for the log and the tests."""

    depth: int  # heading levels inside pages
    page_depth: int | None  # deepest outline level of a nested page printed; None: all
    toc_pages: float  # the estimate of the printed contents
    body_pages: float  # the estimate of the chapters
    allowed: float  # the budget, in pages


def is_blank(chapter: Chapter) -> bool:
    """A page whose body is only its title (a group page without text)."""
    page = chapter.page
    if page.description:  # printed under the title (the chapter's lead)
        return False
    html = COMMENT.sub("", page.html)
    return not unescape(TAG.sub("", html)).strip() and not SHOWS.search(html)


def place_breaks(chapters: list[Chapter], mode: str) -> list[Chapter]:
    """Say which chapters start a new page; fold each blank page into the one after it."""
    for chapter in chapters:
        chapter.breaks = mode == "page" or (mode == "chapter" and chapter.top)
    out: list[Chapter] = []
    for i, chapter in enumerate(chapters):
        after = chapters[i + 1] if i + 1 < len(chapters) else None
        # A blank page heads the next one, unless that one starts a page the blank one
        # does not (the next top-level group): its title would print under another's.
        if after is not None and is_blank(chapter) and (chapter.breaks or not after.breaks):
            title = (chapter.title, chapter.level, chapter.page.anchor)
            after.parts = [*chapter.parts, title, *after.parts]
            after.breaks = after.breaks or chapter.breaks
            after.top = after.top or chapter.top
            continue
        out.append(chapter)
    return out


def fit_toc(toc: list[TocEntry], chapters: list[Chapter]) -> Budget:
    """Leave out of the printed contents the deepest entries until they fit their budget:
    headings inside pages level by level, then pages nested in pages, deepest first."""
    body = body_pages(chapters)
    allowed = max(TOC_LEAST, min(TOC_MOST, body * TOC_SHARE))
    entries = flatten(toc)
    pages_under = _nested_pages(toc)
    nested = {id(entry) for entry in pages_under}
    depth, page_depth = AUTO_DEPTH, None
    levels = sorted({entry.level for entry in pages_under}, reverse=True)
    while True:
        for entry in entries:
            entry.printed = _shown(entry, depth, page_depth, nested)
        pages = toc_pages(toc)
        if pages <= allowed:
            break
        if depth > 0:
            depth -= 1
        elif levels:
            page_depth = levels.pop(0) - 1
        else:
            break  # the top-level pages alone: the shortest contents that still lead anywhere
    return Budget(depth, page_depth, pages, body, allowed)


def _shown(entry: TocEntry, depth: int, page_depth: int | None, nested: set[int]) -> bool:
    if entry.kind == "heading":
        page_level = entry.level - entry.rank
        return entry.rank <= depth and (page_depth is None or page_level <= page_depth)
    if id(entry) in nested:
        return page_depth is None or entry.level <= page_depth
    return True


def _nested_pages(toc: list[TocEntry]) -> list[TocEntry]:
    """The page entries under another page (the top-level pages of groups are never cut)."""
    found: list[TocEntry] = []

    def walk(entries: list[TocEntry], under_page: bool) -> None:
        for entry in entries:
            if entry.kind == "page":
                if under_page:
                    found.append(entry)
                walk(entry.children, True)
            elif entry.kind != "heading":
                walk(entry.children, under_page)

    walk(toc, False)
    return found


def toc_pages(toc: list[TocEntry]) -> float:
    """The printed contents' length in pages of A4: a line an entry, more for long titles."""
    lines = TOC_HEAD
    for entry in flatten(toc):
        if not entry.printed:
            continue
        text = unescape(TAG.sub("", str(entry.title)))
        lines += math.ceil(max(len(text) + len(entry.url), 1) / TOC_CHARS)
        if entry.kind in ("part", "group"):
            lines += 0.5  # the space above a group's title
    return lines / TOC_LINES


def body_pages(chapters: list[Chapter]) -> float:
    """The chapters' length in pages of A4, each run between two new pages rounded up."""
    pages, run = 0.0, 0.0
    for chapter in chapters:
        if chapter.breaks and run:
            pages += math.ceil(run)
            run = 0.0
        run += _lines(chapter) / BODY_LINES
    return pages + math.ceil(run)


def _lines(chapter: Chapter) -> float:
    """A chapter's lines of text, as much again for each figure, table row, code line."""
    html = chapter.page.html
    text = unescape(TAG.sub("", COMMENT.sub("", html)))
    lines = 3.0 + 1.5 * len(chapter.parts)  # its title, the titles heading it
    lines += len(text) / BODY_CHARS
    lines += 0.5 * len(re.findall(r"<(?:p|li|tr|h[2-6])\b", html))  # spacing, short lines
    lines += 1.5 * len(re.findall(r"<h[2-6]\b", html))
    lines += 12 * len(re.findall(r"<img\b", html))
    lines += sum(str(block).count("\n") for block in PRE.findall(html))
    return lines
