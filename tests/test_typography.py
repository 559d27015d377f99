"""French spacing and apostrophes, applied to text only when rendering."""

# The no-break spaces and typographic apostrophes are the point of these tests.

from __future__ import annotations

import pytest

from builder.typography import NBSP, NNBSP, typeset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vraiment ?", f"Vraiment{NNBSP}?"),
        ("Vraiment?", f"Vraiment{NNBSP}?"),
        ("Oui !", f"Oui{NNBSP}!"),
        ("a ; b", f"a{NNBSP}; b"),
        ("Note : ceci", f"Note{NBSP}: ceci"),
        ("« Bonjour »", f"«{NNBSP}Bonjour{NNBSP}»"),
        ("«Bonjour»", f"«{NNBSP}Bonjour{NNBSP}»"),
        ("l'extérieur", "l’extérieur"),
        ("Vous êtes connecté ! 🥳🥳", f"Vous êtes connecté{NNBSP}! 🥳🥳"),
    ],
)
def test_french_spacing(text: str, expected: str) -> None:
    assert typeset(text, "fr") == expected


@pytest.mark.parametrize(
    "text",
    [
        "12:30",
        "https://example.com/a?b=1;c=2",
        "http://x.fr:8080/",
        "C:\\Users",
        "?",
        "'quoted'",
        "1;2",
    ],
)
def test_french_leaves_alone(text: str) -> None:
    assert typeset(text, "fr") == text


def test_english_only_curls_apostrophes() -> None:
    assert typeset("It's 12:30; really? Yes! « x »", "en") == "It’s 12:30; really? Yes! « x »"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_idempotent(lang: str) -> None:
    text = "« Test » : l'outil ; vraiment ? Oui !"
    once = typeset(text, lang)
    assert typeset(once, lang) == once
