"""GitBook page source -> HTML: blocks become print-appropriate HTML, Markdown between
them goes through the engine, then the whole tree is post-processed (html.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html import escape
from pathlib import Path

from builder.content import html as post
from builder.content.blocks import Block, Text, parse_blocks
from builder.content.frontmatter import split_front_matter
from builder.content.markdown import to_html
from builder.content.model import Heading, page_anchor, slugify
from builder.diagnostics import Diagnostics
from builder.i18n import words


@dataclass(frozen=True)
class Context:
    """What rendering one page needs to know about the space around it."""

    root: Path  # the space root: nothing outside it is read
    source: Path  # the file being rendered (absolute)
    diag: Diagnostics
    lang: str = "fr"
    anchor: str = ""  # the page's document id; heading ids are prefixed with it
    titles: dict[str, str] = field(default_factory=dict)  # page path -> title
    allow_remote: bool = False
    includes: tuple[Path, ...] = ()  # the include chain, for cycle detection
    sources: dict[Path, tuple[str, int]] = field(default_factory=dict)  # text, first line

    @property
    def rel(self) -> str:
        return self.source.relative_to(self.root).as_posix()


@dataclass
class Rendered:
    html: str
    headings: list[Heading]


def render_markdown(
    text: str,
    *,
    source: Path,
    root: Path,
    diag: Diagnostics,
    first_line: int = 1,
    lang: str = "fr",
    anchor: str | None = None,
    titles: dict[str, str] | None = None,
    allow_remote: bool = False,
) -> Rendered:
    """Render GitBook Markdown (no front matter) to HTML with resolved images and links."""
    root = root.resolve()
    source = source.resolve()
    ctx = Context(
        root=root,
        source=source,
        diag=diag,
        lang=lang,
        anchor=anchor if anchor is not None else page_anchor(_rel(source, root)),
        titles=titles or {},
        allow_remote=allow_remote,
        includes=(source,),
        sources={source: (text, first_line)},
    )
    raw = render_body(text, ctx, first_line)
    body, headings = post.finish(raw, ctx)
    return Rendered(body, headings)


def render_body(text: str, ctx: Context, first_line: int = 1) -> str:
    """Parse blocks and render them; the HTML still needs post.finish."""
    tree = parse_blocks(text, file=ctx.rel, diag=ctx.diag, first_line=first_line)
    return _children(tree, ctx)


def _rel(source: Path, root: Path) -> str:
    try:
        return source.relative_to(root).as_posix()
    except ValueError:
        return source.name


def _children(block: Block, ctx: Context) -> str:
    parts = []
    for child in block.children:
        if isinstance(child, Text):
            parts.append(to_html(child.text))
        else:
            parts.append(_block(child, ctx))
    return "\n".join(parts)


def _block(block: Block, ctx: Context) -> str:
    handler = HANDLERS.get(block.name) or HANDLERS.get(block.name.split("-")[0], _generic)
    return handler(block, ctx)


def _attr(block: Block, name: str, default: str = "") -> str:
    return escape(block.attrs.get(name, default))


def _hint(block: Block, ctx: Context) -> str:
    style = block.attrs.get("style", "info")
    if style not in ("info", "success", "warning", "danger"):
        ctx.diag.warn(f"unknown hint style '{style}', shown as info", file=ctx.rel, line=block.line)
        style = "info"
    label = words(ctx.lang)[f"hint_{style}"]
    return (
        f'<aside class="hint hint-{style}" role="note"><p class="hint-label">{label}</p>'
        f'<div class="hint-body">\n{_children(block, ctx)}\n</div></aside>'
    )


def _tabs(block: Block, ctx: Context) -> str:
    return f'<div class="tabs">\n{_children(block, ctx)}\n</div>'


def _tab(block: Block, ctx: Context) -> str:
    title = _attr(block, "title")
    return (
        f'<section class="tab"><p class="tab-title">{title}</p>\n'
        f"{_children(block, ctx)}\n</section>"
    )


def _stepper(block: Block, ctx: Context) -> str:
    return f'<ol class="stepper">\n{_children(block, ctx)}\n</ol>'


def _step(block: Block, ctx: Context) -> str:
    return f'<li class="step">\n{_children(block, ctx)}\n</li>'


def _code(block: Block, ctx: Context) -> str:
    classes = ["code-block"]
    if block.attrs.get("lineNumbers") == "true":
        classes.append("line-numbers")
    title = _attr(block, "title")
    caption = f'<figcaption class="code-title">{title}</figcaption>' if title else ""
    return f'<figure class="{" ".join(classes)}">{caption}\n{_children(block, ctx)}\n</figure>'


def _embed(block: Block, ctx: Context) -> str:
    url = block.attrs.get("url", "")
    caption = _children(block, ctx)
    label = words(ctx.lang)["embed"]
    return (
        f'<figure class="embed"><p class="embed-url"><span class="embed-label">{label}'
        f' :</span> <a href="{escape(url)}">{escape(url)}</a></p>'
        f"{f'<figcaption>{caption}</figcaption>' if caption.strip() else ''}</figure>"
    )


def _content_ref(block: Block, ctx: Context) -> str:
    url = block.attrs.get("url") or block.attrs.get("page") or block.arg
    # The body repeats the link; the title of the target page reads better on paper.
    return f'<p class="page-ref"><a data-mention="" href="{escape(url)}">{escape(url)}</a></p>'


def _file(block: Block, ctx: Context) -> str:
    src = block.attrs.get("src", "")
    name = Path(post.clean_url(src)).name or src
    caption = block.attrs.get("caption", "")
    body = _children(block, ctx) if block.children else (f"<p>{escape(caption)}</p>" if caption else "")
    label = words(ctx.lang)["file"]
    return (
        f'<div class="file"><p class="file-name"><span class="file-label">{label} :</span> '
        f"<strong>{escape(name)}</strong></p>{body}</div>"
    )


def _columns(block: Block, ctx: Context) -> str:
    return f'<div class="columns">\n{_children(block, ctx)}\n</div>'


def _column(block: Block, ctx: Context) -> str:
    width = re.match(r"\s*([\d.]+)%", block.attrs.get("width", ""))
    style = f' style="width: {float(width.group(1)):.1f}%"' if width else ""
    return f'<div class="column"{style}>\n{_children(block, ctx)}\n</div>'


def _include(block: Block, ctx: Context) -> str:
    target = block.arg or block.attrs.get("src", "")
    path_part, _, fragment = target.partition("#")
    if path_part.startswith("/"):
        ctx.diag.warn(
            f"include of '{target}' (GitBook-hosted reusable content) cannot be read from the "
            "repository; kept as a reference",
            file=ctx.rel,
            line=block.line,
        )
        return f'<p class="unknown-block">{{% include "{escape(target)}" %}}</p>'
    resolved = post.resolve_local(path_part, ctx, block.line, what="include")
    if resolved is None:
        return ""
    if resolved in ctx.includes:
        chain = " -> ".join(_rel(p, ctx.root) for p in (*ctx.includes, resolved))
        ctx.diag.error(f"include cycle: {chain}", file=ctx.rel, line=block.line)
        return ""
    text = post.read_text(resolved, ctx, block.line)
    if text is None:
        return ""
    _, body, offset = split_front_matter(text, file=_rel(resolved, ctx.root), diag=ctx.diag)
    if fragment:
        body, offset = section(body, fragment, offset, ctx, block.line)
    inner = replace(ctx, source=resolved, includes=(*ctx.includes, resolved))
    html = render_body(body, inner, offset)
    ctx.sources[resolved] = (body, offset)
    return f'<div class="include" data-gp-src="{escape(str(resolved))}">\n{html}\n</div>'


def section(body: str, fragment: str, offset: int, ctx: Context, line: int) -> tuple[str, int]:
    """Keep the part of a page under the heading whose slug or anchor is fragment."""
    lines = body.split("\n")
    for i, text in enumerate(lines):
        m = re.match(r"(#{1,6})\s+(.*?)\s*$", text)
        if not m:
            continue
        anchor = re.search(r'id="([^"]+)"', m.group(2))
        title = re.sub(r"<a [^>]*></a>", "", m.group(2)).strip()
        if fragment in (slugify(title), anchor.group(1) if anchor else None):
            level = len(m.group(1))
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if (h := re.match(r"(#{1,6})\s", lines[j])) and len(h.group(1)) <= level
                ),
                len(lines),
            )
            return "\n".join(lines[i + 1 : end]), offset + i + 1
    ctx.diag.warn(
        f"include: no heading '#{fragment}' in the included page; whole page used",
        file=ctx.rel,
        line=line,
    )
    return body, offset


def _api(block: Block, ctx: Context) -> str:
    method = _attr(block, "method").upper()
    path = _attr(block, "path")
    summary = _attr(block, "summary")
    src = block.attrs.get("src") or block.attrs.get("host") or block.attrs.get("baseUrl", "")
    head = " ".join(
        p
        for p in (
            f'<span class="api-method">{method}</span>' if method else "",
            f"<code>{escape(src)}{path}</code>" if (src or path) else "",
            f'<span class="api-summary">{summary}</span>' if summary else "",
        )
        if p
    )
    return f'<section class="api"><p class="api-head">{head}</p>\n{_children(block, ctx)}\n</section>'


def _api_part(block: Block, ctx: Context) -> str:
    details = " ".join(
        f'<span class="api-{escape(k)}">{escape(k)}: {escape(v)}</span>'
        for k, v in block.attrs.items()
    )
    head = f'<p class="api-part-head">{details}</p>' if details else ""
    return f'<div class="api-part api-{block.name}">{head}\n{_children(block, ctx)}\n</div>'


def _update(block: Block, ctx: Context) -> str:
    date = _attr(block, "date")
    return f'<section class="update"><p class="update-date">{date}</p>\n{_children(block, ctx)}\n</section>'


def _container(css: str) -> Callable[[Block, Context], str]:
    def render(block: Block, ctx: Context) -> str:
        return f'<div class="{css}">\n{_children(block, ctx)}\n</div>'

    return render


def _prompt(block: Block, ctx: Context) -> str:
    desc = _attr(block, "description")
    head = f'<p class="prompt-title">{desc}</p>' if desc else ""
    return f'<div class="prompt">{head}\n{_children(block, ctx)}\n</div>'


def _generic(block: Block, ctx: Context) -> str:
    return f'<div class="gb-{escape(block.name)}">\n{_children(block, ctx)}\n</div>'


HANDLERS: dict[str, Callable[[Block, Context], str]] = {
    "hint": _hint,
    "tabs": _tabs,
    "tab": _tab,
    "code-tabs": _tabs,
    "code-tabs-item": _tab,
    "stepper": _stepper,
    "step": _step,
    "code": _code,
    "embed": _embed,
    "content-ref": _content_ref,
    "page-ref": _content_ref,
    "file": _file,
    "columns": _columns,
    "column": _column,
    "include": _include,
    "swagger": _api,
    "openapi": _api,
    "openapi-operation": _api,
    "openapi-webhook": _api,
    "openapi-schemas": _api_part,
    "api-method": _api,
    "swagger-description": _api_part,
    "swagger-parameter": _api_part,
    "swagger-response": _api_part,
    "api": _api_part,  # every api-method-* child
    "updates": _container("updates"),
    "update": _update,
    "if": _container("conditional"),
    "else": _container("conditional"),
    "prompt": _prompt,
}
