"""One person's pack: their cards then the manual, merged by pypdf, with bookmarks."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    BooleanObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from builder.config import Settings
from builder.gate import current
from builder.output import write_bytes
from builder.welcome.people import Person

# Mail servers commonly cap messages near 10-25 MB; IT asked for packs that stay small.
MAX_PACK_BYTES = 2_000_000
MANUAL_LABEL = {"fr": "Guide utilisateur", "en": "User guide"}
PACK_NAME = {"fr": "bienvenue-{slug}.pdf", "en": "welcome-{slug}.pdf"}


@dataclass(frozen=True)
class PackMeta:
    """What the pack PDF says about itself."""

    title: str
    author: str
    subject: str
    lang: str
    manual_label: str


def pack_meta(settings: Settings, person: Person) -> PackMeta:
    """Metadata of a person's pack: the guide's title with their name."""
    title = f"{settings.title} — {person.name}" if settings.title else person.name
    return PackMeta(
        title=title,
        author=settings.organisation,
        subject=settings.description,
        lang=settings.language,
        manual_label=MANUAL_LABEL.get(settings.language, MANUAL_LABEL["en"]),
    )


def pack_name(settings: Settings, person: Person) -> str:
    """File name of the pack, also the attachment's name."""
    return PACK_NAME.get(settings.language, PACK_NAME["en"]).format(slug=person.slug)


def read_pdf(path: Path, what: str = "PDF") -> PdfReader:
    """A PDF of out/ (a card, the manual), read through the gate."""
    return PdfReader(io.BytesIO(current().read_bytes(path, what=what)))


def card_title(card: Path, reader: PdfReader | None = None) -> str:
    """A card's bookmark title: its PDF title, else its file name."""
    meta = (reader or read_pdf(card, "card")).metadata
    title = meta.title if meta is not None else None
    return title.strip() if title and title.strip() else card.stem


def assemble(cards: Sequence[Path], manual: PdfReader, meta: PackMeta) -> bytes:
    """Merge cards (one bookmark each) and the manual (its outline nested) into PDF bytes."""
    writer = PdfWriter()
    for card in cards:
        reader = read_pdf(card, "card")
        writer.append(reader, outline_item=card_title(card, reader), import_outline=False)
    writer.append(manual, outline_item=meta.manual_label, import_outline=True)
    info = {"/Title": meta.title, "/Author": meta.author, "/Subject": meta.subject}
    writer.add_metadata({k: v for k, v in info.items() if v} | {"/Creator": "guideprint"})
    stable_fonts(writer)
    # Cards and manual often carry the same objects (logo, icons, colour profile): once is enough.
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    writer.root_object[NameObject("/Lang")] = TextStringObject(meta.lang)
    writer.page_mode = "/UseOutlines"  # open with the bookmarks showing
    prefs = writer.create_viewer_preferences()
    prefs[NameObject("/DisplayDocTitle")] = BooleanObject(True)  # title, not file name
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def write_pack(cards: Sequence[Path], manual: PdfReader, meta: PackMeta, target: Path) -> bytes:
    """Assemble the pack and write it atomically; return its bytes."""
    data = assemble(cards, manual, meta)
    write_bytes(target, data)
    return data


def stable_fonts(writer: PdfWriter) -> int:
    """Give every embedded TrueType/OpenType font the modification time it was made with;
    return how many were changed.

    fontTools stamps each subset it saves with the time of the save (`head.modified`, and
    the checksums that cover it): the same card rendered a second later is other bytes, so
    the send journal would take an unchanged pack for a new one. A pack is then the same
    bytes for the same pages, and identical subsets of two cards become one object.
    """
    changed = 0
    seen: set[int] = set()
    for page in writer.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for font in (fonts.get_object() if fonts is not None else {}).values():
            for descriptor in _descriptors(font.get_object()):
                for key in ("/FontFile2", "/FontFile3"):
                    stream = descriptor.get(key)
                    if stream is None or id(stream.get_object()) in seen:
                        continue
                    seen.add(id(stream.get_object()))
                    changed += _stable_font(stream.get_object())
    return changed


def _descriptors(font: DictionaryObject) -> list[DictionaryObject]:
    """The font descriptors of a font (a Type0 font's are in its descendant)."""
    found = []
    for item in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
        descriptor = item.get("/FontDescriptor")
        if descriptor is not None:
            found.append(descriptor.get_object())
    return found


def _stable_font(stream: StreamObject) -> int:
    data = stream.get_data()
    if data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        return 0  # a bare CFF program (FontFile3 /Type1C) has no timestamp
    try:
        font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
        head = font["head"]
        if head.modified == head.created:
            return 0
        head.modified = head.created
        out = io.BytesIO()
        font.save(out, reorderTables=False)
    except (TTLibError, KeyError, ValueError, AssertionError):
        return 0  # not ours to repair: the font stays as WeasyPrint wrote it
    stream.set_data(out.getvalue())
    if "/Length1" in stream:
        stream[NameObject("/Length1")] = NumberObject(len(out.getvalue()))
    return 1
