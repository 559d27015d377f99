"""The print sheets' outputs, imposed with pypdf from the cards' bleed layouts.

The job of the office-sheet, shop-sheet and copies kinds (builder.outputs). It runs after
the cards' job, from the bleed files in out/: what it reads of them is in its ledger entry.
Office sheets say in their top margin, in the space's language, how to print and cut them:
that note is laid out once per run by WeasyPrint (the fonts of the cards) and drawn by pypdf.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from builder.gate import current
from builder.i18n import words
from builder.outputs import BY_NAME, JobContext, Made, Output, Read, making

if TYPE_CHECKING:
    from builder.pdf import Renderer

STEPS = ".guideprint-steps"
OFFICE_MARGIN_MM = 5.0  # impose_cards' default margin: the note starts there
NOTE_CSS = """@page { size: %(w)gmm %(h)gmm; margin: 0; }
body { margin: 0; font-family: "GP Sans"; font-size: 8pt; line-height: 1.3; color: #000; }
.note { padding: %(m)gmm %(m)gmm 0; height: %(n)gmm; overflow: hidden; }
.note + .note { break-before: page; }
p { margin: 0; } strong { font-weight: bold; }"""


def bleed_of(out: Path, name: str) -> Path:
    """A card's bleed layout: its print-shop file when there is one, else the build's step."""
    shop = out / BY_NAME["bleed"].path.format(card=name)
    return shop if current().is_file(shop) else out / STEPS / "bleed" / f"{name}.pdf"


def render_sheets(outputs: list[Output], reads: dict[str, Read], ctx: JobContext) -> list[Made]:
    """Office sheets (every card, or N copies of one) and the print-shop SRA3 sheet."""
    from builder.sheets import impose_cards, impose_copies, impose_print_shop

    every = [bleed_of(ctx.out, name) for name in ctx.cards]
    made = []
    note: Path | None = None
    for output in outputs:
        with making(output.key, ctx) as one:
            target = ctx.out / output.key
            if output.kind.name == "shop-sheet":
                impose_print_shop(every, target)
                made.append(one)
                continue
            note = note or print_note(ctx)
            if output.kind.name == "office-sheet":
                impose_cards(every, target, note=note)
            else:
                assert output.card is not None
                impose_copies(
                    bleed_of(ctx.out, output.card), target, copies=output.copies, note=note
                )
        made.append(one)
    return made


def print_note(ctx: JobContext) -> Path:
    """This run's note for office sheets (out/.guideprint-steps/sheets/): how to print."""
    lang = ctx.project.settings.language
    target = ctx.out / STEPS / "sheets" / f"print-note-{lang}.pdf"
    return write_note(ctx.renderer, lang, target)


def write_note(renderer: Renderer, lang: str, target: Path) -> Path:
    """Lay out how to print an office sheet: page 1 duplex, page 2 one-sided; its PDF."""
    from builder.pdf import Metadata
    from builder.sheets.geometry import A4
    from builder.sheets.imposition import NOTE_MM

    sizes = {"w": A4[0], "h": A4[1], "m": OFFICE_MARGIN_MM, "n": NOTE_MM}
    css = renderer.stylesheet(NOTE_CSS % sizes, target.parent)
    document = renderer.render(note_html(lang), target.parent, [css], source=STEPS)
    renderer.write(document, target, Metadata(title=words(lang)["sheet_note"], lang=lang))
    return target


def note_html(lang: str) -> str:
    """The two pages of the note in a language: how to print (duplex, one-sided), and cut."""
    w = words(lang)
    pages = [
        f'<div class="note"><p><strong>{html.escape(w[how])}</strong></p>'
        f"<p>{html.escape(w['sheet_cut'])}</p></div>"
        for how in ("sheet_duplex", "sheet_simplex")
    ]
    return f'<!DOCTYPE html><html lang="{html.escape(lang)}"><body>{"".join(pages)}</body></html>'
