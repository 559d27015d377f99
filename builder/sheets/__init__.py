"""Imposition on print sheets with pypdf: office card sheets, print-shop files, manual booklet.

Every function reads PDFs the build wrote, writes one PDF atomically and returns a report.
"""

from builder.sheets.bleed import BLEED_MM, BleedReport, trim_card
from builder.sheets.booklet import BookletReport, booklet_order, impose_booklet
from builder.sheets.geometry import A4, A4_LANDSCAPE, SRA3
from builder.sheets.imposition import (
    Group,
    SheetsReport,
    impose_cards,
    impose_copies,
    impose_print_shop,
)

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
