"""Split a GitBook page into its `{% tag %}` blocks and the Markdown between them.

GitBook writes every block tag on a line of its own, sometimes indented (a list item that
continues into the block) and sometimes several on one line (legacy code tabs). Tags inside
fenced code are text. The result is a tree of Block and Text nodes with source line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from builder.diagnostics import Diagnostics

# A block tag, or a GitBook integration's ({% @github-files/github-code-block url=… %}).
TAG_RE = re.compile(r"{%\s*(end)?(@[\w./-]+|[A-Za-z][\w-]*)\s*(.*?)\s*%}")
ATTR_RE = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|(\S+))')
FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})")
# GitBook's escape of template syntax: what lies between is text ({{ x }}, {% for %}).
RAW_OPEN = re.compile(r"{%-?\s*raw\s*-?%}")
RAW_CLOSE = re.compile(r"{%-?\s*endraw\s*-?%}")
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
CODE_SPAN = re.compile(r"`[^`]*`")
COMMENT = re.compile(r"<!--.*?-->")

# Tags that never have an end tag, and tags whose end tag is optional (caption present).
SELF_CLOSING = frozenset({"include", "page-ref", "else", "elsif", "elif"})
OPTIONAL_END = frozenset({"embed", "file"})
MAX_DEPTH = 12  # GitBook nests four deep at most; past this a page is broken or hostile
# Every block the renderer knows; anything else is kept as text and reported.
KNOWN = frozenset(
    {
        "hint", "tabs", "tab", "stepper", "step", "code", "embed", "content-ref", "page-ref",
        "file", "columns", "column", "include", "swagger", "swagger-description",
        "swagger-parameter", "swagger-response", "openapi", "openapi-operation",
        "openapi-schemas", "openapi-webhook", "updates", "update", "if", "else", "elsif",
        "elif", "prompt",
        "code-tabs", "code-tabs-item", "api-method", "api-method-summary",
        "api-method-description", "api-method-spec", "api-method-request",
        "api-method-path-parameters", "api-method-query-parameters",
        "api-method-headers", "api-method-body-parameters", "api-method-form-data-parameters",
        "api-method-parameter", "api-method-response", "api-method-response-example",
        "api-method-response-example-description",
    }
)  # fmt: skip


@dataclass
class Text:
    lines: list[str]
    first_line: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Block:
    name: str
    attrs: dict[str, str]
    line: int
    arg: str = ""  # a bare quoted argument, as in {% include "path.md" %}
    raw: str = ""  # everything after the name, as written ({% if a.b %} -> "a.b")
    indent: str = ""  # the tag line's indentation: a block indented under a list item
    children: list[Text | Block] = field(default_factory=list)
    closed: bool = True


@dataclass
class _Line:
    text: str
    number: int
    tag: re.Match[str] | None = None


def parse_attrs(raw: str) -> tuple[dict[str, str], str]:
    """Parse `a="1" b='2' c=3` and a leading bare "argument"."""
    attrs: dict[str, str] = {}
    for m in ATTR_RE.finditer(raw):
        value = next(g for g in m.groups()[1:] if g is not None)
        # Git Sync (2019-21) backslash-escapes Markdown characters in values too: init\_view
        attrs[m.group(1)] = ESCAPED.sub(r"\1", value)
    bare = re.match(r'\s*"([^"]*)"|\s*\'([^\']*)\'', raw)
    arg = (bare.group(1) or bare.group(2) or "") if bare else ""
    return attrs, arg


def _split_lines(text: str, first_line: int) -> list[_Line]:
    """Cut lines so that every tag stands alone; tags in code fences and comments are text."""
    out: list[_Line] = []
    fence: str | None = None
    comment = verbatim = False
    for number, raw in enumerate(text.split("\n"), first_line):
        m = FENCE_RE.match(raw)
        if verbatim or (fence is None and RAW_OPEN.search(raw) and not _in_inline_code(raw)):
            # {% raw %} … {% endraw %} outside code: its text, without the two tags
            opened = RAW_OPEN.search(raw)
            verbatim = not RAW_CLOSE.search(raw, opened.end() if opened else 0)
            kept = RAW_CLOSE.sub("", RAW_OPEN.sub("", raw))
            if kept.strip() or not (opened or RAW_CLOSE.search(raw)):
                out.append(_Line(kept, number))
            continue
        if fence is not None:
            out.append(_Line(raw, number))
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if comment:
            comment = "-->" not in raw
            out.append(_Line(raw, number))
            continue
        if m:
            fence = m.group(1)
        visible = COMMENT.sub("", CODE_SPAN.sub("", raw))
        comment = "<!--" in visible  # a comment that goes on over the next lines
        if "{%" not in visible or fence is not None or comment or _in_inline_code(raw):
            out.append(_Line(raw, number))
            continue
        out.extend(_cut(raw, number))
    return out


def _in_inline_code(raw: str) -> bool:
    """A tag shown as an example inside `code` is text."""
    return bool(re.search(r"`[^`]*{%[^`]*`", raw))


def _cut(raw: str, number: int) -> list[_Line]:
    pieces: list[_Line] = []
    pos = 0
    indent = re.match(r"\s*", raw).group(0)  # type: ignore[union-attr]
    for m in TAG_RE.finditer(raw):
        before = raw[pos : m.start()]
        if before.strip():
            pieces.append(_Line(before.rstrip(), number))
        pieces.append(_Line(indent + m.group(0), number, m))
        pos = m.end()
    after = raw[pos:]
    if after.strip():
        pieces.append(_Line(indent + after.strip() if pieces else after, number))
    return pieces or [_Line(raw, number)]


def parse_blocks(text: str, *, file: Path | str, diag: Diagnostics, first_line: int = 1) -> Block:
    """Parse a page body into a root Block whose children are Text and Block nodes."""
    parser = _Parser(_split_lines(text, first_line), str(file), diag, first_line)
    for index, line in enumerate(parser.lines):
        parser.feed(index, line)
    return parser.finish()


class _Parser:
    def __init__(self, lines: list[_Line], file: str, diag: Diagnostics, first_line: int):
        self.lines, self.file, self.diag = lines, file, diag
        self.root = Block("root", {}, first_line)
        self.stack = [self.root]
        self.buffer: list[_Line] = []
        self.unknown: set[str] = set()  # unknown tags already reported at their opening
        self.too_deep: dict[str, int] = {}  # tags kept as text for depth, still open

    def flush(self) -> None:
        if self.buffer:
            lines = [ln.text for ln in self.buffer]
            self.stack[-1].children.append(Text(lines, self.buffer[0].number))
            self.buffer.clear()

    def feed(self, index: int, line: _Line) -> None:
        m = line.tag
        if m is None:
            self.buffer.append(line)
            return
        is_end, name = bool(m.group(1)), m.group(2)
        if (
            (name not in KNOWN and not name.startswith("@"))
            or (is_end and self.too_deep.get(name))
            or not self.deep_enough(is_end, name, line)
        ):
            self.as_text(line, is_end, name)
            return
        self.flush()
        if is_end:
            _close(self.stack, name, line.number, self.file, self.diag)
            return
        attrs, arg = parse_attrs(m.group(3))
        indent = line.text[: len(line.text) - len(line.text.lstrip())]
        block = Block(name, attrs, line.number, arg, m.group(3), indent)
        self.stack[-1].children.append(block)
        if name in SELF_CLOSING or name.startswith("@"):
            return  # an integration's tag stands alone: GitBook fills it from elsewhere
        if name in OPTIONAL_END and not _has_end(self.lines, index, name):
            return
        self.stack.append(block)

    def deep_enough(self, is_end: bool, name: str, line: _Line) -> bool:
        """False for an opening tag past MAX_DEPTH (it is kept as text, with a warning)."""
        if is_end or name in SELF_CLOSING or len(self.stack) <= MAX_DEPTH:
            return True
        self.diag.warn(
            f"blocks nested more than {MAX_DEPTH} deep: {{% {name} %}} kept as text",
            file=self.file,
            line=line.number,
        )
        self.too_deep[name] = self.too_deep.get(name, 0) + 1
        return False

    def as_text(self, line: _Line, is_end: bool, name: str) -> None:
        if is_end and self.too_deep.get(name):
            self.too_deep[name] -= 1
        elif name not in KNOWN and not (is_end and name in self.unknown):
            self.diag.warn(
                f"unknown GitBook block {{% {'end' if is_end else ''}{name} %}} kept as text",
                file=self.file,
                line=line.number,
            )
            self.unknown.add(name)
        self.buffer.append(_Line(line.text, line.number))

    def finish(self) -> Block:
        self.flush()
        for block in self.stack[1:]:
            block.closed = False
            self.diag.warn(
                f"{{% {block.name} %}} opened here is never closed",
                file=self.file,
                line=block.line,
                hint=f"add {{% end{block.name} %}}",
            )
        return self.root


def _has_end(lines: list[_Line], index: int, name: str) -> bool:
    """Does a tag with an optional end tag have one before the next block tag?"""
    for line in lines[index + 1 :]:
        if line.tag is not None:
            return bool(line.tag.group(1)) and line.tag.group(2) == name
    return False


def _close(stack: list[Block], name: str, number: int, file: Path | str, diag: Diagnostics) -> None:
    open_names = [b.name for b in stack[1:]]
    if name not in open_names:
        diag.warn(
            f"{{% end{name} %}} closes nothing",
            file=file,
            line=number,
            hint="remove it, or add the opening tag",
        )
        return
    while stack[-1].name != name:
        unclosed = stack.pop()
        unclosed.closed = False
        diag.warn(
            f"{{% {unclosed.name} %}} is not closed before {{% end{name} %}} (line {number})",
            file=file,
            line=unclosed.line,
            hint=f"add {{% end{unclosed.name} %}}",
        )
    stack.pop()
