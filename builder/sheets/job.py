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
from builder.output import atomic_path
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
    """The note for office sheets (out/.guideprint-steps/sheets/): how to print. Laid out
    again only when what it is made of changed (its words, its CSS, the fonts' files): its
    key beside it says what it was made of. Without a renderer (imposed in the reader's
    process, builder.workers.Relay), the note ahead() made here is the one used."""
    lang = ctx.project.settings.language
    target = ctx.out / STEPS / "sheets" / f"print-note-{lang}.pdf"
    if ctx.renderer is None:
        return target
    stamp, gate = target.with_suffix(".key"), current()
    key = _note_key(lang)
    # The stamp is the build's own note to itself, rewritten here: not an input of a sheet.
    stamped = gate.read_hint(stamp)
    if stamped is not None and gate.is_file(target):
        if stamped.decode("utf-8", "replace") == _stamp(key, target):
            return target
    write_note(ctx.renderer, lang, target)
    with atomic_path(stamp) as tmp:
        tmp.write_text(_stamp(key, target), encoding="ascii")
    return target


def _stamp(key: str, note: Path) -> str:
    """What the note was made of, and the file it is (a note changed since is made again)."""
    st = note.stat()
    return f"{key} {st.st_size} {st.st_mtime_ns}\n"


def ahead(outputs: list[Output], ctx: JobContext) -> None:
    """What the sheets need of the renderer, made in its process before they are imposed
    in the reader's: the print note of office sheets."""
    if any(o.kind.name != "shop-sheet" for o in outputs):
        print_note(ctx)


def warm(out: Path, cards: tuple[str, ...]) -> None:
    """In the reader's process once it has read, while this one loads WeasyPrint: pypdf
    loaded and each card's bleed file parsed ahead (kept by its hash: builder.sheets.place;
    a card laid out again meanwhile is parsed again when imposed)."""
    from builder.sheets.place import read_pdf

    for name in cards:
        if current().is_file(path := bleed_of(out, name)):
            read_pdf(path)


def _note_key(lang: str) -> str:
    import hashlib

    from builder.fonts import FACES, font_face_css
    from builder.weasy import weasyprint

    made_of = [note_html(lang), note_css(), font_face_css(), weasyprint.__version__]
    for face in FACES:
        if face.family.startswith("GP "):
            st = face.file.stat()
            made_of.append(f"{face.file}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\0".join(made_of).encode()).hexdigest()


def write_note(renderer: Renderer, lang: str, target: Path) -> Path:
    """Lay out how to print an office sheet: page 1 duplex, page 2 one-sided; its PDF."""
    from builder.pdf import Metadata

    css = renderer.stylesheet(note_css(), target.parent)
    document = renderer.render(note_html(lang), target.parent, [css], source=STEPS)
    renderer.write(document, target, Metadata(title=words(lang)["sheet_note"], lang=lang))
    return target


def note_css() -> str:
    """The note's stylesheet: an A4 page, the note in the office sheet's top margin."""
    from builder.sheets.geometry import A4, NOTE_MM

    return NOTE_CSS % {"w": A4[0], "h": A4[1], "m": OFFICE_MARGIN_MM, "n": NOTE_MM}


def note_html(lang: str) -> str:
    """The two pages of the note in a language: how to print (duplex, one-sided), and cut."""
    w = words(lang)
    pages = [
        f'<div class="note"><p><strong>{html.escape(w[how])}</strong></p>'
        f"<p>{html.escape(w['sheet_cut'])}</p></div>"
        for how in ("sheet_duplex", "sheet_simplex")
    ]
    return f'<!DOCTYPE html><html lang="{html.escape(lang)}"><body>{"".join(pages)}</body></html>'
