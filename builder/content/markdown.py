"""The Markdown engine: CommonMark + GFM (tables, strikethrough, task lists, autolinks,
footnotes) with raw HTML, and GitBook's `$$…$$` math, which is both inline and block.

Rendered block elements carry their source line (a `data-gp-line-…` attribute, or a
`<!--gp-line-…:N-->` comment before raw HTML) so that the post-processing can report
file:line; html.py removes both.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from mdit_py_plugins.gfm import gfm_plugin

from builder.content.tex import tex_to_html

# The markers carry a token drawn per process, so that a page cannot forge them.
TOKEN = secrets.token_hex(6)
LINE_ATTR = f"data-gp-line-{TOKEN}"
SRC_ATTR = f"data-gp-src-{TOKEN}"
LINE_COMMENT = f"gp-line-{TOKEN}:"
BLOCK_COMMENT = f"gp-block-{TOKEN}:"


def _math_inline(state: StateInline, silent: bool) -> bool:
    """`$$…$$` on one inline run; a single `$` is text, and `\\$$` is escaped text."""
    src, pos = state.src, state.pos
    if not src.startswith("$$", pos):
        return False
    end = src.find("$$", pos + 2)
    while end > 0 and src[end - 1] == "\\":  # \$ is a dollar inside the formula
        end = src.find("$$", end + 1)
    if end < 0 or end == pos + 2:
        return False
    if not silent:
        token = state.push("math_inline_double", "math", 0)
        token.content = src[pos + 2 : end].strip()
        token.markup = "$$"
    state.pos = end + 2
    return True


def _render_math(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    tex = tokens[idx].content
    label = escape(tex.replace("\n", " "))
    return f'<span class="math" role="math" aria-label="{label}">{tex_to_html(tex)}</span>'


@lru_cache(maxsize=1)
def engine() -> MarkdownIt:
    """One parser per process: building it costs more than a page."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False})
    gfm_plugin(md)
    md.options["alerts"] = False  # GitHub's "> [!NOTE]" is not GitBook's; keep it a quote
    md.inline.ruler.before("escape", "math_double", _math_inline)
    md.add_render_rule("math_inline_double", _render_math)
    return md


def to_html(text: str, first_line: int | None = None, *, lines: Sequence[int] | None = None) -> str:
    """Render Markdown text to an HTML fragment; mark source lines when told them.

    first_line is the source line of text's first line; lines, when the text was put
    together from several places, gives the source line of each of its lines.
    """
    md = engine()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    if first_line is not None or lines:
        for token in tokens:
            if token.map is None:
                continue
            index = token.map[0]
            if lines:
                line = lines[min(index, len(lines) - 1)]
            else:
                line = (first_line or 1) + index
            if token.nesting == 1:
                token.attrSet(LINE_ATTR, str(line))
            elif token.type == "html_block":
                token.content = f"<!--{LINE_COMMENT}{line}-->{token.content}"
    return str(md.renderer.render(tokens, md.options, env))
