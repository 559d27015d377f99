"""A large space made from the real one: its pages replicated, with a SUMMARY listing them."""

from __future__ import annotations

import shutil
from pathlib import Path

from peers import FRONT_MATTER, summary_pages


def large_space(space: Path, dest: Path, copies: int) -> int:
    """Write `copies` parts of the space's pages into dest; return the number of pages.

    Part 1 keeps the original file names (links between pages still resolve); the others
    are prefixed (p02-vpn.md, ...). Images are shared through .gitbook/assets.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copytree(space / ".gitbook", dest / ".gitbook")
    pages = summary_pages(space)
    lines = ["# Table of contents", ""]
    for part in range(1, copies + 1):
        lines += ["", f"## Partie {part}", ""]
        for page in pages:
            name = page.name if part == 1 else f"p{part:02d}-{page.name}"
            text = page.read_text(encoding="utf-8")
            if part > 1:
                text = FRONT_MATTER.sub("", text)
            (dest / name).write_text(text, encoding="utf-8")
            title = _title(text) or page.stem
            suffix = "" if part == 1 else f" ({part})"
            lines.append(f"* [{title}{suffix}]({name})")
    (dest / "SUMMARY.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copies * len(pages)


def _title(text: str) -> str:
    for line in FRONT_MATTER.sub("", text).splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""
