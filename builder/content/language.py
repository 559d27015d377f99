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

# The detector lives in builder.i18n, beside the words it tells Latin-script languages by:
# builder.project, below builder.content, guesses a space's wording language with it too.
from builder.i18n import RTL, detect, direction

__all__ = ["RTL", "detect", "direction"]
