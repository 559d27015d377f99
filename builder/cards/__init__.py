"""Quick reference cards: card files -> checked Card objects -> one-page PDFs.

Importing this package imports the card model only: the HTML side (Jinja, QR codes) and the
fitting (WeasyPrint) load on first use, so `check`, `list` and a process that only reads
cards stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from builder.cards.model import (
    Card,
    QrCode,
    Side,
    card_names,
    load_card,
    parse_card,
    project_of,
)

if TYPE_CHECKING:
    from builder.cards.fit import CardResult, render_card
    from builder.cards.html import load_cards, sides_html
    from builder.cards.html import markdown as card_markdown

_LAZY = {
    "CardResult": ("builder.cards.fit", "CardResult"),
    "render_card": ("builder.cards.fit", "render_card"),
    "card_markdown": ("builder.cards.html", "markdown"),
    "sides_html": ("builder.cards.html", "sides_html"),
    "load_cards": ("builder.cards.html", "load_cards"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module), attribute)


__all__ = [
    "Card",
    "CardResult",
    "QrCode",
    "Side",
    "card_markdown",
    "card_names",
    "load_card",
    "load_cards",
    "parse_card",
    "project_of",
    "render_card",
    "sides_html",
]
