"""GitBook page source -> HTML: blocks become print-appropriate HTML (handlers.py, api.py,
include.py), Markdown between them goes through the engine, then the whole tree is
post-processed (html.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.content import api, include  # noqa: F401  (they register their handlers)
from builder.content import html as post
from builder.content.context import Context, rel_path
from builder.content.handlers import render_text
from builder.content.model import Heading, page_anchor
from builder.content.variables import space_variables
from builder.diagnostics import Diagnostics

__all__ = ["Context", "Rendered", "render_body", "render_markdown"]


@dataclass
class Rendered:
    html: str
    headings: list[Heading]
    images: dict[str, tuple[str, str]]  # file URL -> ("page.md:12", path as written)


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
    page_vars: Mapping[str, Any] | None = None,
    remote: list[tuple[str, int | None, str]] | None = None,
) -> Rendered:
    """Render GitBook Markdown (no front matter) to HTML with resolved images and links."""
    root = root.resolve()
    source = source.resolve()
    ctx = Context(
        root=root,
        source=source,
        diag=diag,
        lang=lang,
        anchor=anchor if anchor is not None else page_anchor(rel_path(source, root)),
        titles=titles or {},
        allow_remote=allow_remote,
        includes=(source,),
        sources={source: (text, first_line)},
        variables={
            "space": {"vars": space_variables(root, diag)},
            "page": {"vars": dict(page_vars or {})},
        },
        remote=remote,
    )
    raw = render_text(text, ctx, first_line)
    body, headings = post.finish(raw, ctx)
    return Rendered(body, headings, ctx.images)


def render_body(text: str, ctx: Context, first_line: int = 1) -> str:
    """Parse blocks and render them; the HTML still needs html.finish."""
    return render_text(text, ctx, first_line)
