"""API reference blocks: swagger (2021-), openapi (2023-), openapi-operation, api-method (-2020).

A block that names a spec file of the space (`src=`, or an `openapi-operation`'s `spec=`
found as .gitbook/assets/<name>.yaml) prints the operation from the spec (openapi.py): its
method and path as a heading with GitBook's anchor, summary, description, parameters,
request body and responses with an outline of their schemas. A block written in the page
(swagger-parameter, api-method-…) prints what the page says under the same heading. A spec
that cannot be read (remote, missing, broken) is a warning; the block then prints its method,
path and the spec's link.

GitBook's anchor of an operation is not documented: the one it gives is the slug of the
method and the path ("post-login" for POST /login, "get-pets-petid" for GET /pets/{petId}),
and so is ours (html.py prefixes it with the page's id, like every heading's).
"""

from __future__ import annotations

import functools
import re
from html import escape
from pathlib import Path

from builder.content.blocks import FENCE_RE, Block, Text
from builder.content.context import Context, rel_path
from builder.content.handlers import attr, children, handler
from builder.content.links import clean_url, is_remote, resolve_local
from builder.content.markdown import to_html
from builder.content.model import slugify
from builder.content.openapi import Body, Field, Operation, Parameter, Spec, SpecError
from builder.gate import ReadRefused, current

SECTIONS = {
    "api-method-path-parameters": ("Path parameters", "Paramètres de chemin"),
    "api-method-query-parameters": ("Query parameters", "Paramètres de requête"),
    "api-method-headers": ("Headers", "En-têtes"),
    "api-method-body-parameters": ("Body parameters", "Paramètres du corps"),
    "api-method-form-data-parameters": ("Form data", "Données de formulaire"),
    "api-method-response": ("Responses", "Réponses"),
}
REQUIRED = {"en": "required", "fr": "obligatoire"}
LABELS = {
    "en": {"parameters": "Parameters", "body": "Request body", "responses": "Responses",
           "name": "Name", "in": "In", "type": "Type", "required": "Required",
           "description": "Description", "yes": "yes", "req": "required",
           "deprecated": "Deprecated", "enum": "One of", "colon": ":"},
    "fr": {"parameters": "Paramètres", "body": "Corps de la requête", "responses": "Réponses",
           "name": "Nom", "in": "Où", "type": "Type", "required": "Obligatoire",
           "description": "Description", "yes": "oui", "req": "obligatoire",
           "deprecated": "Obsolète", "enum": "Valeurs", "colon": "\u00a0:"},
}  # fmt: skip
HEADING_RE = re.compile(r"^ {0,3}(#{1,6})\s|^\s*<h([1-6])[\s>]", re.I)
LINK_RE = re.compile(r"\]\(\s*<?([^)>\s]+)>?")
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
ONE_PARAGRAPH = re.compile(r"<p(?: [^>]*)?>(.*)</p>\s*", re.S)  # a description of one line


def operation_anchor(method: str, path: str) -> str:
    """GitBook's anchor of an operation: the slug of its method and path."""
    return slugify(f"{method} {path}")


@handler("swagger", "openapi", "openapi-operation", "openapi-webhook", "api-method")
def _operation(block: Block, ctx: Context) -> str:
    method = block.attrs.get("method", "")
    path = block.attrs.get("path", "")
    spec = _spec_path(block, ctx)
    if spec is not None:
        try:
            op = _load(spec, ctx).operation(path, method)
        except (SpecError, ReadRefused) as exc:
            hint = f"{exc.hint}; the block prints its method, path and link"
            ctx.diag.warn(f"OpenAPI: {exc.message}", file=ctx.rel, line=block.line, hint=hint)
        else:
            for what, hint in op.problems:
                ctx.diag.warn(f"OpenAPI: {what}", file=ctx.rel, line=block.line, hint=hint)
            return _section(block, ctx, _from_spec(op, block, ctx))
    if spec is not None or block.attrs.get("src") or block.name == "openapi-operation":
        return _section(block, ctx, _source(block, ctx))  # a spec that could not be read
    base = block.attrs.get("baseUrl") or block.attrs.get("host", "")
    summary = attr(block, "summary")
    title = f'<p class="api-summary">{summary}</p>' if summary else ""
    server = f'<p class="api-server"><code>{escape(base)}</code></p>' if base else ""
    return _section(block, ctx, server + title + "\n" + children(block, ctx))


def _section(block: Block, ctx: Context, body: str) -> str:
    method = block.attrs.get("method", "").lower()
    path = block.attrs.get("path", "")
    head = _heading(method, path, _level(block, ctx)) if method or path else ""
    return f'<section class="api">{head}{body}\n</section>'


def _heading(method: str, path: str, level: int) -> str:
    badge = (f'<span class="api-method api-method-{escape(slugify(method))}">'
             f"{escape(method.upper())}</span> ") if method else ""  # fmt: skip
    return (
        f'<h{level} class="api-title" id="{operation_anchor(method, path)}">{badge}'
        f'<code class="api-path">{escape(path)}</code></h{level}>'
    )


def _level(block: Block, ctx: Context) -> int:
    """One level under the heading the block stands under (h2 when it stands under none)."""
    text, first = ctx.sources.get(ctx.source, ("", 1))
    above = [level for line, level in _headings(text) if line < block.line - first]
    return min(max((above[-1] if above else 1) + 1, 2), 6)


@functools.lru_cache(maxsize=8)
def _headings(text: str) -> tuple[tuple[int, int], ...]:
    """The (line index, level) of each heading of a page, code fences skipped: once a page,
    not once a block (a page of hundreds of operations)."""
    found: list[tuple[int, int]] = []
    fence = ""
    for index, raw in enumerate(text.split("\n")):
        m = FENCE_RE.match(raw)
        if fence:
            fence = "" if m and m.group(1)[0] == fence[0] else fence
        elif m:
            fence = m.group(1)
        elif h := HEADING_RE.match(raw):
            found.append((index, len(h.group(1)) if h.group(1) else int(h.group(2))))
    return tuple(found)


def _source(block: Block, ctx: Context) -> str:
    """The block's body (the spec's link, as GitBook writes it), else a link to its src."""
    body = children(block, ctx)
    src = block.attrs.get("src", "")
    if not body.strip() and is_remote(clean_url(src)):
        body = f'<p><a href="{escape(src)}">{escape(clean_url(src))}</a></p>'
    elif not body.strip() and src:  # a file of the space: named (a link would warn again)
        body = f'<p><code class="api-spec">{escape(clean_url(src))}</code></p>'
    return f'<div class="api-source">{body}</div>' if body.strip() else ""


# -- finding and reading the spec ---------------------------------------------------------


def _spec_path(block: Block, ctx: Context) -> Path | None:
    """The local spec file the block prints from; None (warned when it names one) else."""
    src = clean_url(block.attrs.get("src", ""))
    if not src and block.name == "openapi-operation":
        return _named_spec(block, ctx)
    if not src:
        return None  # written in the page
    if is_remote(src):
        _remote(src, block, ctx)
        return None
    return resolve_local(src, ctx, block.line, what="OpenAPI spec")


def _named_spec(block: Block, ctx: Context) -> Path | None:
    """An openapi-operation's spec: uploaded to GitBook under a name, so not in the space,
    unless saved as .gitbook/assets/<name>.yaml (or .yml, .json); else the body's link."""
    name = block.attrs.get("spec", "")
    if name and "/" not in name and not name.startswith("."):
        for suffix in SPEC_SUFFIXES:
            path = ctx.root / ".gitbook" / "assets" / f"{name}{suffix}"
            if current().is_file(path):
                return path
    link = _body_link(block)
    if link and not is_remote(link):
        return resolve_local(link, ctx, block.line, what="OpenAPI spec")
    if link:
        _remote(link, block, ctx, name)
    else:
        ctx.diag.warn(
            f"OpenAPI spec '{name}' is kept in GitBook, not in the space: its operation is "
            "printed as method and path",
            file=ctx.rel,
            line=block.line,
            hint=f"save the spec as .gitbook/assets/{name or 'NAME'}.yaml to print it",
        )
    return None


def _remote(url: str, block: Block, ctx: Context, name: str = "") -> None:
    """A remote spec is not read: a warning, and the link printed."""
    hint = f".gitbook/assets/{name}.yaml" if name else "the space (.gitbook/assets)"
    ctx.diag.warn(
        f"OpenAPI spec {url} is remote: not read, its link is printed",
        file=ctx.rel,
        line=block.line,
        hint=f"save the spec in {hint} to print its operations; --allow-remote fetches "
        "images, not specs",
    )


def _body_link(block: Block) -> str:
    for child in block.children:
        if isinstance(child, Text):
            m = LINK_RE.search(child.text)
            if m:
                return clean_url(m.group(1))
    return ""


def _load(path: Path, ctx: Context) -> Spec:
    """The spec at path, with a registry of its own (a file it refers to may have changed)."""
    root = ctx.root

    def allowed(p: Path) -> bool:
        real = p.resolve()
        return real.is_relative_to(root) and current().allows(real)

    return Spec(path, rel_path(path, root), allowed, lambda p: rel_path(p, root))


# -- the operation on paper ---------------------------------------------------------------


def _from_spec(op: Operation, block: Block, ctx: Context) -> str:
    words = LABELS["fr" if ctx.lang == "fr" else "en"]
    parts: list[str] = []
    if op.server:
        parts.append(f'<p class="api-server"><code>{escape(op.server + op.path)}</code></p>')
    if op.deprecated:
        parts.append(f'<p class="api-deprecated">{words["deprecated"]}</p>')
    if op.summary:
        parts.append(f'<p class="api-summary">{escape(op.summary)}</p>')
    if op.description:
        parts.append(f'<div class="api-description">{_md(op.description, block, ctx)}</div>')
    if op.parameters:
        parts.append(_section_label(words["parameters"]) + _parameters(op.parameters, block, ctx))
    if op.bodies or op.body_description:
        mark = f' <span class="api-required">{words["req"]}</span>' if op.body_required else ""
        parts.append(_section_label(words["body"], mark))
        if op.body_description:
            parts.append(_md(op.body_description, block, ctx))
        parts.extend(_body_html(b, block, ctx) for b in op.bodies)
    if op.responses:
        parts.append(_section_label(words["responses"]))
        for response in op.responses:
            desc = _md(response.description, block, ctx) if response.description else ""
            one = ONE_PARAGRAPH.fullmatch(desc)
            inline, desc = (f" {one.group(1)}", "") if one and "<p" not in one.group(1) else (
                "", desc)  # fmt: skip
            parts.append(
                f'<div class="api-response"><p class="api-response-head">'
                f'<strong class="api-status">{escape(response.status)}</strong>{inline}</p>'
                f"{desc}{''.join(_body_html(b, block, ctx) for b in response.bodies)}</div>"
            )
    parts.append(_source(block, ctx))
    return "\n".join(parts)


def _section_label(text: str, extra: str = "") -> str:
    return f'<p class="api-section">{text}{extra}</p>'


def _parameters(params: list[Parameter], block: Block, ctx: Context) -> str:
    words = LABELS["fr" if ctx.lang == "fr" else "en"]
    head = "".join(f"<th>{words[k]}</th>" for k in ("name", "in", "type", "required",
                                                     "description"))  # fmt: skip
    rows = []
    for p in params:
        enum = _enum(p.enum, words) if p.enum else ""
        rows.append(
            f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(p.where)}</td>"
            f"<td>{escape(p.type)}</td><td>{words['yes'] if p.required else ''}</td>"
            f"<td>{_md(p.description, block, ctx) if p.description else ''}{enum}</td></tr>"
        )
    return (f'<table class="api-params"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')  # fmt: skip


def _body_html(body: Body, block: Block, ctx: Context) -> str:
    media = f'<p class="api-media"><code>{escape(body.media)}</code></p>'
    if body.schema is None:
        return f'<div class="api-body">{media}</div>'
    return f'<div class="api-body">{media}{_outline(body.schema, block, ctx)}</div>'


def _outline(root: Field, block: Block, ctx: Context) -> str:
    """The schema: its own type line, then its fields as a nested list."""
    words = LABELS["fr" if ctx.lang == "fr" else "en"]
    kind = " · ".join(p for p in (root.ref, root.type) if p)
    head = _meta(kind, False, root.note, words)
    desc = _md(root.description, block, ctx) if root.description else ""
    enum = _enum(root.enum, words) if root.enum else ""
    fields = _fields(root.children, block, ctx) if root.children else ""
    return (
        f'<div class="api-schema"><p class="api-schema-head">{head}</p>{desc}{enum}{fields}</div>'
    )


def _fields(fields: list[Field], block: Block, ctx: Context) -> str:
    words = LABELS["fr" if ctx.lang == "fr" else "en"]
    items = []
    for f in fields:
        name = f'<code class="api-field">{escape(f.name)}</code> ' if f.name else ""
        meta = _meta(f.type, f.required, f.note, words)
        desc = _md(f.description, block, ctx) if f.description else ""
        enum = _enum(f.enum, words) if f.enum else ""
        inner = _fields(f.children, block, ctx) if f.children else ""
        items.append(f'<li><p class="api-field-head">{name}{meta}</p>{desc}{enum}{inner}</li>')
    return f'<ul class="api-fields">{"".join(items)}</ul>'


def _meta(kind: str, required: bool, note: str, words: dict[str, str]) -> str:
    parts = [f'<span class="api-type">{escape(kind)}</span>'] if kind else []
    if required:
        parts.append(f'<span class="api-required">{words["req"]}</span>')
    if note:
        parts.append(f'<span class="api-note">{escape(note)}</span>')
    return " ".join(parts)


def _enum(values: list[str], words: dict[str, str]) -> str:
    listed = ", ".join(f"<code>{escape(v)}</code>" for v in values)
    return f'<p class="api-enum">{words["enum"]}{words["colon"]} {listed}</p>'


def _md(text: str, block: Block, ctx: Context) -> str:
    """A description of the spec, as Markdown renders in the page (at the block's line)."""
    lines = [block.line] * (text.count("\n") + 1)
    return to_html(text, lines=lines, diag=ctx.diag, file=ctx.rel)


# -- the blocks written in the page -------------------------------------------------------


@handler("openapi-schemas")
def _schemas(block: Block, ctx: Context) -> str:
    names = ", ".join(s.strip() for s in block.attrs.get("schemas", "").split(",") if s.strip())
    code = f'<code class="api-schema">{escape(names)}</code>'
    head = f'<p class="api-head">{code}</p>' if names else ""
    return f'<section class="api api-schemas">{head}\n{children(block, ctx)}\n</section>'


@handler("swagger-parameter", "api-method-parameter")
def _parameter(block: Block, ctx: Context) -> str:
    meta = [block.attrs.get("type", ""), block.attrs.get("in", "")]
    if block.attrs.get("required") == "true":
        meta.append(REQUIRED.get(ctx.lang, "required"))
    meta_html = ", ".join(escape(m) for m in meta if m)
    meta_html = f' <span class="api-param-meta">({meta_html})</span>' if meta_html else ""
    return (
        f'<div class="api-param"><p class="api-param-head"><code>{attr(block, "name")}</code>'
        f"{meta_html}</p>\n{children(block, ctx)}\n</div>"
    )


@handler("swagger-response", "api-method-response-example")
def _response(block: Block, ctx: Context) -> str:
    status = block.attrs.get("status") or block.attrs.get("httpCode", "")
    desc = attr(block, "description")
    head = " ".join(p for p in (f"<strong>{escape(status)}</strong>" if status else "", desc) if p)
    head_html = f'<p class="api-response-head">{head}</p>' if head else ""
    return f'<div class="api-response">{head_html}\n{children(block, ctx)}\n</div>'


@handler("api-method-summary")
def _summary(block: Block, ctx: Context) -> str:
    return f'<div class="api-summary">\n{children(block, ctx)}\n</div>'


@handler(
    "swagger-description", "api-method-description", "api-method-spec", "api-method-request",
    "api-method-response-example-description", *SECTIONS,
)  # fmt: skip
def _part(block: Block, ctx: Context) -> str:
    label = SECTIONS.get(block.name)
    head = ""
    if label:
        text = label[1] if ctx.lang == "fr" else label[0]
        head = f'<p class="api-section">{text}</p>'
    return f'<div class="api-part">{head}\n{children(block, ctx)}\n</div>'
