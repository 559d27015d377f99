"""SUMMARY.md: groups (`## Name`), nested page links, external links, generated trees."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from builder.content.links import clean_url
from builder.diagnostics import Diagnostics
from builder.gate import ReadRefused, current

ITEM = re.compile(r"^(\s*)[*+-]\s+\[(?P<title>(?:\\.|[^\]])*)\]\((?P<target>.*)\)\s*$")
GROUP = re.compile(r"^##\s+(.+?)\s*$")
FENCE_ITEM = re.compile(r"^\s*[*+-]\s+```")
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: ASCII punctuation only
LINK_TARGET = re.compile(r'^\s*(<[^>]+>|\S+)(?:\s+"(?P<label>[^"]*)")?\s*$')


@dataclass
class SummaryEntry:
    title: str
    path: str | None = None  # page path relative to the space root
    url: str | None = None  # external link
    line: int = 0
    group: bool = False
    children: list[SummaryEntry] = field(default_factory=list)


def parse_summary(summary: Path, root: Path, diag: Diagnostics) -> list[SummaryEntry]:
    """Parse SUMMARY.md into a tree; missing pages are reported with their line."""
    rel = summary.relative_to(root).as_posix()
    try:
        text = current().read_text(summary, what="SUMMARY.md")
    except ReadRefused as exc:
        diag.error(exc.message, file=rel, hint=exc.hint)
        return []
    except UnicodeDecodeError:
        diag.error("not UTF-8 text", file=rel, hint="save it as UTF-8")
        return []
    top: list[SummaryEntry] = []
    stack: list[tuple[int, SummaryEntry]] = []
    seen: set[str] = set()
    fence = False
    for number, line in enumerate(text.split("\n"), 1):
        opening = FENCE_ITEM.match(line)
        if opening or line.strip().startswith("```"):
            # A generated page tree (`* ```yaml … ```) or a fence: nothing in it is a page.
            fence = True if opening and not fence else not fence
            continue
        if fence:
            continue
        group = GROUP.match(line)
        if group:
            title = re.sub(r"\s*<a [^>]*>\s*</a>", "", group.group(1)).strip()
            heading = SummaryEntry(title, line=number, group=True)
            top.append(heading)
            stack = [(-1, heading)]
            continue
        item = ITEM.match(line)
        if not item:
            continue
        entry = _entry(item, number, (root, summary.parent), rel, seen, diag)
        if entry is None:
            continue
        indent = len(item.group(1).expandtabs(4))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        (stack[-1][1].children if stack else top).append(entry)
        stack.append((indent, entry))
    return top


def _entry(
    item: re.Match[str],
    number: int,
    where: tuple[Path, Path],
    rel: str,
    seen: set[str],
    diag: Diagnostics,
) -> SummaryEntry | None:
    root, base = where
    title = re.sub(r"\\(.)", r"\1", item.group("title")).strip()
    target_m = LINK_TARGET.match(item.group("target"))
    # A backslash escapes punctuation in a link's target as in its text: GitBook writes
    # `down\_time.md` for down_time.md.
    written = ESCAPE.sub(r"\1", target_m.group(1) if target_m else item.group("target"))
    target = clean_url(written)
    if re.match(r"[a-z]+://", target):
        return SummaryEntry(title, url=target, line=number)
    # Links are relative to SUMMARY.md (its folder is the root unless structure says else).
    try:
        path = current().followed(base / target.split("#")[0])  # a link: an input by its target
    except (OSError, ValueError):  # a NUL (%00) in the name, a name the system refuses
        diag.warn(f"entry '{title}': {target} cannot be a file name; left out", file=rel,
                  line=number, hint="fix the path in SUMMARY.md")  # fmt: skip
        return None
    # Both left out with a warning (an error with --strict), the rest printed: a stale line
    # of SUMMARY.md is common in real spaces (three of six tried), and GitBook shows the rest.
    if not path.is_relative_to(root.resolve()) or not current().allows(path):
        diag.warn(f"entry '{title}' points outside the space: {target}; left out",
                  file=rel, line=number, hint="keep pages inside the space")  # fmt: skip
        return None
    if not current().is_file(path):
        diag.warn(
            f"entry '{title}' points at a missing file: {target}; left out",
            file=rel,
            line=number,
            hint="create the page or fix the path in SUMMARY.md",
        )
        return None
    page = path.relative_to(root.resolve()).as_posix()
    if page in seen:
        diag.warn(f"page listed twice: {target} (kept at its first place)", file=rel, line=number)
        return None
    seen.add(page)
    return SummaryEntry(title, path=page, line=number)
