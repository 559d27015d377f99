"""One person's pack: their cards as one tagged PDF (the manual, tagged by the build, goes
beside it in the email); what the pack says about itself, and the attachments' names.

WeasyPrint 70 writes the same bytes for the same pages (its font subsets carry no time of
their own), so a pack made again from unchanged inputs is the pack the send journal knows."""

from __future__ import annotations

from dataclasses import dataclass

from builder.config import Settings
from builder.i18n import words
from builder.welcome.people import Person

# Mail servers commonly cap messages near 10-25 MB; IT asked for packs that stay small.
MAX_PACK_BYTES = 2_000_000
PACK_NAME = {"fr": "bienvenue-{slug}.pdf", "en": "welcome-{slug}.pdf"}
MANUAL_NAME = {"fr": "guide-utilisateur.pdf", "en": "user-guide.pdf"}


@dataclass(frozen=True)
class PackMeta:
    """What the pack PDF says about itself."""

    title: str
    author: str
    subject: str
    lang: str


def pack_meta(settings: Settings, person: Person) -> PackMeta:
    """Metadata of a person's pack: what it is (their quick cards; the manual is attached
    apart, under its own title) and whose, after the guide's title."""
    whose = words(settings.language)["pack_title"].format(name=person.name)
    title = f"{settings.title} — {whose}" if settings.title else whose
    return PackMeta(
        title=title,
        author=settings.organisation,
        subject=settings.description,
        lang=settings.language,
    )


def pack_name(settings: Settings, person: Person) -> str:
    """File name of the pack, also the attachment's name."""
    return PACK_NAME.get(settings.language, PACK_NAME["en"]).format(slug=person.slug)


def manual_name(settings: Settings) -> str:
    """The attachment name of the manual, beside the pack."""
    return MANUAL_NAME.get(settings.language, MANUAL_NAME["en"])
