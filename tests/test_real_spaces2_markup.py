"""Markup found broken on real spaces, second round: a Japanese manual (translated, with
math and <details>) printed `_強調_` after 。 with its underscores, and the text written
on the same line after a `<div><figure>…</figure></div>` (a link in it) as raw Markdown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.content.render import render_markdown
from builder.diagnostics import Diagnostics

GOLDEN = (Path(__file__).parent / "fixtures" / "spaces" / "golden").resolve()


def _html(markdown: str, lang: str = "ja") -> str:
    diag = Diagnostics()
    out = render_markdown(
        markdown, source=GOLDEN / "guide" / "page.md", root=GOLDEN, diag=diag, lang=lang
    ).html
    assert not diag.items, diag.items
    return out.strip()


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        # `_` after or before CJK punctuation is not inside a word: it opens or closes.
        ("ウィンドウ。_Windows のみ_。", "ウィンドウ。<em>Windows のみ</em>。"),
        ("です。_CLI が必要です。_", "です。<em>CLI が必要です。</em>"),
        ("「_強調_」", "「<em>強調</em>」"),
        # Between two letters it still is (CommonMark's rule for `_`).
        ("変数_名前_です", "変数_名前_です"),
        ("snake_case_名字", "snake_case_名字"),
    ],
)
def test_underscore_emphasis_next_to_cjk_punctuation(markdown: str, html: str) -> None:
    assert _html(markdown) == f"<p>{html}</p>"


def test_text_after_a_closed_html_block_on_its_line_is_markdown() -> None:
    page = (
        '<div data-full-width="false"><figure><img src="../.gitbook/assets/dark.png" alt="">'
        "<figcaption></figcaption></figure></div>"
        "説明は[MAPIR](https://example.com)の *ソフト* です。\n"
    )
    html = _html(page)
    assert "[MAPIR]" not in html
    assert '<a href="https://example.com"' in html
    assert "<em>ソフト</em>" in html
    assert html.index("</figure>") < html.index("説明は")


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ('<div class="x">a</div>\n\nText.\n', '<div class="x">a</div>\n<p>Text.</p>'),
        ("<div>a</div><div>b</div>\n", "<div>a</div><div>b</div>"),  # only HTML after it
        ("<div>a</div> \n", "<div>a</div>"),  # only spaces
        ("```html\n<div>a</div>b [x](y)\n```\n", "&lt;/div&gt;b [x](y)"),  # code
        ("    <div>a</div>b [x](y)\n", "&lt;/div&gt;b [x](y)"),  # indented code
    ],
)
def test_html_blocks_left_as_they_are(markdown: str, kept: str) -> None:
    assert kept in _html(markdown, lang="en")
