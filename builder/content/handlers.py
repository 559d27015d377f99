"""GitBook blocks -> print-appropriate HTML, one handler per block name.

Handlers return HTML that html.py post-processes with the rest of the page (links,
images, typography), so they only build structure and escape attribute values.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Callable
from html import escape
from pathlib import Path

from builder.content.blocks import Block, Text, parse_blocks
from builder.content.context import Context
from builder.content.links import clean_url, resolve_local
from builder.content.markdown import BLOCK_COMMENT, LINE_COMMENT, to_html
from builder.i18n import words

Handler = Callable[[Block, Context], str]
_KEYS = itertools.count()
HANDLERS: dict[str, Handler] = {}
HINT_STYLES = ("info", "success", "warning", "danger")
_KEY_RE = re.compile(re.escape(f"<!--{BLOCK_COMMENT}") + r"\d+-->")


def handler(*names: str) -> Callable[[Handler], Handler]:
    """Register a function as the renderer of the named blocks."""

    def register(func: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = func
        return func

    return register


def render_text(text: str, ctx: Context, first_line: int = 1) -> str:
    """Parse a page body's blocks and render them (the HTML still needs html.finish)."""
    tree = parse_blocks(text, file=ctx.rel, diag=ctx.diag, first_line=first_line)
    return children(tree, ctx)


def children(block: Block, ctx: Context) -> str:
    """The rendered body of a block: its Markdown with its nested blocks in place.

    The body is rendered as one Markdown text in which every nested block stands as a
    placeholder line, indented as its tag was: a block indented under a list item ends
    up inside that item, and a list around a block keeps its numbering.
    """
    lines: list[str] = []
    numbers: list[int] = []
    inserts: dict[str, tuple[int, str]] = {}  # key -> (index in lines, block HTML)
    for child in block.children:
        if isinstance(child, Text):
            lines.extend(child.lines)
            numbers.extend(range(child.first_line, child.first_line + len(child.lines)))
        else:
            key = f"<!--{BLOCK_COMMENT}{next(_KEYS)}-->"
            inserts[key] = (len(lines), render_block(child, ctx).strip("\n"))
            lines.append(child.indent + key)
            numbers.append(child.line)
    html = _markdown(lines, numbers, ctx, dedent=block.name != "root")
    # Keys looked for in one pass each: one search (and one replace) per block made a page
    # of a thousand hints quadratic.
    found = set(_KEY_RE.findall(html))
    if any(key not in found for key in inserts):
        # Indented like code where no list holds it: read the tag flush left instead.
        for key, (index, _) in inserts.items():
            if key not in found:
                lines[index] = key
        html = _markdown(lines, numbers, ctx, dedent=block.name != "root")
    return _put_back(html, inserts).strip("\n")


def _put_back(html: str, inserts: dict[str, tuple[int, str]]) -> str:
    """Replace the first placeholder of each block by its HTML."""
    done: set[str] = set()

    def value(m: re.Match[str]) -> str:
        key = m.group(0)
        if key in done or key not in inserts:
            return key
        done.add(key)
        return inserts[key][1]

    return _KEY_RE.sub(value, html)


def _markdown(lines: list[str], numbers: list[int], ctx: Context, *, dedent: bool) -> str:
    text = "\n".join(lines)
    if dedent:
        text = textwrap.dedent(text)  # a body indented under a list item reads flush left
    if not text.strip():
        return ""
    return to_html(text, lines=numbers, diag=ctx.diag, file=ctx.rel)


def render_block(block: Block, ctx: Context) -> str:
    """One block, preceded by a marker of its source line."""
    func = _integration if block.name.startswith("@") else HANDLERS.get(block.name) or _generic
    return f"<!--{LINE_COMMENT}{block.line}-->" + func(block, ctx)


def colon(ctx: Context) -> str:
    """A label's colon: French puts a no-break space before it."""
    return "\u00a0:" if ctx.lang == "fr" else ":"


def attr(block: Block, name: str, default: str = "") -> str:
    """An attribute of the block, HTML-escaped."""
    return escape(block.attrs.get(name, default))


@handler("hint")
def _hint(block: Block, ctx: Context) -> str:
    # A custom `icon` has no printed equivalent: the style's own icon is kept.
    style = block.attrs.get("style", "info")
    if style not in HINT_STYLES:
        ctx.diag.warn(f"unknown hint style '{style}', shown as info", file=ctx.rel, line=block.line)
        style = "info"
    return hint_html(style, children(block, ctx), ctx.lang)


def hint_html(style: str, body: str, lang: str) -> str:
    """The printed form of a hint."""
    label = words(lang)[f"hint_{style}"]
    return (
        f'<aside class="hint hint-{style}" role="note"><p class="hint-label">{label}</p>'
        f'<div class="hint-body">\n{body}\n</div></aside>'
    )


@handler("tabs", "code-tabs")
def _tabs(block: Block, ctx: Context) -> str:
    return f'<div class="tabs">\n{children(block, ctx)}\n</div>'


@handler("tab", "code-tabs-item")
def _tab(block: Block, ctx: Context) -> str:
    # Every tab is printed, its title first.
    return (
        f'<section class="tab"><p class="tab-title">{attr(block, "title")}</p>\n'
        f"{children(block, ctx)}\n</section>"
    )


@handler("stepper")
def _stepper(block: Block, ctx: Context) -> str:
    return f'<ol class="stepper">\n{children(block, ctx)}\n</ol>'


@handler("step")
def _step(block: Block, ctx: Context) -> str:
    return f'<li class="step">\n{children(block, ctx)}\n</li>'


@handler("code")
def _code(block: Block, ctx: Context) -> str:
    classes = ["code-block"]
    if block.attrs.get("lineNumbers") == "true":
        classes.append("line-numbers")
    if block.attrs.get("overflow") == "wrap":
        classes.append("wrap")
    title = attr(block, "title")
    caption = f'<figcaption class="code-title">{title}</figcaption>' if title else ""
    return f'<figure class="{" ".join(classes)}">{caption}\n{children(block, ctx)}\n</figure>'


@handler("embed")
def _embed(block: Block, ctx: Context) -> str:
    # Paper cannot play a video: the address is printed, with the caption.
    url = escape(block.attrs.get("url", ""))
    legacy = block.attrs.get("caption", "")  # {% embed url=… caption=… %} (2018-20)
    caption = children(block, ctx) if block.children else escape(legacy)
    label = words(ctx.lang)["embed"]
    figcaption = f"<figcaption>{caption}</figcaption>" if caption.strip() else ""
    return (
        f'<figure class="embed"><p class="embed-url"><span class="embed-label">{label}'
        f'{colon(ctx)}</span> <a href="{url}">{url}</a></p>{figcaption}</figure>'
    )


@handler("content-ref", "page-ref")
def _content_ref(block: Block, ctx: Context) -> str:
    # The body repeats the link; html.py prints the target page's title instead.
    url = block.attrs.get("url") or block.attrs.get("page") or block.arg
    if not url.strip():
        ctx.diag.warn(f"{{% {block.name} %}} without a target page", file=ctx.rel, line=block.line)
        return ""
    return f'<p class="page-ref"><a data-mention="" href="{escape(url)}">{escape(url)}</a></p>'


@handler("file")
def _file(block: Block, ctx: Context) -> str:
    src = block.attrs.get("src", "")
    url = clean_url(src)
    if not re.match(r"https?://", url):
        resolve_local(url, ctx, block.line, what="file")  # warns when missing or outside
    name = Path(url.split("?")[0]).name or url
    caption = block.attrs.get("caption", "")
    body = f"<p>{escape(caption)}</p>" if caption else ""
    body = children(block, ctx) if block.children else body
    body = f'<div class="file-caption">{body}</div>' if body.strip() else ""
    label = words(ctx.lang)["file"]
    return (
        f'<div class="file"><p class="file-name"><span class="file-label">{label}{colon(ctx)}'
        f"</span> <strong>{escape(name)}</strong></p>{body}</div>"
    )


@handler("columns")
def _columns(block: Block, ctx: Context) -> str:
    return f'<div class="columns">\n{children(block, ctx)}\n</div>'


@handler("column")
def _column(block: Block, ctx: Context) -> str:
    width = re.match(r"\s*([\d.]+)\s*%", block.attrs.get("width", ""))
    style = f' style="width: {float(width.group(1)):.1f}%"' if width else ""
    return f'<div class="column"{style}>\n{children(block, ctx)}\n</div>'


@handler("updates")
def _updates(block: Block, ctx: Context) -> str:
    return f'<div class="updates">\n{children(block, ctx)}\n</div>'


@handler("update")
def _update(block: Block, ctx: Context) -> str:
    tags = [t.strip() for t in block.attrs.get("tags", "").split(",") if t.strip()]
    tag_html = "".join(f' <span class="update-tag">{escape(t)}</span>' for t in tags)
    return (
        f'<section class="update"><p class="update-date">{attr(block, "date")}{tag_html}</p>\n'
        f"{children(block, ctx)}\n</section>"
    )


@handler("if")
def _if(block: Block, ctx: Context) -> str:
    # Paper has no visitor: every branch is printed under its condition.
    fr = ctx.lang == "fr"
    branches: list[tuple[str, list[Text | Block]]] = [(block.arg or _condition(block), [])]
    for child in block.children:
        if isinstance(child, Block) and child.name in ("else", "elsif", "elif"):
            cond = _condition(child)
            branches.append((cond if child.name != "else" else "", []))
        else:
            branches[-1][1].append(child)
    parts = []
    for cond, kids in branches:
        label = (f"Si {cond}" if fr else f"If {cond}") if cond else ("Sinon" if fr else "Otherwise")
        body = children(Block("if", {}, block.line, children=kids), ctx)
        parts.append(
            f'<div class="conditional"><p class="condition">{escape(label)}{colon(ctx)}</p>\n'
            f"{body}\n</div>"
        )
    return "\n".join(parts)


def _condition(block: Block) -> str:
    """The raw condition of {% if … %}, as written."""
    return block.attrs.get("condition") or block.raw.strip()


@handler("prompt")
def _prompt(block: Block, ctx: Context) -> str:
    desc = attr(block, "description")
    head = f'<p class="prompt-title">{desc}</p>' if desc else ""
    return f'<div class="prompt">{head}\n{children(block, ctx)}\n</div>'


def _integration(block: Block, ctx: Context) -> str:
    """A GitBook integration ({% @github-files/github-code-block url=… %}): GitBook draws it
    from another service when the page is shown; paper gets a labelled box with its link."""
    name = block.name[1:]
    links = [v for v in block.attrs.values() if re.match(r"https?://", v)]
    ctx.diag.warn(
        f"GitBook integration '{name}' printed as a box with its link: its content comes "
        "from the integration, not from the page",
        file=ctx.rel,
        line=block.line,
        hint="put the content in the page itself (a code block, an image) to print it",
    )
    label = f"{words(ctx.lang)['embed']} ({escape(name)})"
    body = "".join(f'<p class="embed-url"><a href="{escape(u)}">{escape(u)}</a></p>' for u in links)
    return (
        f'<div class="embed integration"><p><span class="embed-label">{label}</span></p>'
        f"{body}</div>"
    )


def _generic(block: Block, ctx: Context) -> str:
    return f'<div class="gb-{escape(block.name)}">\n{children(block, ctx)}\n</div>'
