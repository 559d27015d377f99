"""API reference blocks: swagger (2021-), openapi (2023-), api-method (-2020).

The OpenAPI file itself is not read: paper gets the method, the path, the description,
the parameters and responses written in the page, and the body's link to the spec.
"""

from __future__ import annotations

from html import escape

from builder.content.blocks import Block
from builder.content.context import Context
from builder.content.handlers import attr, children, handler

SECTIONS = {
    "api-method-path-parameters": ("Path parameters", "Paramètres de chemin"),
    "api-method-query-parameters": ("Query parameters", "Paramètres de requête"),
    "api-method-headers": ("Headers", "En-têtes"),
    "api-method-body-parameters": ("Body parameters", "Paramètres du corps"),
    "api-method-form-data-parameters": ("Form data", "Données de formulaire"),
    "api-method-response": ("Responses", "Réponses"),
}
REQUIRED = {"en": "required", "fr": "obligatoire"}


@handler("swagger", "openapi", "openapi-operation", "openapi-webhook", "api-method")
def _operation(block: Block, ctx: Context) -> str:
    method = attr(block, "method").upper()
    base = block.attrs.get("baseUrl") or block.attrs.get("host", "")
    path = block.attrs.get("path", "")
    summary = attr(block, "summary")
    head = " ".join(
        p
        for p in (
            f'<span class="api-method">{method}</span>' if method else "",
            f'<code class="api-path">{escape(base + path)}</code>' if base or path else "",
        )
        if p
    )
    title = f'<p class="api-summary">{summary}</p>' if summary else ""
    return (
        f'<section class="api">{title}<p class="api-head">{head}</p>\n'
        f"{children(block, ctx)}\n</section>"
    )


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
