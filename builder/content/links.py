"""Paths written in a page -> files of the space; nothing outside the space is read."""

from __future__ import annotations

import re
import urllib.parse
from html import unescape
from pathlib import Path

from builder.content.context import Context, rel_path
from builder.gate import ReadRefused, current

SCHEME = re.compile(r"[a-zA-Z][\w+.-]*:")
REMOTE = re.compile(r"(https?:)?//", re.I)


def clean_url(url: str) -> str:
    """GitBook paths: HTML-unescaped, then URL-unquoted, angle brackets dropped."""
    url = unescape(url.strip())
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    return urllib.parse.unquote(url)


def is_remote(url: str) -> bool:
    """http(s) and protocol-relative (//host/x) addresses."""
    return bool(REMOTE.match(url))


def resolve_local(
    url: str,
    ctx: Context,
    line: int | None,
    *,
    what: str,
    source: Path | None = None,
    must_exist: bool = True,
) -> Path | None:
    """Resolve a relative path inside the space; warn and return None otherwise."""
    source = source or ctx.source
    rel = rel_path(source, ctx.root)
    if SCHEME.match(url) or url.startswith("//") or "\0" in url:
        ctx.diag.warn(
            f"{what} '{url}' refused: only files of the space are read", file=rel, line=line
        )
        return None
    base = ctx.root if url.startswith("/") else source.parent
    try:
        # Links followed; one inside the space is an input by its target (the gate's).
        path = current().followed(base / url.lstrip("/"))
    except (OSError, RuntimeError, ValueError):  # symlink loops, names the OS refuses
        path = None
    if path is not None and any(len(part.encode()) > 255 for part in path.parts):
        ctx.diag.warn(f"{what} '{url[:60]}…' refused: a file name too long", file=rel, line=line)
        return None
    if path is None or not path.is_relative_to(ctx.root) or not current().allows(path):
        ctx.diag.warn(
            f"{what} '{url}' refused: it points outside the space",
            file=rel,
            line=line,
            hint="keep files inside the space (e.g. .gitbook/assets)",
        )
        return None
    if must_exist and not _exists(path):
        ctx.diag.warn(
            f"{what} not found: {url}", file=rel, line=line, hint="add the file, or fix the path"
        )
        return None
    return path


def _exists(path: Path) -> bool:
    return current().kind(path) in ("file", "dir")


def read_text(path: Path, ctx: Context, line: int | None) -> str | None:
    """Read an included file as UTF-8, or report why not."""
    name = rel_path(path, ctx.root)
    try:
        return current().read_text(path, what="include")
    except ReadRefused as exc:
        ctx.diag.warn(exc.message, file=ctx.rel, line=line, hint=exc.hint)
    except UnicodeDecodeError:
        ctx.diag.error(
            f"included file is not UTF-8: {name}",
            file=ctx.rel,
            line=line,
            hint="run 'guideprint import' on it, or save it as UTF-8",
        )
    except OSError as exc:
        ctx.diag.error(f"cannot read include {name}: {exc.strerror}", file=ctx.rel, line=line)
    return None
