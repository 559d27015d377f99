"""`{% include "path.md" %}` and guideprint's `{% include "page.md#section" %}`."""

from __future__ import annotations

import re
from dataclasses import replace
from html import escape

from builder.content.blocks import Block
from builder.content.context import Context, rel_path
from builder.content.encoding import check_mojibake
from builder.content.frontmatter import split_front_matter
from builder.content.handlers import handler, render_text
from builder.content.links import clean_url, read_text, resolve_local
from builder.content.markdown import SRC_ATTR
from builder.content.model import anchor_slug

MAX_INCLUDES = 8
# Includes one page may expand, at every depth: 20 a level over 5 levels of 2 KB of files was
# 3.2 million copies (a reader running for hours, as a YAML alias bomb would).
MAX_EXPANDED = 500
HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*$")


@handler("include")
def include(block: Block, ctx: Context) -> str:
    """The included file's body (front matter dropped), rendered in the page's context."""
    target = block.arg or block.attrs.get("src") or block.raw.strip()
    path_part, _, fragment = clean_url(target).partition("#")
    if path_part.startswith("/"):
        ctx.diag.warn(
            f"include of '{target}' (GitBook-hosted reusable content) cannot be read from the "
            "repository; kept as a reference",
            file=ctx.rel,
            line=block.line,
            hint="sync the reusable content to .gitbook/includes/ and include that file",
        )
        return f'<p class="unknown-block">{{% include "{escape(target)}" %}}</p>'
    resolved = resolve_local(path_part, ctx, block.line, what="include")
    if resolved is None:
        return ""
    if resolved.is_dir():
        ctx.diag.warn(f"include '{target}' is a folder, not a page", file=ctx.rel, line=block.line)
        return ""
    if len(ctx.includes) > MAX_INCLUDES:
        ctx.diag.error(
            f"includes nested more than {MAX_INCLUDES} deep: {target} not included",
            file=ctx.rel,
            line=block.line,
        )
        return ""
    ctx.expanded[0] += 1
    if ctx.expanded[0] > MAX_EXPANDED:
        if ctx.expanded[0] == MAX_EXPANDED + 1:  # said once per page
            ctx.diag.error(
                f"more than {MAX_EXPANDED} includes expanded in one page: {target} and the "
                "next not included",
                file=ctx.rel,
                line=block.line,
                hint="include each file once, or split the page",
            )
        return ""
    if resolved in ctx.includes:
        chain = " -> ".join(rel_path(p, ctx.root) for p in (*ctx.includes, resolved))
        ctx.diag.error(
            f"include cycle: {chain}",
            file=ctx.rel,
            line=block.line,
            hint="remove one of these includes",
        )
        return ""
    text = read_text(resolved, ctx, block.line)
    if text is None:
        return ""
    name = rel_path(resolved, ctx.root)
    _, body, offset = split_front_matter(text, file=name, diag=ctx.diag)
    check_mojibake(body, name, offset, ctx.diag)
    if fragment:
        body, offset = section(body, fragment, offset, ctx, block.line)
    inner = replace(ctx, source=resolved, includes=(*ctx.includes, resolved))
    ctx.sources[resolved] = (body, offset)
    html = render_text(body, inner, offset)
    return f'<div class="include" {SRC_ATTR}="{escape(str(resolved))}">\n{html}\n</div>'


def section(body: str, fragment: str, offset: int, ctx: Context, line: int) -> tuple[str, int]:
    """The part of a page under the heading whose slug or custom anchor is fragment.

    The heading itself is left out: the including page has its own.
    """
    lines = body.split("\n")
    fence = False
    for i, text in enumerate(lines):
        if text.lstrip().startswith(("```", "~~~")):
            fence = not fence
        m = None if fence else HEADING.match(text)
        if not m:
            continue
        anchor = re.search(r'id="([^"]+)"', m.group(2))
        title = re.sub(r"<a [^>]*>\s*</a>", "", m.group(2)).strip()
        if fragment == (anchor.group(1) if anchor else None) or (
            anchor_slug(fragment) == anchor_slug(title)
        ):
            end = _section_end(lines, i + 1, len(m.group(1)))
            return "\n".join(lines[i + 1 : end]), offset + i + 1
    ctx.diag.warn(
        f"include: no heading '#{fragment}' in the included page; whole page used",
        file=ctx.rel,
        line=line,
    )
    return body, offset


def _section_end(lines: list[str], start: int, level: int) -> int:
    fence = False
    for j in range(start, len(lines)):
        if lines[j].lstrip().startswith(("```", "~~~")):
            fence = not fence
        h = None if fence else re.match(r"(#{1,6})\s", lines[j])
        if h and len(h.group(1)) <= level:
            return j
    return len(lines)
