"""SUMMARY.md entries and links as GitBook writes them in real spaces (a Russian team's space
failed to build on them): backslash escapes in a target (`down\\_time.md`), and folder
pages named `readme.md` reached by a link to their folder (`[PO](<Analytics PO/>)`, `./`);
and images whose alt text is an editor's placeholder ("Alt text") or the file's name, which
printed as captions ("Figure 3 — Alt text").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import write_files

from builder.content.render import render_markdown
from builder.content.space import find_spaces, read_space
from builder.diagnostics import Diagnostics

SPACE = {
    "SUMMARY.md": (
        "# Table of contents\n\n* [Home](README.md)\n"
        "* [down\\_time](DEPLOY/down\\_time/README.md)\n"
        "  * [scheme](DEPLOY/down\\_time/scheme\\_1.md)\n"
        "* [Analytics PO](<Analytics PO/readme.md>)\n"
    ),
    "README.md": "# Home\n\n* [deploy](DEPLOY/down_time/)\n* [po](<Analytics PO/>)\n",
    "DEPLOY/down_time/README.md": "# Down time\n\nText.\n",
    "DEPLOY/down_time/scheme_1.md": "# Scheme\n\nText.\n",
    "Analytics PO/readme.md": "# Analytics PO\n\nThis page: [here](./).\n",
}


def _read(tmp_path: Path) -> tuple[list[str], dict[str, str], Diagnostics]:
    root = tmp_path / "space"
    write_files(root, SPACE)
    diag = Diagnostics()
    (space,) = [read_space(layout, diag, lang="en") for layout in find_spaces(root)]
    return [p.path for p in space.pages], {p.path: p.html for p in space.pages}, diag


def test_escaped_summary_targets_are_their_files(tmp_path: Path) -> None:
    pages, _, diag = _read(tmp_path)
    assert pages == [
        "README.md",
        "DEPLOY/down_time/README.md",
        "DEPLOY/down_time/scheme_1.md",
        "Analytics PO/readme.md",
    ]
    assert [str(d) for d in diag.items] == []


def test_links_to_a_folder_reach_its_lower_case_readme(tmp_path: Path) -> None:
    _, html, diag = _read(tmp_path)
    assert 'href="#p-deploy-down-time-readme"' in html["README.md"]
    assert 'href="#p-analytics-po-readme"' in html["README.md"]
    assert 'href="#p-analytics-po-readme"' in html["Analytics PO/readme.md"]
    assert [str(d) for d in diag.items] == []


GOLDEN = (Path(__file__).parent / "fixtures" / "spaces" / "golden").resolve()


@pytest.mark.parametrize(
    ("markdown", "caption"),
    [
        ("![Alt text](../.gitbook/assets/image%20%281%29.png)", None),  # VS Code's placeholder
        ("![image (1)](<../.gitbook/assets/image (1).png>)", None),  # the file's name
        ("![dark](../.gitbook/assets/dark.png)", None),
        ("![Dark mode on](../.gitbook/assets/dark.png)", "Dark mode on"),  # said by the author
        ("![밤하늘](../.gitbook/assets/dark.png)", "밤하늘"),
    ],
)
def test_a_placeholder_or_file_name_alt_is_no_caption(markdown: str, caption: str | None) -> None:
    diag = Diagnostics()
    page = GOLDEN / "guide" / "page.md"
    html = render_markdown(markdown, source=page, root=GOLDEN, diag=diag, lang="en").html
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert captions == ([caption] if caption else [])
    assert re.search(r'<img [^>]*alt="[^"]+"', html)  # the alt stays, for the tagged PDF
    assert not diag.items


def test_a_bare_address_with_escapes_is_the_address_without_them() -> None:
    """GitBook escapes a bare address's `_` and `&` as it does text's (a Russian space):
    the link led to `utm%5C_source` and printed its backslashes."""
    markdown = "from: https://blog.example.com/p/a?utm\\_source=mail\\&post\\_id=12 ok\n"
    diag = Diagnostics()
    page = GOLDEN / "guide" / "page.md"
    html = render_markdown(markdown, source=page, root=GOLDEN, diag=diag, lang="en").html
    assert 'href="https://blog.example.com/p/a?utm_source=mail&amp;post_id=12"' in html
    assert ">https://blog.example.com/p/a?utm_source=mail&amp;post_id=12</a>" in html
    assert "\\" not in html


def test_a_legacy_book_summary_and_image_paths_with_spaces(tmp_path: Path) -> None:
    """A legacy German GitBook book: its table of contents is `Summary.md` (it was read as no
    SUMMARY.md: every page in path order, with a warning), and its images' paths hold
    spaces without <…> (they printed as text): both read as GitBook read them."""
    root = tmp_path / "book"
    (root / "Bilder" / "Sprache ändern").mkdir(parents=True)
    (root / "Bilder" / "Sprache ändern" / "bild_1.png").write_bytes(
        (GOLDEN / ".gitbook" / "assets" / "dark.png").read_bytes()
    )
    (root / "Summary.md").write_text("# Summary\n\n* [Start](README.md)\n* [Zwei](zwei.md)\n")
    (root / "README.md").write_text("# Start\n\nText.\n")
    (root / "zwei.md").write_text(
        "# Zwei\n\nEin Bild:\n\n![](/Bilder/Sprache ändern/bild_1.png)\n\n"
        "![x](Bilder/Sprache ändern/bild_1.png)\n\n`![](a b.png)` bleibt Code.\n",
        encoding="utf-8",
    )
    (root / "andere.md").write_text("# Not in the summary\n")
    diag = Diagnostics()
    (space,) = [read_space(layout, diag, lang="en") for layout in find_spaces(root)]
    assert [p.path for p in space.pages] == ["README.md", "zwei.md"]
    html = space.pages[1].html
    assert html.count("<img ") == 2
    assert "Sprache%20%C3%A4ndern/bild_1.png" in html
    assert "<code>![](a b.png)</code>" in html
    assert [str(d) for d in diag.items] == [
        "zwei.md:5: image path with spaces read as </Bilder/Sprache ändern/bild_1.png>, "
        "and 1 more here (write ![…](<path>): GitBook reads a path with spaces only so)"
    ]


def test_a_stale_summary_line_leaves_its_page_out_and_the_manual_is_made(tmp_path: Path) -> None:
    """Three of six real spaces had one SUMMARY.md line to a page long gone: the manual is
    printed without it and the line is said; --strict refuses it."""
    from clirun import cli

    (tmp_path / "guideprint.toml").write_text('title = "T"\nlanguage = "en"\n', "utf-8")
    space = tmp_path / "content"
    space.mkdir()
    (space / "SUMMARY.md").write_text("# T\n\n* [Home](README.md)\n* [Gone](gone.md)\n", "utf-8")
    (space / "README.md").write_text("# Home\n\nHello.\n", encoding="utf-8")
    code, _, err = cli(["build", "--manual"], tmp_path)
    assert code == 0, err
    assert "SUMMARY.md:4: entry 'Gone' points at a missing file: gone.md; left out" in err
    assert (tmp_path / "out" / "manual.pdf").is_file()
    code, _, err = cli(["build", "--manual", "--strict", "--force"], tmp_path)
    assert code == 1, err


def test_a_summary_target_that_cannot_be_a_file_name_is_one_warning(tmp_path: Path) -> None:
    """`bad%00.md`: a NUL in the name; the path resolution raised ValueError (the review)."""
    from clirun import cli

    (tmp_path / "guideprint.toml").write_text('title = "T"\n', "utf-8")
    space = tmp_path / "content"
    space.mkdir()
    (space / "SUMMARY.md").write_text("# T\n\n* [Home](README.md)\n* [Bad](bad%00.md)\n", "utf-8")
    (space / "README.md").write_text("# Home\n\nHello.\n", encoding="utf-8")
    code, _, err = cli(["list"], tmp_path)
    assert "Traceback" not in err
    assert "SUMMARY.md:4: entry 'Bad': bad" in err, err
    assert code == 0, err
