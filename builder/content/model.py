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


def page_anchor(path: str) -> str:
    """The document id of a page, derived from its path alone so links can be made early."""
    stem = path[:-3] if path.endswith(".md") else path
    return "p-" + slugify(stem)
