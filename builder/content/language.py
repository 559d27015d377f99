"""The language a page is written in, when its script says so: Korean, Japanese, Chinese,
Arabic, Hebrew, Hindi, Thai, Greek, and Russian, Ukrainian or Serbian for Cyrillic (told by
the letters only one of them writes; Russian when none), so that such a page is hyphenated
and tagged in its language, not in the settings' English or French.

Settings name one language for the whole space (fr or en: wording, hyphenation, spacing);
a page in another script still needs its own: the CJK face that draws its Han characters
the way its language writes them, right-to-left paragraphs, no French spacing. Told by the
characters alone, without a dictionary: a script is the page's when it writes a good part of
its letters (code and links left out).
"""

from __future__ import annotations

import re

from builder.i18n import FUNCTION_WORDS

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
GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
CYRILLIC = re.compile("[\u0400-\u04ff]")
# Letters of one Cyrillic language and not of Russian (and Russian's own, which they lack).
CYRILLIC_OWN = (
    ("uk", re.compile("[іїєґІЇЄҐ]")),
    ("sr", re.compile("[ђјљњћџЂЈЉЊЋЏ]")),
)
RUSSIAN_OWN = re.compile("[ыэъёЫЭЪЁ]")
# Latin-script languages told by their commonest short words (builder.i18n.FUNCTION_WORDS,
# as guess_language tells fr from en): a German, Spanish, Portuguese, Italian or Dutch page of
# an English or French space was hyphenated with the settings' patterns (or none).
WORD = re.compile(r"[^\W\d_]+")
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
    if len(CYRILLIC.findall(text)) >= least:
        russian = len(RUSSIAN_OWN.findall(text))
        own = [(len(p.findall(text)), lang) for lang, p in CYRILLIC_OWN]
        count, lang = max(own)
        return lang if count > russian else "ru"
    if len(GREEK.findall(text)) >= least:
        return "el"
    return _latin(text)


def _latin(text: str) -> str | None:
    """de, es, pt, it or nl when the page's short words clearly say so; None for French and
    English (the settings' languages, told by the project) and when unsure."""
    words = WORD.findall(text.lower())
    hits = sorted(((sum(w in said for w in words), lang) for lang, said in FUNCTION_WORDS.items()),
                  reverse=True)  # fmt: skip
    (best, lang), (second, _) = hits[0], hits[1]
    sure = best >= 10 and best >= 1.5 * second and best >= 0.04 * len(words)
    return lang if sure and lang not in ("fr", "en") else None


def direction(lang: str) -> str:
    """The writing direction of a language: "rtl" or "ltr"."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"
