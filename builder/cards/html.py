"""A card side -> one HTML document: Markdown through the guide's reader, QR codes, type scale.

No WeasyPrint here: `guideprint check` renders every card to HTML to find its mistakes.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from markupsafe import Markup

from builder.cards.keymap import mark_legend, proportions, svg_title
from builder.cards.model import (
    ICON_REF,
    MIN_BODY_PT,
    MIN_KEY_PT,
    QR_SLOT,
    Card,
    QrCode,
    Side,
    card_names,
    find_icon,
    load_card,
)
from builder.config import Settings
from builder.diagnostics import Diagnostics
from builder.errors import GuideError
from builder.gate import current
from builder.i18n import words as wording
from builder.layouts import Layouts

QR_SYMBOL_MM = 21.0  # the symbol without its quiet zone; the print rule asks for 20 at least
QR_QUIET = 4  # modules of quiet zone on each side (ISO/IEC 18004)
BLEED_MM = 3.0
SAFE_MM = 5.0  # text stays this far inside the trim
COLUMN_GAP_MM = 6.0
COMPACT = ("A7", "credit-card")  # sizes whose footer is one short flow: help number, edition
CALLOUT_PT = 8.5  # the numbers of a key map, in their circles: legible, never under 8 pt
LOGO_MM = {"full": (4.5, 30.0), "compact": (3.2, 18.0)}  # height, widest: small, in the footer
DRAWING_SHARE = 0.36  # of the card's height at most, for a key map's drawing
# A personal card (welcome packs) also prints its owner's box on the front: the drawing gives
# it room (the Yealink card was 8 mm too long at 8 pt with the box and the full drawing).
PERSONAL_DRAWING_SHARE = 0.27
PERSON_KEYS = ("name", "extension", "login")
SLOT = '<div class="qr-slot"></div>'  # where `<!-- qr -->` was; comments do not survive the reader


@dataclass(frozen=True)
class Scale:
    """Every font size of a card, derived from the body size and held above the minimums."""

    body: float
    width_mm: float  # the card's: the title is sized to it, not to the text

    @property
    def sizes(self) -> dict[str, float]:
        b = self.body
        return {
            "body": b,
            "key": max(MIN_KEY_PT, b * 1.3),  # key names, numbers to dial
            "heading": max(MIN_BODY_PT, b * 1.2),
            "title": min(22.0, max(MIN_KEY_PT, self.width_mm * 0.15)),
            "subtitle": max(MIN_BODY_PT, b),
            "small": MIN_BODY_PT,  # footer, QR captions: fixed, so the footer never grows
            "callout": max(MIN_BODY_PT, CALLOUT_PT),
        }

    def css(self) -> str:
        """CSS custom properties read by layouts/cards/card.css."""
        return " ".join(f"--{k}: {v:.2f}pt;" for k, v in self.sizes.items())


@dataclass(frozen=True)
class Part:
    """One item of a footer line: words, then a value in its own style ("poste" "100")."""

    text: str
    value: str
    kind: str  # name, dial, email, org, edition: the value's class in card.css


@dataclass(frozen=True)
class Image:
    """An image the template draws: a data: URL and its text alternative (tagged PDFs)."""

    uri: str
    alt: str
    width_mm: float = 0.0  # as printed, when the template sizes it from here
    height_mm: float = 0.0


@dataclass(frozen=True)
class KeyMap:
    """A key map's drawing as printed: its size in millimetres and the callouts on it."""

    image: Image
    width_mm: float
    height_mm: float
    callouts: tuple[tuple[int, float, float], ...]  # number, x %, y %


@dataclass(frozen=True)
class QrImage:
    label: str
    url: str
    printed_url: str  # the URL as printed under the code ("" for none)
    uri: str  # data: URL of a vector SVG
    size_mm: float  # printed width = height, quiet zone included
    error: str  # error correction level actually used (M or higher)


def markdown(card: Card, side: Side, diag: Diagnostics) -> Markup:
    """Render one side's Markdown with the guide's reader; icons become inline SVG."""
    from builder.content.render import render_markdown  # the reader: only when reading

    text = ICON_REF.sub(lambda m: _icon_tag(m.group(1), m.group(2), card.project), side.markdown)
    text = QR_SLOT.sub(SLOT, text)
    rendered = render_markdown(
        text,
        source=card.path,
        root=card.space,
        diag=diag,
        first_line=side.first_line,
        lang=card.settings.language,
    )
    body = rendered.html
    if card.callouts and side is card.front:
        body = mark_legend(body, card.callouts, _display(card))
    # Safe: the reader sanitised it. Person data never goes through here: it is escaped.
    return Markup(body)


def sides_html(card: Card, diag: Diagnostics) -> dict[str, Markup]:
    """Each side's HTML by side name ("front", "back"): the card read and checked."""
    found = {"front": markdown(card, card.front, diag)}
    if card.back is not None:
        found["back"] = markdown(card, card.back, diag)
    return found


@lru_cache(maxsize=64)
def qr_image(code: QrCode) -> QrImage:
    """A vector QR code, error level M or better, symbol QR_SYMBOL_MM wide plus quiet zone."""
    qr = segno.make(code.url, error="m", micro=False)  # boost_error raises the level when free
    modules = qr.symbol_size(border=0)[0]
    uri = qr.svg_data_uri(border=QR_QUIET, dark="#000", light="#fff", omitsize=True)
    size = QR_SYMBOL_MM * (modules + 2 * QR_QUIET) / modules
    # Zero-width spaces let a long URL break after / . : and nowhere else.
    printed = re.sub(r"(?<=[/.:])(?=.)", "\u200b", code.url) if code.show_url else ""
    return QrImage(code.label, code.url, printed, uri, round(size, 2), str(qr.error).upper())


def page_css(card: Card, scale: Scale, *, bleed: bool) -> str:
    """The per-render rules: page size and bleed, accent colours, type sizes."""
    w, h = card.size_mm
    on_accent = text_on(card.accent)
    rules = [
        f"@page {{ size: {w:g}mm {h:g}mm; margin: 0; bleed: {BLEED_MM if bleed else 0:g}mm; }}",
        f":root {{ --accent: {card.accent}; --on-accent: {on_accent}; {scale.css()} }}",
    ]
    if bleed:
        # Colour bands touching the trim run on into the bleed: the cut may wander.
        rules.append(
            f".bleed-edge {{ margin: -{BLEED_MM:g}mm -{BLEED_MM:g}mm 0;"
            f" padding: {BLEED_MM:g}mm {BLEED_MM:g}mm 0; }}"
        )
    if columns(card) > 1:
        rules.append(f"main {{ column-count: {columns(card)}; column-gap: {COLUMN_GAP_MM:g}mm; }}")
    return "\n".join(rules)


def columns(card: Card) -> int:
    """Two columns on a wide card (A5, landscape A6): lines stay short enough to read."""
    return 2 if card.size_mm[0] > 120 else 1


def document(
    card: Card,
    side: str,
    body: Markup,
    layouts: Layouts,
    *,
    body_pt: float,
    person: dict[str, str] | None = None,
    bleed: bool = False,
) -> str:
    """The HTML of one side of a card at a given body size."""
    # A variant without its own template is the shared one with its own stylesheet.
    template = layouts.env.select_template([f"cards/{card.layout}.html.j2", "cards/card.html.j2"])
    lang = card.settings.language
    before, _, after = body.partition(SLOT)
    return template.render(
        card=card,
        side=side,
        body=Markup(before),  # the two parts of the reader's sanitised HTML
        body_after=Markup(after),
        lang=lang,
        words=wording(lang),
        # Ours: sizes, colours and numbers only.
        page_css=Markup(page_css(card, Scale(body_pt, card.size_mm[0]), bleed=bleed)),
        icon=icon_image(card.icon) if card.icon else None,
        logo=logo_image(card),
        footer=footer_lines(card),
        compact=card.size in COMPACT,
        columns=columns(card),
        keymap=keymap(card, personal=person is not None) if side == "front" else None,
        qr=[qr_image(code) for code in card.qr] if side == "front" else [],
        person=check_person(person) if side == "front" else None,
        settings=card.settings,
    )


def footer_lines(card: Card) -> list[list[Part]]:
    """The footer's lines, each a list of parts; an empty field is no part at all.

    A5 and A6: who to call and their numbers, then the email, the organisation (unless the
    logo says it) and the edition. A7 and credit card: one way to call (the extension, else
    the phone, the email, the name) and the edition.
    `footer: false`: the edition only. The separators are drawn by card.css between parts,
    never at either end of a printed line, however the parts wrap.
    """
    w = wording(card.settings.language)
    desk = card.settings.helpdesk
    edition = [Part(w["card_edition"], card.edition, "edition")] if card.edition else []
    if not card.footer:
        return [edition] if edition else []
    reach = _parts((w["card_dial"], desk.extension, "dial"), ("", desk.phone, "dial"))
    if card.size in COMPACT:  # one way to reach the help desk: the first there is
        ways = reach or _parts(("", desk.email, "email"), ("", desk.name, "name"))
        short = ways[:1]
        return [line for line in [_lead(w["card_help_short"], short) + edition] if line]
    org = "" if card.logo else card.settings.organisation
    help_line = _lead(w["card_help"], _parts(("", desk.name, "name")) + reach)
    contact = _parts(("", desk.email, "email"), ("", org, "org")) + edition
    return [line for line in (help_line, contact) if line]


def _parts(*items: tuple[str, str, str]) -> list[Part]:
    return [Part(text, value.strip(), kind) for text, value, kind in items if value.strip()]


def _lead(lead: str, parts: list[Part]) -> list[Part]:
    """parts with lead ("Besoin d'aide ?") before the first one's words; [] when none."""
    if not parts:
        return []
    first = parts[0]
    text = f"{lead} {first.text}".strip()
    return [Part(text, first.value, first.kind), *parts[1:]]


def logo_image(card: Card) -> Image | None:
    """The settings' logo for this card, its text alternative the organisation's name."""
    if card.logo is None:
        return None
    data = current().read_bytes(card.logo, what="logo")
    w = wording(card.settings.language)
    title = svg_title(data) if card.logo.suffix.lower() == ".svg" else ""
    alt = card.settings.organisation or title or w["card_logo"]
    width, height = proportions(card.logo, data)
    high, wide = LOGO_MM["compact" if card.size in COMPACT else "full"]
    size = min(high, wide * height / width)  # a very wide logo: as wide as allowed, lower
    return Image(_data_uri(data, _mime(card.logo)), alt, round(size * width / height, 2), size)


def keymap(card: Card, *, personal: bool = False) -> KeyMap | None:
    """A key-map card's drawing, as wide as its column allows and DRAWING_SHARE tall at most
    (less on a personal card, whose front also holds its owner's box)."""
    drawing = card.drawing
    if drawing is None:
        return None
    width, height = keymap_size(card, PERSONAL_DRAWING_SHARE if personal else DRAWING_SHARE)
    data = current().read_bytes(drawing.path, what="image")
    image = Image(_data_uri(data, _mime(drawing.path)), drawing.alt)
    callouts = tuple((c.number, c.x, c.y) for c in card.callouts)
    return KeyMap(image, width, height, callouts)


def keymap_size(card: Card, share: float = DRAWING_SHARE) -> tuple[float, float]:
    """The printed width and height of a key map's drawing, in millimetres."""
    assert card.drawing is not None
    cols = columns(card)
    w, h = card.size_mm
    column = (w - 2 * SAFE_MM - (cols - 1) * COLUMN_GAP_MM) / cols
    width = min(column, h * share / card.drawing.ratio)
    return round(width, 2), round(width * card.drawing.ratio, 2)


def stylesheets(card: Card, layouts: Layouts) -> list[Path]:
    """The shared card stylesheet, then the layout variant's own if it has one."""
    files = [layouts.path("cards/card.css")]
    try:
        files.append(layouts.path(f"cards/{card.layout}.css"))
    except FileNotFoundError:
        pass
    return list(dict.fromkeys(files))


def check_person(person: dict[str, str] | None) -> dict[str, str] | None:
    """Keep the known fields of a person; the template escapes every one of them."""
    if person is None:
        return None
    unknown = set(person) - set(PERSON_KEYS)
    if unknown:
        raise ValueError(f"unknown person fields: {', '.join(sorted(unknown))}")
    return {k: str(person.get(k, "")).strip() for k in PERSON_KEYS}


def icon_image(path: Path) -> Image:
    """An icon as a data: URL (nothing for the sandboxed fetcher to read) and its text
    alternative: the SVG's <title>, else its name."""
    data = current().read_bytes(path, what="icon")
    return Image(_data_uri(data), svg_title(data) or path.stem)


@lru_cache(maxsize=64)
def _data_uri(data: bytes, mime: str = "image/svg+xml") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _mime(path: Path) -> str:
    return "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"


def _display(card: Card) -> str:
    try:
        return card.path.relative_to(card.project).as_posix()
    except ValueError:
        return str(card.path)


def text_on(colour: str) -> str:
    """White or near-black, whichever contrasts more with colour (WCAG luminance)."""
    dark = "#111111"
    ratio_white = 1.05 / (_luminance(colour) + 0.05)
    ratio_dark = (_luminance(colour) + 0.05) / (_luminance(dark) + 0.05)
    return "#ffffff" if ratio_white >= ratio_dark else dark


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _icon_tag(alt: str, name: str, project: Path) -> str:
    path = find_icon(name, project)
    assert path is not None  # the loader refused unknown icons
    image = icon_image(path)  # no alt in the Markdown: the icon's own title (tagged PDFs)
    return f'<img class="icon" alt="{html.escape(alt or image.alt)}" src="{image.uri}">'


def load_cards(
    folder: Path,
    settings: Settings,
    diag: Diagnostics,
    *,
    project: Path | None = None,
    check: bool = True,
) -> list[Card]:
    """Read every card of a folder; a wrong card is recorded in diag as an error and left out.

    With `check`, each side's Markdown also goes through the reader (includes, images): its
    warnings land in diag, and no PDF is rendered.
    """
    cards = []
    for name in card_names(folder):
        try:
            card = load_card(folder, name, settings, project=project)
        except GuideError as exc:
            diag.add_error(exc)
            continue
        try:
            if check:
                sides_html(card, diag)
        except GuideError as exc:  # its Markdown is wrong (a key map's legend)
            diag.add_error(exc)
            continue
        cards.append(card)
    return cards
