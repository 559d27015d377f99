"""The cards' outputs: each card read and checked once, laid out once with its bleed.

`read` runs in the reading process (no WeasyPrint); `render_cards` is the job of the card
and bleed kinds (builder.outputs): the print-shop file is the bleed layout, and
`cards/<name>.pdf` is the same pages cut to the trim. A card that fails (does not fit, an
error in its Markdown) fails its own outputs only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from builder.diagnostics import Collected
from builder.errors import GuideError
from builder.gate import current
from builder.glyphs import check_html
from builder.outputs import JobContext, Made, Output, Read, making

if TYPE_CHECKING:
    from markupsafe import Markup

    from builder.cards import Card
    from builder.project import Project

STEPS = ".guideprint-steps"  # in out/: a card's bleed layout when no print-shop file is asked


@dataclass(frozen=True)
class Checked:
    card: Card | None  # None: the card file itself is wrong (its Read has the error)
    bodies: dict[str, Markup]  # each side's HTML, read once: to check, then to render


def read(project: Project, names: list[str]) -> dict[str, Read]:
    """Each card read and checked (includes, images, icons), with what it read."""
    from builder.cards import parse_card, sides_html
    from builder.cards.edition import dated
    from builder.cards.html import stylesheets

    found = {}
    for name in names:
        diag = Collected()
        with current().recording() as seen:
            try:
                # By its file: the plan knows it exists; listing cards/ would make every
                # card depend on the others' names.
                card = parse_card(project.source / "cards" / f"{name}.md", project.settings)
                bodies = sides_html(card, diag)
                checked = Checked(dated(card, seen), bodies)  # edition: of what it just read
                text = current().read_text(card.path, errors="replace")
                file = os.path.relpath(card.path, project.root)
                check_html(f"{card.title}\n" + "\n".join(checked.bodies.values()), text, file, diag)
                for path in [*project.layouts.files("cards"), *stylesheets(card, project.layouts)]:
                    current().read_bytes(path, what="layout")
            except GuideError as exc:
                diag.add_error(exc)
                checked = Checked(None, {})
        found[f"card:{name}"] = Read(checked, dict(seen), diag)
    return found


def render_cards(outputs: list[Output], reads: dict[str, Read], ctx: JobContext) -> list[Made]:
    """Lay out each card once with its bleed, then cut it to its trim."""
    from builder.cards import render_card

    made: list[Made] = []
    names = list(dict.fromkeys(o.card for o in outputs if o.card))
    for name in names:
        mine = [o for o in outputs if o.card == name]
        shop = next((o for o in mine if o.kind.name == "bleed"), None)
        cut = next((o for o in mine if o.kind.name == "card"), None)
        checked = reads[f"card:{name}"].value
        assert checked.card is not None  # the build renders only cards read without error
        bleed = ctx.out / (shop.key if shop else f"{STEPS}/bleed/{name}.pdf")
        trim = ctx.out / cut.key if cut else None
        with making(shop.key if shop else f"{STEPS}/bleed/{name}.pdf", ctx) as laid:
            render_card(checked.card, ctx.renderer, bleed, bleed=True, bodies=checked.bodies,
                        trimmed=trim)  # fmt: skip
        if shop is not None:
            made.append(laid)
        if cut is None:
            continue
        with making(cut.key, ctx) as trimmed:  # written with the layout: its inputs, warnings
            if laid.error:
                raise GuideError(laid.error)
        trimmed.seen = {**laid.seen, **trimmed.seen}
        trimmed.diag = [*laid.diag, *trimmed.diag]
        made.append(trimmed)
    return made
