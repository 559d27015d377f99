"""YAML front matter: `---` on the first line, parsed safely, errors with their line."""

from __future__ import annotations

from typing import Any

from builder.diagnostics import Diagnostics
from builder.errors import ContentError

HINT = "quote values that contain ':' and check the indentation"


def split_front_matter(
    text: str, *, file: str, diag: Diagnostics | None = None, strict: bool = False
) -> tuple[dict[str, Any], str, int]:
    """Return (front matter, body, line number of the body's first line)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return _fail("front matter opened on line 1 is never closed", file, 1, diag, strict, text)
    import yaml  # here: a build with nothing to do reads no front matter (12 ms of import)

    from builder.content.yamlsafe import YAMLRefused, load_yaml

    try:
        data = load_yaml("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        body = "\n".join(lines[end + 1 :])
        hint = exc.hint if isinstance(exc, YAMLRefused) else HINT
        return _fail(
            f"invalid front matter: {problem}", file, line, diag, strict, body, end + 2, hint
        )
    if not isinstance(data, dict):
        body = "\n".join(lines[end + 1 :])
        return _fail("front matter must be key: value pairs", file, 2, diag, strict, body, end + 2)
    return data, "\n".join(lines[end + 1 :]), end + 2


def _fail(
    message: str,
    file: str,
    line: int,
    diag: Diagnostics | None,
    strict: bool,
    body: str,
    first: int = 1,
    hint: str = HINT,
) -> tuple[dict[str, Any], str, int]:
    if strict or diag is None:
        raise ContentError(message, file=file, line=line, hint=hint)
    diag.error(message, file=file, line=line, hint=hint)
    return {}, body, first
