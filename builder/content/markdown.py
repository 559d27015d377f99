"""The Markdown engine: CommonMark + GFM (tables, strikethrough, task lists, autolinks,
footnotes) with raw HTML, and GitBook's `$$…$$` math, which is both inline and block."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.gfm import gfm_plugin


def _math_inline(state: StateInline, silent: bool) -> bool:
    """`$$…$$` on one inline run; a single `$` is text, and `\\$$` is escaped text."""
    src, pos = state.src, state.pos
    if not src.startswith("$$", pos):
        return False
    end = src.find("$$", pos + 2)
    if end < 0 or end == pos + 2:
        return False
    if not silent:
        token = state.push("math_inline_double", "math", 0)
        token.content = src[pos + 2 : end].strip()
        token.markup = "$$"
    state.pos = end + 2
    return True


def _render_math(
    self: Any, tokens: list[Any], idx: int, options: Any, env: Any
) -> str:
    tex = html.escape(tokens[idx].content)
    return f'<span class="math" role="math" aria-label="{tex}">{tex}</span>'


@lru_cache(maxsize=1)
def engine() -> MarkdownIt:
    """One parser per process: building it costs more than a page."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False})
    gfm_plugin(md)
    md.options["alerts"] = False  # GitHub's "> [!NOTE]" is not GitBook's; keep it a quote
    md.inline.ruler.before("escape", "math_double", _math_inline)
    md.add_render_rule("math_inline_double", _render_math)
    return md


def to_html(text: str) -> str:
    """Render Markdown text to an HTML fragment."""
    return engine().render(text)
