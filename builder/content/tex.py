"""GitBook's `$$…$$` TeX made readable on paper without a TeX engine.

Greek letters and common operators become Unicode, `^`/`_` become <sup>/<sub>, `\\frac`
and `\\sqrt` become a slash and a radical. Anything unknown is printed as written, so the
reader still sees the formula's source rather than nothing.
"""

# ruff: noqa: RUF001  (the mathematical symbols are meant)

from __future__ import annotations

import re
from html import escape

SYMBOLS: dict[str, str] = {
    **{
        name: chr(code)
        for name, code in (
            ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4),
            ("epsilon", 0x3B5), ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7),
            ("theta", 0x3B8), ("iota", 0x3B9), ("kappa", 0x3BA), ("lambda", 0x3BB),
            ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
            ("sigma", 0x3C3), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3C6),
            ("varphi", 0x3C6), ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9),
            ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B),
            ("Xi", 0x39E), ("Pi", 0x3A0), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8),
            ("Omega", 0x3A9),
        )
    },
    "times": "×", "cdot": "·", "div": "÷", "pm": "±", "mp": "∓", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "equiv": "≡", "sim": "∼",
    "infty": "∞", "sum": "∑", "prod": "∏", "int": "∫", "partial": "∂", "nabla": "∇",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "Leftarrow": "⇐",
    "leftrightarrow": "↔", "Leftrightarrow": "⇔", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "emptyset": "∅",
    "cdots": "⋯", "ldots": "…", "dots": "…", "circ": "∘", "degree": "°", "prime": "′",
    "sharp": "♯", "flat": "♭", "natural": "♮", "neg": "¬", "land": "∧", "lor": "∨",
    "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉",
    "quad": "\u2003", "qquad": "\u2003\u2003", ",": "\u2009", ";": "\u2005", ":": "\u2005",
    "!": "", " ": " ", "{": "{", "}": "}", "%": "%", "$": "$", "&": "&", "#": "#", "_": "_",
    "\\": "\n", "log": "log", "ln": "ln", "sin": "sin", "cos": "cos", "tan": "tan",
    "exp": "exp", "lim": "lim", "max": "max", "min": "min", "mod": "mod",
}  # fmt: skip
# Commands whose argument is printed as is; \left/\right only size a delimiter.
TEXT_COMMANDS = frozenset(
    {"text", "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "textbf", "textit",
     "operatorname", "boldsymbol", "mathbb", "mathcal", "displaystyle", "left", "right",
     "big", "Big", "bigg", "Bigg"}
)  # fmt: skip
TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}^_])|([^\\{}^_]+)", re.S)


def tex_to_html(tex: str) -> str:
    """Readable HTML for a TeX formula (escaped; only <sup>, <sub> and <br> are added)."""
    tokens = [m.group(0) for m in TOKEN.finditer(tex)]
    out, _ = _sequence(tokens, 0, stop=None)
    return out.strip().replace("\n", "<br>")


def _sequence(tokens: list[str], i: int, stop: str | None) -> tuple[str, int]:
    parts: list[str] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok == stop:
            return "".join(parts), i + 1
        piece, i = _atom(tokens, i)
        parts.append(piece)
    return "".join(parts), i


def _atom(tokens: list[str], i: int) -> tuple[str, int]:
    """One unit: a group, a script, a command with its arguments, or plain text."""
    tok = tokens[i]
    if tok == "{":
        return _sequence(tokens, i + 1, stop="}")
    if tok in ("^", "_"):
        arg, i = _argument(tokens, i + 1)
        tag = "sup" if tok == "^" else "sub"
        return (f"<{tag}>{arg}</{tag}>" if arg else escape(tok)), i
    if tok == "}":
        return "", i + 1
    if tok.startswith("\\"):
        return _command(tok[1:], tokens, i + 1)
    return escape(tok.replace("&", " ").replace("~", "\u00a0")), i + 1


def _argument(tokens: list[str], i: int) -> tuple[str, int]:
    """The next group or single token, rendered."""
    if i >= len(tokens):
        return "", i
    if tokens[i] == "{":
        return _sequence(tokens, i + 1, stop="}")
    tok = tokens[i]
    if not tok.startswith("\\") and tok not in "{}^_" and len(tok) > 1:
        # A run of plain text: only its first character is the argument.
        tokens[i] = tok[1:]
        return escape(tok[0]), i
    return _atom(tokens, i)


def _command(name: str, tokens: list[str], i: int) -> tuple[str, int]:
    if name == "frac":
        num, i = _argument(tokens, i)
        den, i = _argument(tokens, i)
        return f"{_wrap(num)}/{_wrap(den)}", i
    if name == "sqrt":
        arg, i = _argument(tokens, i)
        return f"√{_wrap(arg)}", i
    if name in TEXT_COMMANDS:
        if name in ("left", "right", "big", "Big", "bigg", "Bigg"):
            return "", i  # the delimiter that follows is printed on its own
        return _argument(tokens, i)
    if name in SYMBOLS:
        return escape(SYMBOLS[name]), i
    if i < len(tokens) and tokens[i] == "{":  # unknown: printed as written, braces kept
        arg, i = _sequence(tokens, i + 1, stop="}")
        return f"{escape(chr(92) + name)}{{{arg}}}", i
    return escape("\\" + name), i


def _wrap(html: str) -> str:
    """Parenthesise a fraction's part unless it is a single symbol or number."""
    plain = re.sub(r"<[^>]+>", "", html)
    return html if re.fullmatch(r"\w+|.", plain) else f"({html})"
