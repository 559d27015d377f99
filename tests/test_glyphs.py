"""builder.glyphs: the characters no font of the set has, found from the fonts' maps."""

from __future__ import annotations

from builder import glyphs


def test_what_no_font_has_is_found_whatever_font_has_the_rest() -> None:
    text = "« Transférer » : 통화 전환 ☎ 🔒 \ue000 ∑ א \U0010fffd \ue000"
    assert glyphs.missing(text) == ["\ue000", "\U0010fffd"]  # in order, once each


def test_a_french_text_reads_one_font_map() -> None:
    glyphs.chars_of.cache_clear()
    assert glyphs.missing("« Où est l’œuf ? » — 12 €, naïve, Ça !") == []
    assert glyphs.chars_of.cache_info().currsize == 1
    assert glyphs.missing("통화") == []  # Korean: in the CJK collection, read last
    fonts = glyphs._fonts()
    collections = [f for f in fonts if f.endswith(".ttc")]
    assert collections == list(fonts[-len(collections) :])
    assert glyphs.chars_of.cache_info().currsize == len(fonts) - len(collections) + 1
