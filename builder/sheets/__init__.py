"""Imposition on print sheets with pypdf: office card sheets, print-shop files, manual booklet.

Every function reads PDFs the build wrote, writes one PDF atomically and returns a report.
The names below are imported on first use: the geometry (builder.sheets.geometry) is used by
the cards' own cut to the trim, which has no reason to load pypdf (70 ms).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing's, without importing typing
if TYPE_CHECKING:
    from builder.sheets.bleed import BleedReport, trim_card
    from builder.sheets.booklet import BookletReport, booklet_order, impose_booklet
    from builder.sheets.geometry import A4, A4_LANDSCAPE, BLEED_MM, SRA3
    from builder.sheets.imposition import (
        Group,
        SheetsReport,
        impose_cards,
        impose_copies,
        impose_print_shop,
    )

_WHERE = {
    "BLEED_MM": "geometry", "BleedReport": "bleed", "trim_card": "bleed",
    "BookletReport": "booklet", "booklet_order": "booklet", "impose_booklet": "booklet",
    "A4": "geometry", "A4_LANDSCAPE": "geometry", "SRA3": "geometry",
    "Group": "imposition", "SheetsReport": "imposition", "impose_cards": "imposition",
    "impose_copies": "imposition", "impose_print_shop": "imposition",
}  # fmt: skip

__all__ = [
    "A4",
    "A4_LANDSCAPE",
    "BLEED_MM",
    "SRA3",
    "BleedReport",
    "BookletReport",
    "Group",
    "SheetsReport",
    "booklet_order",
    "impose_booklet",
    "impose_cards",
    "impose_copies",
    "impose_print_shop",
    "trim_card",
]


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
