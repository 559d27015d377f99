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
    },
}


def words(lang: str) -> dict[str, str]:
    """The wording for a language, English for any other."""
    return WORDS.get(lang, WORDS["en"])
