"""Bad input at the reader level: a clear message with file and line each, never a
traceback, and nothing outside the space read."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from builder.content.render import render_markdown
from builder.content.space import find_spaces, read_space
from builder.diagnostics import Diagnostics
from builder.images import check_image

MakeSpace = Callable[[dict[str, str | bytes]], Path]
SECRET = "TOP-SECRET-CONTENT"


def png(size: tuple[int, int] = (4, 4), fmt: str = "PNG") -> bytes:
    """A picture of noise (so that it compresses badly and can be cut mid-data)."""
    image = Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))
    out = BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def bomb_png(side: int = 30_000) -> bytes:
    """A tiny file whose header claims side x side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def build(make_space: MakeSpace, page: str, **files: str | bytes) -> tuple[Path, Diagnostics, str]:
    """A one-page space (page.md) read and rendered; returns root, diagnostics, page HTML."""
    root = make_space({"SUMMARY.md": "* [Page](page.md)\n", "page.md": page, **files})
    (root.parent / "secret.md").write_text(SECRET, encoding="utf-8")
    diag = Diagnostics()
    spaces = [read_space(layout, diag) for layout in find_spaces(root)]
    pages = spaces[0].pages
    return root, diag, pages[0].html if pages else ""


def said(diag: Diagnostics) -> list[str]:
    return [f"{d.level}: {d}" for d in diag.items]


# -- front matter ----------------------------------------------------------------------------


def test_invalid_front_matter(make_space: MakeSpace) -> None:
    _, diag, html = build(make_space, "---\ndescription: a: b\n---\n# Title\n\nBody.")
    assert said(diag) == [
        "error: page.md:2: invalid front matter: mapping values are not allowed here "
        "(quote values that contain ':' and check the indentation)"
    ]
    assert "<p>Body.</p>" in html  # the page is still read


def test_unclosed_front_matter(make_space: MakeSpace) -> None:
    _, diag, _ = build(make_space, "---\ndescription: x\n\n# Title\n")
    assert [(d.level, d.file, d.line) for d in diag.items] == [("error", "page.md", 1)]
    assert "never closed" in diag.items[0].message


def test_lines_count_from_the_file_start(make_space: MakeSpace) -> None:
    _, diag, _ = build(make_space, "---\ndescription: x\n---\n# Title\n\n{% hint %}\nx\n")
    assert said(diag) == [
        "warning: page.md:6: {% hint %} opened here is never closed (add {% endhint %})"
    ]


# -- blocks ----------------------------------------------------------------------------------


def test_unclosed_mismatched_and_unknown_blocks(make_space: MakeSpace) -> None:
    page = (
        '# T\n\n{% tabs %}\n{% tab title="a" %}\nA\n{% endtabs %}\n\n'
        "{% frobnicate %}\nx\n{% endfrobnicate %}\n\n{% endhint %}\n\n{% stepper %}\nlast\n"
    )
    _, diag, html = build(make_space, page)
    assert said(diag) == [
        "warning: page.md:4: {% tab %} is not closed before {% endtabs %} (line 6) "
        "(add {% endtab %})",
        "warning: page.md:8: unknown GitBook block {% frobnicate %} kept as text",
        "warning: page.md:12: {% endhint %} closes nothing (remove it, or add the opening tag)",
        "warning: page.md:14: {% stepper %} opened here is never closed (add {% endstepper %})",
    ]
    assert "{% frobnicate %}" in html
    assert "<p>last</p>" in html


# -- SUMMARY and files ----------------------------------------------------------------------


def test_summary_entry_for_a_missing_file(make_space: MakeSpace) -> None:
    root = make_space({"SUMMARY.md": "# T\n\n* [A](a.md)\n* [Nope](nope.md)\n", "a.md": "# A"})
    diag = Diagnostics()
    (space,) = [read_space(layout, diag) for layout in find_spaces(root)]
    assert [p.path for p in space.pages] == ["a.md"]
    assert said(diag) == [
        "warning: SUMMARY.md:4: entry 'Nope' points at a missing file: nope.md; left out "
        "(create the page or fix the path in SUMMARY.md)"
    ]


def test_page_not_utf8(make_space: MakeSpace) -> None:
    latin1 = "# Titre\n\nÉté à la plage\n".encode("latin-1")
    root = make_space({"SUMMARY.md": "* [A](a.md)\n* [B](b.md)\n", "a.md": latin1, "b.md": "# B"})
    diag = Diagnostics()
    (space,) = [read_space(layout, diag) for layout in find_spaces(root)]
    assert [p.path for p in space.pages] == ["b.md"]  # the others are still read
    assert said(diag) == [
        "error: a.md:3: not UTF-8 text (byte 0xc9) "
        "(run 'guideprint import' on it to repair the encoding)"
    ]


def test_include_not_utf8(make_space: MakeSpace) -> None:
    _, diag, _ = build(
        make_space, '# T\n\n{% include "inc.md" %}\n', **{"inc.md": "caf\xe9".encode("latin-1")}
    )
    assert said(diag) == [
        "error: page.md:3: included file is not UTF-8: inc.md "
        "(run 'guideprint import' on it, or save it as UTF-8)"
    ]


@pytest.mark.parametrize("where", ["page", "include"])
def test_mojibake_left_in_a_page(make_space: MakeSpace, where: str) -> None:
    broken = "Vous Ãªtes connectÃ© !\n"
    if where == "page":
        _, diag, _ = build(make_space, "# T\n\n" + broken)
        expected = "warning: page.md:3: mojibake 'Ãª'"
    else:
        _, diag, _ = build(make_space, '# T\n\n{% include "inc.md" %}\n', **{"inc.md": broken})
        expected = "warning: inc.md:1: mojibake 'Ãª'"
    (message,) = said(diag)
    assert message.startswith(expected)
    assert "guideprint import" in message


def test_include_cycle(make_space: MakeSpace) -> None:
    _, diag, html = build(
        make_space,
        '# T\n\n{% include "a.md" %}\n',
        **{"a.md": 'A\n\n{% include "b.md" %}\n', "b.md": 'B\n\n\n{% include "a.md" %}\n'},
    )
    assert said(diag) == [
        "error: b.md:4: include cycle: page.md -> a.md -> b.md -> a.md "
        "(remove one of these includes)"
    ]
    assert html.count("<p>A</p>") == 1


def test_self_include(make_space: MakeSpace) -> None:
    _, diag, _ = build(make_space, '# T\n\n{% include "page.md" %}\n')
    assert said(diag) == [
        "error: page.md:3: include cycle: page.md -> page.md (remove one of these includes)"
    ]


# -- images ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (png((32, 32))[:2000], "is truncated or corrupt"),
        (png((32, 32), "JPEG")[:900], "is truncated or corrupt"),
        (b"not an image at all", "is not an image"),
        (b"", "is not an image"),
        (bomb_png(), "more than 64,000,000 pixels (a decompression bomb?)"),
    ],
    ids=["truncated-png", "truncated-jpeg", "corrupt", "empty", "bomb"],
)
def test_broken_images(make_space: MakeSpace, data: bytes, problem: str) -> None:
    _, diag, html = build(make_space, "# T\n\nText.\n\n![](x.png)\n", **{"x.png": data})
    (message,) = said(diag)
    assert message.startswith("warning: page.md:5: image x.png ")
    assert problem in message
    assert 'class="missing-image"' in html
    assert "<img" not in html


def test_good_image_and_svg(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png())
    (tmp_path / "b.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "c.svg").write_text("<html>not svg</html>")
    assert check_image(tmp_path / "a.png") is None
    assert check_image(tmp_path / "b.svg") is None
    assert check_image(tmp_path / "c.svg") == "is not an SVG file"


# -- nothing outside the space ---------------------------------------------------------------

TRAVERSALS = [
    ("![](../secret.md)", "image '../secret.md' refused: it points outside the space"),
    ("![](../../../../../../etc/passwd)", "refused: it points outside the space"),
    ("[x](../secret.md)", "link '../secret.md' refused: it points outside the space"),
    ('{% include "../secret.md" %}', "include '../secret.md' refused"),
    ('{% file src="../secret.md" %}', "file '../secret.md' refused"),
    ('<img src="file:///etc/passwd">', "only files of the space are read"),
    ('{% include "/etc/passwd" %}', "cannot be read from the repository"),
]


@pytest.mark.parametrize(("line", "message"), TRAVERSALS, ids=[t[0] for t in TRAVERSALS])
def test_path_traversal_refused(make_space: MakeSpace, line: str, message: str) -> None:
    _, diag, html = build(make_space, f"# T\n\n{line}\n")
    (warning,) = said(diag)
    assert warning.startswith("warning: page.md:3: ")
    assert message in warning
    assert SECRET not in html
    assert "root:x:0:0" not in html


def test_symlink_out_of_the_space_refused(make_space: MakeSpace) -> None:
    root = make_space({"SUMMARY.md": "* [Page](page.md)\n", "page.md": "# T\n\n![](s.png)\n"})
    outside = root.parent / "outside.png"
    outside.write_bytes(png())
    (root / "s.png").symlink_to(outside)
    diag = Diagnostics()
    (space,) = [read_space(layout, diag) for layout in find_spaces(root)]
    assert "outside.png" not in space.pages[0].html
    assert "points outside the space" in said(diag)[0]


# -- raw HTML --------------------------------------------------------------------------------

HOSTILE = [
    ("<script>alert(1)</script>", "<script> removed"),
    ('<iframe src="https://x"></iframe>', "<iframe> removed"),
    ('<object data="x"></object>', "<object> removed"),
    ('<form action="https://x"><input></form>', "<form> removed"),
    ('<p onclick="x()">p</p>', "event attribute onclick removed from <p>"),
    ('<link rel="stylesheet" href="https://x/a.css">', "<link> removed"),
    ("<style>@import url(https://x/a.css);</style>", "<style> removed"),
    ('<p style="background:url(https://x/t.png)">p</p>', "style attribute pulling a resource"),
    ('<a href="javascript:alert(1)">a</a>', "href='javascript:alert(1)' removed from <a>"),
    ('<svg><image href="https://x/i.png"/></svg>', "removed from <image>"),
]


@pytest.mark.parametrize(("raw", "message"), HOSTILE, ids=[h[1] for h in HOSTILE])
def test_hostile_html_neutralised(tmp_path: Path, raw: str, message: str) -> None:
    diag = Diagnostics()
    html = render_markdown(f"Intro.\n\n{raw}\n", source=tmp_path / "p.md", root=tmp_path,
                           diag=diag).html  # fmt: skip
    (warning,) = [str(d) for d in diag.items]
    assert warning.startswith("p.md:3: ")
    assert message in warning
    for bad in ("<script", "<iframe", "<object", "<form", "onclick", "<link", "<style",
                "url(", "javascript:", "https://x"):  # fmt: skip
        assert bad not in html


def test_every_warning_has_file_and_line(make_space: MakeSpace) -> None:
    page = "# T\n\n" + "\n\n".join(raw for raw, _ in HOSTILE) + "\n\n![](<missing (1).png>)\n"
    _, diag, _ = build(make_space, page)
    assert len(diag.items) == len(HOSTILE) + 1
    assert all(d.file == "page.md" and d.line for d in diag.items)
    assert [d.line for d in diag.items] == sorted(d.line or 0 for d in diag.items)
