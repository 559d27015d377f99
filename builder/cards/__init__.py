"""Quick reference cards: card files -> checked Card objects -> one-page PDFs.

Importing this package does not import WeasyPrint (`guideprint check` and `list` stay fast).
"""

from builder.cards.fit import CardResult, render_card
from builder.cards.html import markdown as card_markdown
from builder.cards.html import sides_html
from builder.cards.model import (
    Card,
    QrCode,
    Side,
    card_names,
    load_card,
    load_cards,
    parse_card,
    project_of,
)

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
