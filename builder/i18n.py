"""Fixed wording printed in outputs, by the space's language."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "contents": "Sommaire",
        "see_page": "voir p.",
        "page": "page",
        "of": "/",
        "figure": "Figure",
        "hint_info": "Information",
        "hint_success": "Bon à savoir",
        "hint_warning": "Attention",
        "hint_danger": "Danger",
        "missing_image": "Image manquante",
        "remote_image": "Image distante non incluse",
        "file": "Fichier joint",
        "embed": "Contenu en ligne",
        "step": "Étape",
        "api": "API",
        "built_on": "Version du",
        "unknown_block": "Bloc non reconnu",
        "guide": "Guide utilisateur",
        # Quick cards (layouts/cards/card.html.j2): the footer, a person's box, alt texts.
        "card_help": "Besoin d\u2019aide\u202f?",
        "card_help_short": "Aide\u00a0:",
        "card_dial": "poste",
        "card_edition": "édition",
        "card_person": "Votre poste",
        "card_extension": "Extension",
        "card_login": "Identifiant",
        "colon": "\u00a0:",
        "card_qr": "QR code\u00a0:",
        "card_logo": "Logo",
        "card_drawing": "Schéma",
        # QR code labels of the [urls] settings.
        "qr_webclient": "Client web",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Télécharger FortiClient",
        # Office sheets (builder/sheets/job.py): how to print them, in the top margin.
        "sheet_duplex": "Imprimez en recto verso, retournement sur le bord long, à l\u2019échelle"
        " 100\u202f% (taille réelle, sans «\u00a0ajuster à la page\u00a0»).",
        "sheet_simplex": "Imprimez en recto seul, à l\u2019échelle 100\u202f% (taille réelle, sans"
        " «\u00a0ajuster à la page\u00a0»).",
        "sheet_cut": "Découpez le long des traits de coupe, aux coins de chaque carte.",
        "sheet_note": "Comment imprimer les planches",
        "pack_title": "fiches de {name}",  # a welcome pack: the person's quick cards
    },
    "en": {
        "contents": "Contents",
        "see_page": "see p.",
        "page": "page",
        "of": "/",
        "figure": "Figure",
        "hint_info": "Note",
        "hint_success": "Tip",
        "hint_warning": "Warning",
        "hint_danger": "Danger",
        "missing_image": "Missing image",
        "remote_image": "Remote image not included",
        "file": "Attached file",
        "embed": "Online content",
        "step": "Step",
        "api": "API",
        "built_on": "Version of",
        "unknown_block": "Unknown block",
        "guide": "User guide",
        "card_help": "Need help?",
        "card_help_short": "Help:",
        "card_dial": "ext.",
        "card_edition": "edition",
        "card_person": "Your phone",
        "card_extension": "Extension",
        "card_login": "Login",
        "colon": ":",
        "card_qr": "QR code:",
        "card_logo": "Logo",
        "card_drawing": "Drawing",
        "qr_webclient": "Web client",
        "qr_play_store": "Google Play (Android)",
        "qr_app_store": "App Store (iPhone)",
        "qr_vpn_portal": "Download FortiClient",
        "sheet_duplex": "Print double-sided, flip on the long edge, at 100% scale (actual size,"
        " not \u201cfit to page\u201d).",
        "sheet_simplex": "Print single-sided at 100% scale (actual size, not"
        " \u201cfit to page\u201d).",
        "sheet_cut": "Cut along the cut marks at the corners of each card.",
        "sheet_note": "How to print the sheets",
        "pack_title": "quick cards for {name}",
    },
}


def words(lang: str) -> dict[str, str]:
    """The wording for a language, English for any other."""
    return WORDS.get(lang, WORDS["en"])


# The commonest short words of the languages told apart by their words (builder.content
# .language for a page, builder.project.guess_language for a space).
FUNCTION_WORDS = {
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "sie", "den", "auf", "für",
           "ein", "eine", "dem", "wird", "werden", "sich", "auch", "von", "oder", "kann"},
    "es": {"el", "los", "las", "del", "por", "para", "una", "con", "como", "más", "está",
           "pero", "este", "esta", "puede", "también", "sus", "y"},
    "pt": {"os", "dos", "das", "não", "uma", "para", "com", "em", "ao", "você", "são", "pode",
           "também", "seu", "sua", "mais", "como", "está"},
    "it": {"il", "della", "delle", "che", "di", "per", "non", "sono", "gli", "nel", "alla",
           "anche", "questo", "può", "essere", "come", "più"},
    "nl": {"het", "een", "van", "niet", "met", "voor", "zijn", "op", "dat", "wordt", "worden",
           "kunt", "ook", "deze", "naar", "bij"},
    "fr": {"le", "la", "les", "des", "est", "vous", "pour", "une", "et", "dans", "pas", "sur",
           "avec", "qui"},
    "en": {"the", "and", "is", "you", "for", "to", "of", "with", "your", "this", "that", "are",
           "can", "be"},
}  # fmt: skip
