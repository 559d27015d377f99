"""French typography, applied to text when rendering (content files stay as written)."""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space, before ; ! ? and inside « » in French

_RULES_FR = [
    (re.compile(r"[ \t\u00a0]+([;!?])"), NNBSP + r"\1"),
    (re.compile(r"(?<=[\w)»\]])([;!?])(?=\s|$)"), NNBSP + r"\1"),
    (re.compile(r"[ \t\u202f]+:(?=\s|$)"), NBSP + ":"),
    (re.compile(r"«[ \t\u00a0\u202f]*"), "«" + NNBSP),
    (re.compile(r"[ \t\u00a0\u202f]*»"), NNBSP + "»"),
    (re.compile(r"(?<=\w)'(?=\w)"), "\u2019"),  # typographic apostrophe: l'extérieur
]
_RULES_EN = [(re.compile(r"(?<=\w)'(?=\w)"), "\u2019")]


def typeset(text: str, lang: str) -> str:
    """Apply the typographic spacing rules of lang to a run of text."""
    for pattern, repl in _RULES_FR if lang == "fr" else _RULES_EN:
        text = pattern.sub(repl, text)
    return text
