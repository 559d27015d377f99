"""The language a page is written in, when its script says so: Korean, Japanese, Chinese,
Arabic, Hebrew, Hindi, Thai.

Settings name one language for the whole space (fr or en: wording, hyphenation, spacing);
a page in another script still needs its own: the CJK face that draws its Han characters
the way its language writes them, right-to-left paragraphs, no French spacing. Told by the
characters alone, without a dictionary: a script is the page's when it writes a good part of
its letters (code and links left out).
"""

from __future__ import annotations

import re

# Each script with the language it is taken for, in the order they are told apart: kana
# make Han text Japanese, Hangul makes it Korean.
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
OTHERS = (
    ("ar", re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")),
    ("he", re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")),
    ("hi", re.compile("[\u0900-\u097f]")),
    ("th", re.compile("[\u0e00-\u0e7f]")),
)
RTL = frozenset({"ar", "he", "fa", "ur"})
SHARE = 0.3  # of a page's letters, for its script to be the page's
SAMPLE = 20_000  # characters read: the start of a page tells its language as well as all of it
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`|\]\([^)]*\)|<[^>]*>|https?://\S+", re.S)


def detect(text: str) -> str | None:
    """The language of text when its script tells it, else None (the settings' language)."""
    text = CODE.sub(" ", text[:SAMPLE])
    letters = sum(1 for c in text if c.isalpha())
    if letters < 4:
        return None
    least = SHARE * letters
    hangul, kana, han = (len(p.findall(text)) for p in (HANGUL, KANA, HAN))
    if hangul >= least:
        return "ko"
    if kana and kana + han >= least:
        return "ja"
    if han >= least:
        return "zh"
    for lang, pattern in OTHERS:
        if len(pattern.findall(text)) >= least:
            return lang
    return None


def direction(lang: str) -> str:
    """The writing direction of a language: "rtl" or "ltr"."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"
