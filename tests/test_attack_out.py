"""The output folder attacked: `--out` is the user's choice (their Desktop, a shared folder),
and what already lies there must stay as private as any other file of the machine.

Not repeated here: out/ itself, its ledger or lock a link (tests/test_gate.py), out/ taken
by a file (test_safety.py).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from clirun import cli
from conftest import project
from PIL import Image
from pypdf import PdfReader

PRIVATE_SIZE = (7, 3)  # no picture of the space has this size: found in the PDF, it leaked


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def scan_not_printed(folder: Path, out: Path, href: str) -> str:
    """A private scan lying in out, an SVG of the space pointing at it by href, the manual
    built into out: the scan is not in it. What the build said."""
    (out / "scan.png").write_bytes(png(PRIVATE_SIZE, (10, 200, 10)))
    (folder / "content" / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="70" height="30" viewBox="0 0 70 30">'
        f'<image href="{href}" width="70" height="30"/></svg>\n'
    )
    (folder / "content" / "README.md").write_text("# Guide\n\n![logo](evil.svg)\n", "utf-8")
    code, _, err = cli(["build", "--manual", "--out", str(out)], folder)
    assert code == 0, err
    sizes = [im.image.size for p in PdfReader(out / "manual.pdf").pages for im in p.images]
    assert PRIVATE_SIZE not in sizes, err
    return err


@pytest.mark.weasyprint_logs  # the refusal, once it is refused
def test_a_picture_already_in_the_out_folder_is_not_readable_by_the_space(
    tmp_path: Path,
) -> None:
    """`guideprint build --out ~/Bureau`: the Desktop holds a scan of an ID card; an SVG of
    the space points at it by a relative path (`../../Bureau/scan.png`, guessable from the
    usual layout of a home folder). The manual must not show it."""
    desk = tmp_path / "Bureau"
    desk.mkdir()
    folder = project(tmp_path / "guide", 'title = "T"\n')
    scan_not_printed(folder, desk, "../../Bureau/scan.png")


def aged(path: Path, text: str = "x") -> Path:
    """A file written two hours ago."""
    import os
    import time

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    then = time.time() - 7200
    os.utime(path, (then, then))
    return path


def test_another_programs_part_files_in_the_out_folder_are_kept(tmp_path: Path) -> None:
    """`--out ~/Bureau`: the Desktop holds another program's download in progress, named as
    mkstemp names (`.rapport.docx.a1b2c3d4.part`), in a subfolder and at the top; a build
    must remove only its own leftovers (before the fix: every such file of the whole tree
    was deleted). Ours are still removed, down to welcome/<person>/."""
    desk = tmp_path / "Bureau"
    theirs = [
        aged(desk / ".rapport.docx.a1b2c3d4.part"),
        aged(desk / "projets" / "2025" / ".budget.xlsx.k9x8w7v6.part"),
        aged(desk / "a" / "b" / "c" / ".film.pdf.qwertyui.part"),  # deeper than we write
    ]
    ours = [
        aged(desk / ".manual.pdf.abcd1234.part"),
        aged(desk / "welcome" / "101-jean" / ".bienvenue-jean.eml.zz11yy22.part"),
        aged(desk / ".guideprint-ledger.json.ab_cd_ef.part"),
    ]
    folder = project(tmp_path / "guide", 'title = "T"\n')
    code, _, err = cli(["build", "--manual", "--out", str(desk)], folder)
    assert code == 0, err
    assert [p for p in theirs if not p.exists()] == []
    assert [p for p in ours if p.exists()] == []


def test_a_link_inside_out_does_not_carry_the_outputs_elsewhere(tmp_path: Path) -> None:
    """A cloned repository that carries `out/cards` as a link to `../../Documents` (out/ is
    ignored by the starter .gitignore, not by every repository): the build must not replace
    the user's `Documents/vpn.pdf`; it refuses the link as it refuses out/ being one. (Before
    the fix the file was replaced by the card.) A link that stays inside out/ is kept."""
    documents = tmp_path / "Documents"
    documents.mkdir()
    mine = documents / "vpn.pdf"
    mine.write_bytes(b"%PDF-1.4 the user's own contract")
    folder = project(tmp_path / "guide", 'title = "T"\n')
    (folder / "content" / "cards").mkdir()
    (folder / "content" / "cards" / "vpn.md").write_text("---\ntitle: VPN\n---\n\nTexte.\n")
    (folder / "out").mkdir()
    (folder / "out" / "cards").symlink_to(documents)
    code, _, err = cli(["build", "--card", "vpn"], folder)
    assert mine.read_bytes() == b"%PDF-1.4 the user's own contract", err
    assert code == 1, err
    assert "cards/ refused: it is a link leading outside" in err, err


def test_a_link_inside_out_that_stays_inside_is_written_through(tmp_path: Path) -> None:
    """The refusal is of links leading out: `out/cards -> cartes/` (inside out/) still works."""
    folder = project(tmp_path / "guide", 'title = "T"\n')
    (folder / "content" / "cards").mkdir()
    (folder / "content" / "cards" / "vpn.md").write_text("---\ntitle: VPN\n---\n\nTexte.\n")
    (folder / "out" / "cartes").mkdir(parents=True)
    (folder / "out" / "cards").symlink_to("cartes")
    code, _, err = cli(["build", "--card", "vpn"], folder)
    assert code == 0, err
    assert len(PdfReader(folder / "out" / "cartes" / "vpn.pdf").pages) >= 1


def test_a_link_of_the_user_s_elsewhere_in_out_is_left_alone(tmp_path: Path) -> None:
    """`--out ~/Bureau` whose Desktop holds `Photos -> /data/photos`, a folder no build
    writes: the build goes on (the review found every such build refused), and the link and
    its folder are untouched."""
    photos = tmp_path / "data" / "photos"
    photos.mkdir(parents=True)
    (photos / "vacances.jpg").write_bytes(b"not ours")
    desk = tmp_path / "Bureau"
    desk.mkdir()
    (desk / "Photos").symlink_to(photos)
    folder = project(tmp_path / "guide", 'title = "T"\n')
    code, _, err = cli(["build", "--manual", "--out", str(desk)], folder)
    assert code == 0, err
    assert (desk / "manual.pdf").is_file()
    assert (desk / "Photos").is_symlink()
    assert (photos / "vacances.jpg").read_bytes() == b"not ours"


@pytest.mark.weasyprint_logs  # the refusal
def test_an_out_folder_inside_the_space_is_not_drawn_from(tmp_path: Path) -> None:
    """`--out content/out`: the output folder lies inside the space, a root of the renderer;
    a picture lying there (another build's, or anyone's) is refused like the Desktop's (the
    review: dropping the out root alone did not cover this)."""
    folder = project(tmp_path / "guide", 'title = "T"\n')
    out = folder / "content" / "out"
    out.mkdir()
    err = scan_not_printed(folder, out, "out/scan.png")
    assert "file of the output folder refused" in err, err


def test_out_as_the_project_folder_still_draws_the_space_s_pictures(tmp_path: Path) -> None:
    """`--out .`: the output folder holds the space and the cache, which stay drawn from."""
    folder = project(tmp_path / "guide", 'title = "T"\n')
    (folder / "content" / "photo.png").write_bytes(png((40, 30), (200, 10, 10)))
    (folder / "content" / "README.md").write_text("# Guide\n\n![Photo](photo.png)\n", "utf-8")
    code, _, err = cli(["build", "--manual", "--out", "."], folder)
    assert code == 0, err
    assert "refused" not in err, err
    images = [im for p in PdfReader(folder / "manual.pdf").pages for im in p.images]
    assert images, err
