"""`check` is the build without writing: the same checks, the same diagnostics, no file.

Held to the same set on the bundled content and on a copy with an overfull card, a missing
image and a broken include, each named with its file and line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clirun import cli


def problems(err: str) -> set[str]:
    """What a run reported about the content: warnings, errors and failed outputs."""
    return {
        line
        for line in err.splitlines()
        if line.startswith(("warning: ", "error: ")) or ": failed: " in line
    }


def files(folder: Path) -> list[tuple[Path, int]]:
    """Every file and folder under folder, the caches included, with its size."""
    return sorted((p.relative_to(folder), p.stat().st_size if p.is_file() else -1)
                  for p in folder.rglob("*"))  # fmt: skip


def same_as_build(folder: Path) -> set[str]:
    """check, then build, in two copies of folder; both report the same; check writes nothing."""
    other = folder.parent / (folder.name + "-b")
    shutil.copytree(folder, other)
    before = files(folder)
    code_check, _, checked = cli(["check"], folder)
    assert files(folder) == before  # nothing written, not even out/
    code_build, _, built = cli(["build"], other)
    assert problems(checked) == problems(built), (checked, built)
    assert code_check == code_build
    return problems(built)


def test_check_and_build_agree_on_the_bundled_content(copy: Path) -> None:
    assert same_as_build(copy) == set()


def test_check_and_build_agree_on_broken_content(copy: Path) -> None:
    content = copy / "content"
    overfull = (content / "cards" / "vpn.md").read_text(encoding="utf-8")
    steps = (f"- Étape {n} : une ligne de plus sur la carte." for n in range(90))
    overfull += "\n" + "\n".join(steps)
    (content / "cards" / "trop.md").write_text(overfull, encoding="utf-8")
    with (content / "smartphone.md").open("a", encoding="utf-8") as page:
        page.write('\n![plan](.gitbook/assets/absent.png)\n\n{% include "nulle-part.md" %}\n')
    found = same_as_build(copy)
    assert any(line.startswith("cards/trop.pdf: failed: ") and "fit" in line for line in found)
    assert any("smartphone.md:" in line and "absent.png" in line for line in found), found
    assert any("smartphone.md:" in line and "nulle-part.md" in line for line in found), found


def test_renderer_warnings_name_the_page_and_line(copy: Path) -> None:
    """An image that WeasyPrint cannot draw: the warning names the page and line that put it
    there, not "manual". (An SVG that does not parse is the reader's, builder/images.py;
    here a valid SVG whose own picture is broken.)"""
    assets = copy / "content" / ".gitbook" / "assets"
    (assets / "casse.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>"
        "<image href='data:image/png;base64,AAAA' width='5' height='5'/></svg>"
    )
    with (copy / "content" / "smartphone.md").open("a", encoding="utf-8") as page:
        page.write("\n![cassée](.gitbook/assets/casse.svg)\n")
    line = (copy / "content" / "smartphone.md").read_text(encoding="utf-8").count("\n")
    for command in (["check"], ["build", "--manual"]):
        _, _, err = cli(command, copy)
        lines = [text for text in err.splitlines() if "Failed to load image" in text]
        assert lines, err
        assert all(
            text.startswith(f"warning: smartphone.md:{line}: renderer: ") for text in lines
        ), err


def test_a_png_whose_data_is_broken_is_reported_where_it_is_used(copy: Path) -> None:
    """Its chunks are whole (Pillow's verify passes) but its image data does not inflate:
    embedded as it is, it would print as a broken picture without a word."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"pas une image")
    (copy / "content" / ".gitbook" / "assets" / "casse.png").write_bytes(png + chunk(b"IEND", b""))
    with (copy / "content" / "smartphone.md").open("a", encoding="utf-8") as page:
        page.write("\n![cassée](.gitbook/assets/casse.png)\n")
    found = same_as_build(copy)
    assert any(line.startswith("warning: smartphone.md:") and "casse.png is truncated" in line
               for line in found), found  # fmt: skip


def test_check_writes_no_cache_entry_for_pictures_it_prepares(copy: Path) -> None:
    """The pictures a build converts or shrinks into .guideprint-cache (a transparent palette,
    one too large for the page, an opaque RGBA whose opacity is noted): `check` lays them out
    from a folder it throws away, and reports what build reports."""
    from PIL import Image

    assets = copy / "content" / ".gitbook" / "assets"
    palette = Image.new("P", (60, 40), 1)
    palette.putpalette([255, 255, 255, 200, 30, 30] * 128)
    palette.save(assets / "palette.png", transparency=0)
    Image.new("RGB", (6000, 300), (30, 90, 200)).save(assets / "large.png")
    Image.new("RGBA", (80, 50), (20, 160, 20, 255)).save(assets / "opaque.png")
    with (copy / "content" / "smartphone.md").open("a", encoding="utf-8") as page:
        page.write("\n![p](.gitbook/assets/palette.png)\n\n![l](.gitbook/assets/large.png)\n"
                   "\n![o](.gitbook/assets/opaque.png)\n")  # fmt: skip
    assert same_as_build(copy) == set()
    made = copy.parent / (copy.name + "-b") / ".guideprint-cache" / "images"
    entries = {p.suffix for p in made.rglob("*") if p.is_file()}
    assert {".png", ".sha256"} <= entries, entries  # build did
    assert (made / "modes").is_dir()


@pytest.mark.weasyprint_logs  # its .notdef lines, which the renderer leaves to the check
def test_characters_no_font_has_are_reported_with_their_line(copy: Path) -> None:
    """Vai, a script the set does not cover, in a page and on a card: a warning each, with the
    file and the line, found by check as by build (from the fonts' cmaps), not boxes."""
    with (copy / "content" / "smartphone.md").open("a", encoding="utf-8") as page:
        page.write("\nUne ligne en français.\n\nꔀꔁꔂ\n")
    line = (copy / "content" / "smartphone.md").read_text(encoding="utf-8").count("\n")
    card = copy / "content" / "cards" / "vpn.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nꔃ\n", encoding="utf-8")
    found = same_as_build(copy)
    assert any(text.startswith(f"warning: smartphone.md:{line}: ") and "U+A500" in text
               for text in found), found  # fmt: skip
    assert any(text.startswith("warning: content/cards/vpn.md:") and "U+A503" in text
               for text in found), found  # fmt: skip
    assert not any("é" in text or "U+00E9" in text for text in found)
