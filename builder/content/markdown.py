"""The Markdown engine: CommonMark + GFM (tables, strikethrough, task lists, autolinks,
footnotes) with raw HTML, and GitBook's `$$…$$` math, which is both inline and block.

Rendered block elements carry their source line (a `data-gp-line-…` attribute, or a
`<!--gp-line-…:N-->` comment before raw HTML) so that the post-processing can report
file:line; html.py removes both. Lists and quotes nested past markdown-it's limit are
flattened into a paragraph and reported, where markdown-it dropped the rest of the page.
"""

from __future__ import annotations

import itertools
import re
import secrets
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import isWhiteSpace
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline, emphasis
from markdown_it.rules_inline.state_inline import Delimiter, Scanned
from mdit_py_plugins.gfm import gfm_plugin

from builder.content.tex import typeset
from builder.diagnostics import Diagnostics

# The markers carry a token drawn per process, so that a page cannot forge them.
TOKEN = secrets.token_hex(6)
LINE_ATTR = f"data-gp-line-{TOKEN}"
SRC_ATTR = f"data-gp-src-{TOKEN}"
LINE_COMMENT = f"gp-line-{TOKEN}:"
BLOCK_COMMENT = f"gp-block-{TOKEN}:"
# GitBook's export writes this where there was nothing (42 times in two spaces): not an
# entity (NaN is no number), so it printed as written.
ARTEFACT = "&#xNAN;"
CUT = "gp_nesting_cut"  # env key: the lines where _FlatteningBlock flattened
MATH_WHERE = "gp_math_where"  # env key: (diag, file, source line of a token line) for math
# List and quote markers at the start of a flattened line: "> > - 1. text" -> "text".
MARKERS = re.compile(r"^(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)|>[ \t]?)+")


class _FlatteningBlock(ParserBlock):
    """markdown-it's block parser, flattening what lies past maxNesting into paragraphs.

    Its own gives up there (20 levels: ten nested lists, a list and its item count one
    each) and skips to the end of the document: everything after the deep part was lost.
    """

    def tokenize(self, state: StateBlock, start: int, end: int) -> None:
        if state.level < state.md.options.maxNesting:
            super().tokenize(state, start, end)
            return
        state.env.setdefault(CUT, []).append(start)
        line, texts = start, []
        while line < end:
            # Where the container being flattened ends, as ParserBlock.tokenize decides it.
            line = state.skipEmptyLines(line)
            if line >= end or state.sCount[line] < state.blkIndent:
                break
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
            texts.append(MARKERS.sub("", text).strip())
            line += 1
        if any(texts):
            # One paragraph, a line each: a list's paragraphs are hidden when it is tight,
            # and two of them would run into each other.
            state.push("paragraph_open", "p", 1).map = [start, line]
            inline = state.push("inline", "", 0)
            inline.content = "\\\n".join(t for t in texts if t)
            inline.map, inline.children = [start, line], []
            state.push("paragraph_close", "p", -1)
        state.line = line


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


# Chinese, Japanese and Korean letters, and their punctuation (ideographic and full-width).
CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u318f\u31a0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)


def _emphasis_cjk(state: StateInline, silent: bool) -> bool:
    """`*` and `_` runs as CommonMark's emphasis rule, except next to a CJK character, where
    punctuation on either side does not stop them, as GitBook reads them: a Chinese
    `**示例1\uff1a**将` (a full-width colon, then a letter) and a Korean `**참고:**설명` are
    bold, where CommonMark printed their asterisks. Spaces still do; `_` inside a word too."""
    marker = state.src[state.pos]
    if silent or marker not in "_*":
        return False
    start = end = state.pos
    while end < state.posMax and state.src[end] == marker:
        end += 1
    before = state.src[start - 1] if start > 0 else " "
    after = state.src[end] if end < state.posMax else " "
    if not (CJK.match(before) or CJK.match(after)):
        return emphasis.tokenize(state, silent)
    left, right = not isWhiteSpace(ord(after)), not isWhiteSpace(ord(before))
    # `_` between two letters is inside a word; next to punctuation (a Japanese
    # `。_Windows のみ_。`) it is not, and opens or closes as CommonMark's does.
    split = marker == "*"
    opens = left and (split or not right or _punctuation(before))
    closes = right and (split or not left or _punctuation(after))
    scanned = Scanned(opens, closes, end - start)
    for _ in range(scanned.length):
        token = state.push("text", "", 0)
        token.content = marker
        state.delimiters.append(
            Delimiter(ord(marker), scanned.length, len(state.tokens) - 1, -1,
                      scanned.can_open, scanned.can_close)
        )  # fmt: skip
    state.pos = end
    return True


def _punctuation(char: str) -> bool:
    """A punctuation or symbol character (CommonMark's Unicode punctuation)."""
    return unicodedata.category(char)[0] in "PS"


ESCAPED = re.compile(r"\\(?=[!-/:-@\[-`{-~])")  # a backslash before ASCII punctuation
ESCAPED_HREF = re.compile(r"%5C(?=[!#$&-/:-@\[\]^_`{-~]|%[0-9A-F]{2})")


def _autolink_escapes(state: StateCore) -> None:
    """A bare address GitBook wrote with its text's escapes (`?utm\\_source=x\\&id=1`) is the
    address without them, as GitHub and GitBook read it: the link led to `utm%5C_source`
    and printed its backslashes."""
    for block in state.tokens:
        children = block.children or []
        for opening, text in itertools.pairwise(children):
            if opening.type != "link_open" or opening.markup != "autolink" or text.type != "text":
                continue
            if "\\" in text.content:
                text.content = ESCAPED.sub("", text.content)
                opening.attrs["href"] = ESCAPED_HREF.sub("", str(opening.attrs["href"]))


def _math_display(state: StateCore) -> None:
    """A paragraph that is only a formula shows it in display style; each formula's line."""
    tokens = state.tokens
    for i, block in enumerate(tokens):
        if block.type != "inline" or not block.children:
            continue
        kids = block.children
        shown = [k.type for k in kids if k.type not in ("softbreak", "text") or k.content.strip()]
        alone = i > 0 and tokens[i - 1].type == "paragraph_open" and shown == ["math_inline_double"]
        newlines = 0
        for kid in kids:
            if kid.type == "math_inline_double":
                kid.meta = {"display": alone, "line": (block.map or [0])[0] + newlines}
            newlines += kid.type == "softbreak" or kid.content.count("\n")


def _render_math(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    formula = typeset(token.content, display=bool(token.meta.get("display")))
    where = env.get(MATH_WHERE)
    if formula.problem and where is not None:
        diag, file, line_of = where
        diag.warn(
            f"{formula.problem}, printed as source",
            file=file,
            line=line_of(token.meta.get("line", 0)) if line_of else None,
            hint=formula.hint,
        )
    return f'<span class="math">{formula.html}</span>'


@lru_cache(maxsize=1)
def engine() -> MarkdownIt:
    """One parser per process: building it costs more than a page."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False})
    gfm_plugin(md)
    md.options["alerts"] = False  # GitHub's "> [!NOTE]" is not GitBook's; keep it a quote
    md.inline.ruler.before("escape", "math_double", _math_inline)
    md.inline.ruler.at("emphasis", _emphasis_cjk)
    md.add_render_rule("math_inline_double", _render_math)
    md.core.ruler.after("inline", "math_display", _math_display)
    md.core.ruler.after("math_display", "autolink_escapes", _autolink_escapes)
    flattening = _FlatteningBlock()
    flattening.ruler = md.block.ruler  # the rules as configured above, plugins' included
    md.block = flattening
    return md


# An image whose path holds spaces, without the <…> CommonMark needs around it (legacy
# GitBook books, whose Markdown reader took them): ![alt](/Pictures/Sprache ändern/a.png).
SPACED_IMAGE = re.compile(
    r'(!\[[^\]\n]*\]\()(?!<)([^()<>"\n]*? [^()<>"\n]*?\.[A-Za-z0-9]{2,5})(\s+"[^"\n]*")?\)'
)
FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~)")


def _spaced_images(text: str) -> tuple[str, list[tuple[int, str]]]:
    """text with <…> put around the image paths that hold spaces (outside code), and the
    (line index, path) of each."""
    if "![" not in text:
        return text, []
    out, spaced, fence = [], [], False
    for index, line in enumerate(text.split("\n")):
        if FENCE_LINE.match(line):
            fence = not fence
        elif not fence and "![" in line and not line.startswith(("    ", "\t")):
            parts = line.split("`")
            for i in range(0, len(parts), 2):  # outside inline code
                found = [m.group(2).strip() for m in SPACED_IMAGE.finditer(parts[i])]
                spaced += [(index, path) for path in found]
                parts[i] = SPACED_IMAGE.sub(
                    lambda m: f"{m.group(1)}<{m.group(2).strip()}>{m.group(3) or ''})", parts[i]
                )
            line = "`".join(parts)
        out.append(line)
    return "\n".join(out), spaced


HTML_TAG = re.compile(r"<(/?)(div|figure)\b[^>]*>", re.I)


def _html_then_text(text: str) -> tuple[str, list[int]]:
    """text with a blank line put after a `<div>` or `<figure>` opening a block and closed
    on its line, when Markdown text follows it there (`<div><figure>…</figure></div>Text
    [a link](…)`, as a GitBook export or its translation wrote it): CommonMark's HTML block
    ran to the next blank line and printed that text's Markdown as written. With the
    index, in the text returned, of each line of text (for the source lines)."""
    lines = text.split("\n")
    if "</" not in text:
        return text, list(range(len(lines)))
    out: list[str] = []
    index: list[int] = []
    fence = False
    for number, line in enumerate(lines):
        if FENCE_LINE.match(line):
            fence = not fence
        rest = "" if fence or (number and lines[number - 1].strip()) else _after_block(line)
        if rest:
            head = line[: len(line) - len(rest)]
            out += [head, "", line[: len(line) - len(line.lstrip())] + rest.lstrip()]
            index += [number, number, number]
        else:
            out.append(line)
            index.append(number)
    return "\n".join(out), index


def _after_block(line: str) -> str:
    """The Markdown text after the HTML element that opens line and closes on it, or ""."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("<"):
        return ""
    depth, name = 0, ""
    for tag in HTML_TAG.finditer(stripped):
        if tag.start() == 0:
            name = tag.group(2).lower()
        if not name or tag.group(2).lower() != name:
            if not name:
                return ""
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            rest = stripped[tag.end() :]
            return rest if rest.strip() and not rest.lstrip().startswith("<") else ""
    return ""


def to_html(
    text: str,
    first_line: int | None = None,
    *,
    lines: Sequence[int] | None = None,
    diag: Diagnostics | None = None,
    file: str | None = None,
) -> str:
    """Render Markdown text to an HTML fragment; mark source lines when told them.

    first_line is the source line of text's first line; lines, when the text was put
    together from several places, gives the source line of each of its lines. Nesting
    flattened is reported to diag, when given.
    """
    md = engine()
    env: dict[str, Any] = {}
    text, split = _html_then_text(text.replace(ARTEFACT, ""))
    text, spaced = _spaced_images(text)
    tokens = md.parse(text, env)

    def source_line(index: int) -> int:
        index = split[min(index, len(split) - 1)]
        return lines[min(index, len(lines) - 1)] if lines else (first_line or 1) + index

    if spaced and diag is not None:  # once a page: a legacy book writes them all so
        index, path = spaced[0]
        more = f", and {len(spaced) - 1} more here" if len(spaced) > 1 else ""
        diag.warn(
            f"image path with spaces read as <{path}>{more}",
            file=file,
            line=source_line(index) if first_line is not None or lines else None,
            hint="write ![…](<path>): GitBook reads a path with spaces only so",
        )

    if first_line is not None or lines:
        for token in tokens:
            if token.map is None:
                continue
            line = source_line(token.map[0])
            if token.nesting == 1:
                token.attrSet(LINE_ATTR, str(line))
            elif token.type == "html_block":
                token.content = f"<!--{LINE_COMMENT}{line}-->{token.content}"
    if diag is not None:
        env[MATH_WHERE] = (diag, file, source_line if first_line is not None or lines else None)
    if diag is not None and (cuts := env.get(CUT)):
        more = f" (and {len(cuts) - 1} more places)" if len(cuts) > 1 else ""
        diag.warn(
            f"nested deeper than {md.options.maxNesting} levels; flattened{more}",
            file=file,
            line=source_line(cuts[0]) if first_line is not None or lines else None,
            hint="a list counts two levels (list and item), a quote one: lift the deepest",
        )
    return str(md.renderer.render(tokens, md.options, env))
