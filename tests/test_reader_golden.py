"""Golden tests: GitBook Markdown -> the HTML a printed manual should contain.

Each file under fixtures/golden/ holds the cases of one construct family:

    ======== title of the case
    -------- options            (optional: lang, source, allow_remote)
    -------- markdown
    …input…
    -------- html
    …expected HTML…
    -------- warnings           (optional; without it the case must warn about nothing)
    warning: guide/page.md:3: …

Cases are rendered as the body of guide/page.md of the space fixtures/spaces/golden;
file URIs start with file:///SPACE, and no-break spaces are written &nbsp; / &#x202f;.
Review every expected output by eye; `python tests/test_reader_golden.py --update`
rewrites them from the current code, for a diff to read before committing.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from builder.content.render import render_markdown
from builder.diagnostics import Diagnostics

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
SPACE = (Path(__file__).parent / "fixtures" / "spaces" / "golden").resolve()
TITLES = {
    "README.md": "Golden space",
    "guide/page.md": "Page under test",
    "guide/other.md": "Other page",
    "guide/sub/README.md": "Folder page",
    "guide/sub/nested.md": "Nested page",
}
CASE = re.compile(r"^======== (.+)$", re.M)
SECTION = re.compile(r"^-------- (\w+)[ \t]*$", re.M)


@dataclass
class Case:
    file: str
    title: str
    markdown: str
    html: str
    warnings: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


def load(path: Path) -> list[Case]:
    """The cases of one golden file."""
    text = path.read_text(encoding="utf-8")
    heads = list(CASE.finditer(text))
    cases = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        chunk = text[head.end() + 1 : nxt.start() if nxt else len(text)]
        parts = SECTION.split(chunk)
        sections = {name: body for name, body in zip(parts[1::2], parts[2::2], strict=True)}
        options = dict(
            (k.strip(), v.strip())
            for line in sections.get("options", "").splitlines()
            if ":" in line
            for k, v in [line.split(":", 1)]
        )
        cases.append(
            Case(
                file=path.stem,
                title=head.group(1).strip(),
                markdown=_block(sections["markdown"]),
                html=_block(sections["html"]),
                warnings=[w for w in sections.get("warnings", "").splitlines() if w.strip()],
                options=options,
            )
        )
    return cases


def _block(text: str) -> str:
    """A section's lines, without the blank lines that separate it from the next marker."""
    return text.removeprefix("\n").rstrip("\n") + "\n"


def render(case: Case) -> tuple[str, list[str]]:
    """The HTML and the diagnostics of a case, with the fixture's location abstracted."""
    diag = Diagnostics()
    source = SPACE / case.options.get("source", "guide/page.md")
    rendered = render_markdown(
        case.markdown,
        source=source,
        root=SPACE,
        diag=diag,
        lang=case.options.get("lang", "en"),
        titles=TITLES,
        allow_remote=case.options.get("allow_remote") == "true",
    )
    html = rendered.html.replace(SPACE.as_uri(), "file:///SPACE")
    # A formula's drawing, shortened: tests/test_math.py reads it back from the PDF.
    html = re.sub(r"(data:image/svg\+xml;base64,)[A-Za-z0-9+/=]+", r"\1…", html)
    # Typography's no-break spaces, made visible for review.
    html = html.replace("\u00a0", "&nbsp;").replace("\u202f", "&#x202f;")
    return html, [f"{d.level}: {d}" for d in diag.items]


CASES = [case for path in sorted(GOLDEN.glob("*.txt")) for case in load(path)]


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.file}: {c.title}") for c in CASES])
def test_golden(case: Case) -> None:
    html, warnings = render(case)
    assert html == case.html
    assert warnings == case.warnings


def test_every_family_has_cases() -> None:
    families = {c.file for c in CASES}
    assert families >= {
        "blocks",
        "code",
        "links",
        "includes",
        "math",
        "inline",
        "headings",
        "tables",
        "images",
        "api",
        "sanitize",
    }
    titles = [(c.file, c.title) for c in CASES]
    assert len(titles) == len(set(titles)), "two cases share a title"


def update() -> None:
    """Rewrite every expected output and warning list from the current code."""
    for path in sorted(GOLDEN.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        preamble = text[: CASE.search(text).start()] if CASE.search(text) else ""
        out = [preamble]
        for case in load(path):
            html, warnings = render(case)
            out.append(f"======== {case.title}\n")
            if case.options:
                opts = "".join(f"{k}: {v}\n" for k, v in case.options.items())
                out.append(f"-------- options\n{opts}\n")
            out.append(f"-------- markdown\n{case.markdown}\n-------- html\n{html}\n")
            if warnings:
                out.append("-------- warnings\n" + "".join(w + "\n" for w in warnings) + "\n")
        path.write_text("".join(out).rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        update()
