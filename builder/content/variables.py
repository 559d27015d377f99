"""GitBook variables: `.gitbook/vars.yaml` (space) and front matter `vars:` (page), printed
where a page writes the expression `<code class="expression">space.vars.name</code>`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from builder.diagnostics import Diagnostics

DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def space_variables(root: Path, diag: Diagnostics) -> dict[str, Any]:
    """The space's variables (empty when it has none, or when the file is wrong)."""
    path = root / ".gitbook" / "vars.yaml"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    data, problem = _load(path, stamp)
    if problem:
        diag.warn(
            f"variables not read: {problem}",
            file=".gitbook/vars.yaml",
            hint="write one 'name: value' per line",
        )
    return data


@lru_cache(maxsize=16)
def _load(path: Path, stamp: int) -> tuple[dict[str, Any], str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        return {}, str(exc).split("\n")[0]
    if data is None:
        return {}, ""
    if not isinstance(data, dict):
        return {}, "not a list of 'name: value'"
    return data, ""


def evaluate(expression: str, variables: dict[str, Any]) -> str | None:
    """The value of a dotted expression (space.vars.x, page.vars.y), or None."""
    expression = expression.strip()
    if not DOTTED.fullmatch(expression):
        return None
    value: Any = variables
    for part in expression.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, dict | list) or value is None:
        return None
    return str(value)
