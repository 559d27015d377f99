"""GitBook variables: `.gitbook/vars.yaml` (space) and front matter `vars:` (page), printed
where a page writes the expression `<code class="expression">space.vars.name</code>`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from builder.content.yamlsafe import load_yaml
from builder.diagnostics import Diagnostics
from builder.gate import current

DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def space_variables(root: Path, diag: Diagnostics) -> dict[str, Any]:
    """The space's variables (empty when it has none, or when the file is wrong)."""
    path = root / ".gitbook" / "vars.yaml"
    kind = current().kind(path)
    if kind == "refused":
        hint = "replace the link with the file itself"
        diag.warn("variables refused: vars.yaml leads outside the space",
                  file=".gitbook/vars.yaml", hint=hint)  # fmt: skip
        return {}
    if kind != "file":
        return {}
    try:  # read through the gate each time: the ledger records it for every page's output
        text = current().read_text(path, what="variables")
    except (OSError, UnicodeDecodeError) as exc:
        data: dict[str, Any] = {}
        problem, line = str(exc).split("\n")[0], None
    else:
        data, problem, line = _load(text)
    if problem:
        diag.warn(
            f"variables not read: {problem}",
            file=".gitbook/vars.yaml",
            line=line,
            hint="write one 'name: value' per line",
        )
    return data


@lru_cache(maxsize=16)
def _load(text: str) -> tuple[dict[str, Any], str, int | None]:
    """(variables, problem, its line): the problem is empty when there is none."""
    try:
        data = load_yaml(text, what=".gitbook/vars.yaml")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, str(exc).split("\n")[0], mark.line + 1 if mark is not None else None
    if data is None:
        return {}, "", None
    if not isinstance(data, dict):
        return {}, "not a list of 'name: value'", None
    return data, "", None


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
