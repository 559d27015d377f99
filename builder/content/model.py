"""The data the reader hands to the later stages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Heading:
    level: int  # 2 for "##" (the page title "#" is the page itself)
    title: str  # plain text
    anchor: str  # document-unique id


@dataclass
class Page:
    path: str  # posix path relative to the space root, e.g. "help/setup.md"
    source: Path  # absolute path on disk
    title: str
    description: str
    front: dict[str, Any]
    html: str  # the body, title excluded, ids unique within a whole document
    headings: list[Heading]
    anchor: str  # id of the page in a document
    hidden: bool = False
    images: dict[str, tuple[str, str]] = field(default_factory=dict)  # see Rendered.images
    lang: str = ""  # the page's own language when its script says so (content.language)
    prefix: str = ""  # the space's root relative to the folder given ("docs/"), for messages

    @property
    def shown(self) -> str:
        """The page's file as messages name it: from the folder given to the command."""
        return self.prefix + self.path


@dataclass
class NavItem:
    title: str
    page: Page | None = None  # None for groups and external links
    url: str | None = None  # external link
    children: list[NavItem] = field(default_factory=list)
    group: bool = False  # a "## Group" of SUMMARY.md
    anchor: str = ""


@dataclass
class Space:
    root: Path
    name: str  # folder name of the space ("" for a single-space repository)
    title: str
    description: str
    cover: str | None  # local path (absolute) or remote URL from the README front matter
    nav: list[NavItem]
    pages: list[Page]  # reading order
    lang: str = ""  # the language it was read in (its own, in a repository of several)
    label: str = ""  # its title as a part of a manual of several: its own settings' title


class _Tree(Protocol):
    @property
    def children(self) -> Sequence[Any]: ...


T = TypeVar("T", bound=_Tree)


def flatten(items: Sequence[T]) -> list[T]:
    """Every node of a tree (SUMMARY entries, nav items, TOC entries), depth first."""
    return [node for item in items for node in (item, *flatten(item.children))]


def slugify(text: str) -> str:
    """An ASCII id fragment: 'Choix de l’appareil' -> 'choix-de-l-appareil'."""
    norm = unicodedata.normalize("NFKD", text)
    ascii_text = norm.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "section"


def anchor_slug(text: str) -> str:
    """An id fragment that keeps every script: 'Choix de l’appareil' -> 'choix-de-lappareil'
    as slugify gives, '使用 `time.Time` 表达' -> '使用-time-time-表达', 'Настройка' -> 'настройка'.

    slugify drops what has no ASCII form, so every Chinese, Cyrillic or Korean heading of a
    page got the same id ('section', 'section-1'…) and a link to one reached the first."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        folded = char if char.isascii() else _ascii(char)
        if folded:  # ASCII, or Latin with its accents dropped: as slugify does
            out.extend(c.lower() if c.isalnum() else "-" for c in folded)
        elif unicodedata.category(char)[0] in "LNM":  # a letter, digit or mark of a script
            out.append(char.lower())
        # other non-ASCII signs (’, «, ・) are dropped, as slugify drops them
    return re.sub(r"-+", "-", "".join(out)).strip("-") or "section"


def _ascii(char: str) -> str:
    return unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")


def page_anchor(path: str) -> str:
    """The document id of a page, derived from its path alone so links can be made early."""
    stem = path[:-3] if path.endswith(".md") else path
    return "p-" + anchor_slug(stem)
