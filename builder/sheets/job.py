"""The print sheets' outputs, imposed with pypdf from the cards' bleed layouts.

The job of the office-sheet, shop-sheet and copies kinds (builder.outputs). It runs after
the cards' job, from the bleed files in out/: what it reads of them is in its ledger entry.
"""

from __future__ import annotations

from pathlib import Path

from builder.gate import current
from builder.outputs import BY_NAME, JobContext, Made, Output, Read, making

STEPS = ".guideprint-steps"


def bleed_of(out: Path, name: str) -> Path:
    """A card's bleed layout: its print-shop file when there is one, else the build's step."""
    shop = out / BY_NAME["bleed"].path.format(card=name)
    return shop if current().is_file(shop) else out / STEPS / "bleed" / f"{name}.pdf"


def render_sheets(outputs: list[Output], reads: dict[str, Read], ctx: JobContext) -> list[Made]:
    """Office sheets (every card, or N copies of one) and the print-shop SRA3 sheet."""
    from builder.sheets import impose_cards, impose_copies, impose_print_shop

    every = [bleed_of(ctx.out, name) for name in ctx.cards]
    made = []
    for output in outputs:
        with making(output.key, ctx) as one:
            target = ctx.out / output.key
            if output.kind.name == "office-sheet":
                impose_cards(every, target)
            elif output.kind.name == "shop-sheet":
                impose_print_shop(every, target)
            else:
                assert output.card is not None
                impose_copies(bleed_of(ctx.out, output.card), target, copies=output.copies)
        made.append(one)
    return made
