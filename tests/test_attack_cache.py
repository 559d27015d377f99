"""The caches attacked: entries planted in `.guideprint-cache/` by someone who can write the
project folder (a hostile author who commits the folder, a colleague on a shared desk), and
whether what they hold reaches a PDF in place of the space's own picture.

Not repeated here: an entry that is a link out (tests/test_gate.py), a truncated or edited
entry whose sidecar no longer matches (test_downsample.py, test_safety.py).
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clirun import cli
from conftest import project
from PIL import Image
from pypdf import PdfReader

from builder.config import Settings
from builder.downsample import _key
from builder.manual import image_box

REAL = (20, 120, 20)  # the space's picture: green
PLANTED = (200, 20, 20)  # what the planted entry holds: red
FIT = f"fit {image_box(Settings())}"  # the conversion of a picture downsampled for the manual


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def colours(pdf: Path) -> set[tuple[int, int, int]]:
    """The colour at the centre of each picture of the PDF."""
    found = set()
    for page in PdfReader(pdf).pages:
        for image in page.images:
            im = image.image.convert("RGB")
            found.add(im.getpixel((im.width // 2, im.height // 2)))
    return found


def near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) < 12 for x, y in zip(a, b, strict=True))


def planted_project(tmp_path: Path) -> tuple[Path, Path]:
    """A project showing a picture large enough to be downsampled, and the path of its
    cache entry (named by the hashes of the picture and of the conversion), its folder made."""
    folder = project(tmp_path / "p", 'title = "T"\n')
    big = png((2500, 1800), REAL)
    (folder / "content" / "big.png").write_bytes(big)
    (folder / "content" / "README.md").write_text("# Guide\n\n![grand](big.png)\n", "utf-8")
    entry = folder / ".guideprint-cache" / "images" / f"{_key(big, FIT)}.png"
    entry.parent.mkdir(parents=True)
    return folder, entry


def test_a_planted_image_cache_entry_does_not_reach_the_manual(tmp_path: Path) -> None:
    """A picture large enough to be downsampled; its cache entry (named by the hash of the
    picture and of the conversion, both computable from the repository) planted with another
    picture and that picture's hash: the manual must show the space's picture. (Before the
    fix the planted picture was printed: the sidecar held only the entry's hash.)"""
    folder, entry = planted_project(tmp_path)
    planted = png((1200, 864), PLANTED)
    entry.write_bytes(planted)
    entry.with_name(entry.name + ".sha256").write_text(hashlib.sha256(planted).hexdigest() + "\n")
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    found = colours(folder / "out" / "manual.pdf")
    assert found, "no picture in the manual"
    assert all(near(c, REAL) for c in found), found


def test_a_planted_entry_without_its_sidecar_is_made_again(tmp_path: Path) -> None:
    """The same planted picture with no sidecar (or a stale one) is not used: the entry is
    made again from the space's picture. Covers a planted entry, where the existing tests
    damage an entry the build made."""
    folder, entry = planted_project(tmp_path)
    entry.write_bytes(png((1200, 864), PLANTED))
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    found = colours(folder / "out" / "manual.pdf")
    assert found
    assert all(near(c, REAL) for c in found), found
    assert near(Image.open(entry).convert("RGB").getpixel((5, 5)), REAL)


def test_a_planted_remote_cache_entry_does_not_replace_the_download(tmp_path: Path) -> None:
    """--allow-remote, an image URL whose cache entry (sha256 of the URL) was planted with
    another picture: the manual must show what the server sends. (Before the fix: the
    planted picture, and no request at all.)"""
    from test_safety import listening

    folder = project(tmp_path / "p", 'title = "T"\n')
    with listening() as listener:
        url = listener.url("/logo.png")
        listener.routes["/logo.png"] = (200, {"Content-Type": "image/png"}, png((40, 30), REAL))
        (folder / "content" / "README.md").write_text(f"# Guide\n\n![loin]({url})\n", "utf-8")
        entry = folder / ".guideprint-cache" / "remote" / hashlib.sha256(url.encode()).hexdigest()
        entry.parent.mkdir(parents=True)
        planted = png((40, 30), PLANTED)
        entry.write_bytes(planted)
        entry.with_suffix(".sha256").write_text(hashlib.sha256(planted).hexdigest())
        entry.with_suffix(".type").write_text("image/png")
        code, _, err = cli(["build", "--manual", "--allow-remote"], folder)
        assert code == 0, err
    found = colours(folder / "out" / "manual.pdf")
    assert found
    assert all(near(c, REAL) for c in found), (found, listener.requests)


def test_an_entry_made_here_is_kept_and_a_copy_of_it_is_made_again(tmp_path: Path) -> None:
    """The seal's two sides: the entry a build made is used as it is by the next one (not
    made again), while the same bytes and sidecar copied into another project's cache (as a
    committed cache folder arrives) are not trusted there."""
    import os
    import shutil

    from builder.downsample import downsample

    original = tmp_path / "big.png"
    original.write_bytes(png((2500, 1800), REAL))
    entry = downsample(original, (1000, 1000), tmp_path / "cache")
    made = os.stat(entry)
    assert downsample(original, (1000, 1000), tmp_path / "cache") == entry
    assert os.stat(entry).st_ino == made.st_ino  # the same file: not made again
    shutil.copytree(tmp_path / "cache", tmp_path / "copied", copy_function=shutil.copy2)
    again = downsample(original, (1000, 1000), tmp_path / "copied")
    assert again.name == entry.name
    assert os.stat(again).st_mtime_ns != made.st_mtime_ns  # made again, not the copy's


# -- the emoji fonts WeasyPrint cleans of their pictures (builder.weasy._clean_kept) ---------


def emoji_project(tmp_path: Path) -> tuple[Path, Path]:
    """A one-page space with an emoji; the folder of its cleaned fonts."""
    folder = project(tmp_path / "p", 'title = "T"\n')
    (folder / "content" / "README.md").write_text("# Guide\n\nBienvenue \U0001f389\n", "utf-8")
    return folder, folder / ".guideprint-cache" / "fonts"


def emoji_font(pdf: Path) -> bytes:
    """The embedded program of the PDF's emoji font."""
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "Emoji" in str(font["/BaseFont"]):
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                return bytes(descriptor.get_object()["/FontFile2"].get_object().get_data())
    raise AssertionError(f"no emoji font in {pdf}")


def test_an_emoji_font_cleaned_once_is_used_as_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second build takes the cleaned font from the cache: fontTools, which cleans it,
    is made to fail, and the build still embeds the same font (the first build, without
    the cache, fails the same way: the control)."""
    from fontTools.ttLib import TTFont

    folder, fonts = emoji_project(tmp_path)
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    first = emoji_font(folder / "out" / "manual.pdf")
    (entry,) = fonts.glob("*.ttf")
    assert entry.read_bytes() == first

    def refuse(*_: object, **__: object) -> None:
        raise RuntimeError("fontTools asked to clean the emoji font again")

    monkeypatch.setattr(TTFont, "save", refuse)
    code, _, err = cli(["build", "--manual", "--force"], folder)
    assert code == 0, err
    assert emoji_font(folder / "out" / "manual.pdf") == first
    shutil.rmtree(fonts)
    with pytest.raises(RuntimeError, match="clean the emoji font again"):
        cli(["build", "--manual", "--force"], folder)


@pytest.mark.parametrize("sidecar", ["hash of the planted bytes", "none"])
def test_a_planted_emoji_font_entry_does_not_reach_the_pdf(tmp_path: Path, sidecar: str) -> None:
    """The entry's name is the hash of the subset, computable by anyone who has the space:
    one planted with another font (here the set's own sans) is not embedded, with or
    without a sidecar holding its hash; it is made again."""
    from builder.fonts import FACES

    folder, fonts = emoji_project(tmp_path)
    assert cli(["build", "--manual"], folder)[0] == 0
    (entry,) = fonts.glob("*.ttf")
    good = entry.read_bytes()
    planted = next(f.file for f in FACES if f.family == "GP Sans").read_bytes()
    shutil.rmtree(fonts)
    fonts.mkdir()
    entry.write_bytes(planted)
    if sidecar != "none":
        check = entry.with_name(entry.name + ".sha256")
        check.write_text(hashlib.sha256(planted).hexdigest() + " 1 1\n")
    code, _, err = cli(["build", "--manual", "--force"], folder)
    assert code == 0, err
    embedded = emoji_font(folder / "out" / "manual.pdf")
    assert embedded != planted
    assert embedded == entry.read_bytes()  # made again (fontTools stamps the time: not `good`)
    assert len(embedded) == len(good)


def test_a_copied_cache_is_made_again_without_leaving_the_manual_stale(tmp_path: Path) -> None:
    """A project folder copied with its cache (new inodes: every seal fails): the build makes
    each entry again without calling it an input "changed while the build read it", and the
    next build finds the manual up to date."""
    folder, _ = planted_project(tmp_path)
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    copied = tmp_path / "copied"
    shutil.copytree(folder, copied)
    shutil.rmtree(copied / "out")
    code, _, err = cli(["build", "--manual"], copied)
    assert code == 0, err
    assert "changed while the build read it" not in err
    code, _, err = cli(["build", "--manual"], copied)
    assert code == 0, err
    assert "1 up to date" in err, err


# -- what check_image found of a PNG's image data (builder.images.INFLATES) ----------------


def broken_png() -> bytes:
    """A PNG whose chunks and their checksums are whole but whose image data does not
    inflate (what Pillow's verify() lets through)."""
    import struct
    import zlib

    good = png((300, 200), REAL)
    at = good.index(b"IDAT") - 4
    size = int.from_bytes(good[at : at + 4], "big")
    data = bytearray(good[at + 8 : at + 8 + size])
    data[len(data) // 2 :] = b"\x00" * (len(data) - len(data) // 2)
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(data)))
    return good[: at + 8] + bytes(data) + crc + good[at + 12 + size :]


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: Path,
             real: Callable[..., Any] | None = None) -> Callable[[], int]:  # fmt: skip
    """module.name counted (it runs in forked processes: the count is kept in the file
    calls); the counter returned says how many calls since it was last asked, and restarts."""
    real = real or getattr(module, name)

    def counted(*args: Any) -> Any:
        with open(calls, "a", encoding="utf-8") as f:
            f.write("x")
        return real(*args)

    def count() -> int:
        done = calls.read_text(encoding="utf-8") if calls.exists() else ""
        calls.write_text("", encoding="utf-8")
        return len(done)

    monkeypatch.setattr(module, name, counted)
    return count


def test_a_png_found_whole_is_not_inflated_again_and_a_planted_verdict_is_not_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builder.images
    import builder.png

    folder = project(tmp_path / "p", 'title = "T"\n')
    (folder / "content" / "good.png").write_bytes(png((300, 200), REAL))
    bad = broken_png()
    (folder / "content" / "bad.png").write_bytes(bad)
    readme = folder / "content" / "README.md"
    readme.write_text("# Guide\n\n![bon](good.png)\n\n![cassé](bad.png)\n", "utf-8")
    inflated = counting(monkeypatch, builder.images, "idat_intact", tmp_path / "inflated",
                        builder.png.idat_intact)  # fmt: skip
    _, _, err = cli(["check"], folder)  # writes nothing: no verdict kept
    assert "does not inflate" in err, err
    assert not (folder / ".guideprint-cache" / "inflates").exists()
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err  # a warning: the picture is left out
    assert "bad.png" in err, err
    assert "does not inflate" in err, err
    assert inflated() == 4  # each PNG, in check and in the build
    # A verdict planted for the broken PNG, its sidecar forged from its hash alone.
    digest = hashlib.sha256(bad).hexdigest()
    entry = folder / ".guideprint-cache" / "inflates" / digest[:2] / digest
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(b"")
    entry.with_name(digest + ".sha256").write_text(f"{digest} 1 1\n")
    readme.write_text(readme.read_text("utf-8") + "\nFin.\n", "utf-8")
    _, _, err = cli(["build", "--manual"], folder)
    assert "does not inflate" in err, err  # still said
    assert inflated() == 1  # the broken one, again; the good one as found before


def rgba_png(alpha: int) -> bytes:
    buf = io.BytesIO()
    im = Image.new("RGBA", (300, 200), (*REAL, 255))
    im.paste((*REAL, alpha), (0, 0, 150, 200))  # the left half: this alpha
    im.save(buf, "PNG")
    return buf.getvalue()


def masked(pdf: Path) -> int:
    """The space's pictures (300 x 200) of the PDF that keep an alpha channel (a soft mask)."""
    found = set()
    for page in PdfReader(pdf).pages:  # the pages may share one dictionary of resources
        for ref in (page["/Resources"].get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Width") == 300 and "/SMask" in xobject:
                found.add(ref.idnum)
    return len(found)


def test_an_rgba_screenshot_told_opaque_once_and_a_planted_mode_is_not_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telling an RGBA picture opaque (then embedded as RGB) decodes all of it: the mode
    found is noted in the cache by the picture's hash; a note planted there, claiming a
    transparent picture opaque, does not take its transparency away."""
    import builder.downsample

    folder = project(tmp_path / "p", 'title = "T"\n')
    opaque, clear = rgba_png(255), rgba_png(90)
    (folder / "content" / "opaque.png").write_bytes(opaque)
    (folder / "content" / "clear.png").write_bytes(clear)
    readme = folder / "content" / "README.md"
    readme.write_text("# Guide\n\n![plein](opaque.png)\n\n![voile](clear.png)\n", "utf-8")
    told = counting(monkeypatch, builder.downsample, "_target_mode", tmp_path / "told")
    code, _, err = cli(["check"], folder)  # writes nothing: no note kept
    assert code == 0, err
    assert not (folder / ".guideprint-cache" / "images" / "modes").exists()
    assert told() == 2
    pdf = folder / "out" / "manual.pdf"
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    assert told() == 2
    assert masked(pdf) == 1  # the transparent one
    readme.write_text(readme.read_text("utf-8") + "\nFin.\n", "utf-8")
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    assert told() == 0  # both as noted
    assert masked(pdf) == 1
    # A note planted for the transparent one: "RGB", its sidecar forged from its hash.
    key = _key(clear, "mode")
    entry = folder / ".guideprint-cache" / "images" / "modes" / key[:2] / key
    entry.write_bytes(b"RGB")
    entry.with_name(key + ".sha256").write_text(f"{hashlib.sha256(b'RGB').hexdigest()} 1 1\n")
    readme.write_text(readme.read_text("utf-8") + "\nFin.\n", "utf-8")
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    assert told() == 1  # told again
    assert masked(pdf) == 1  # still transparent


def test_an_rgba_picture_split_once_prints_as_weasyprint_splits_it_and_a_planted_split_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A picture with real transparency: its colour and alpha streams are split and
    compressed once, kept in the cache by its hash; the PDF's colour and mask are the
    pixels WeasyPrint's own split gives (pdfimages reads both back), in fewer bytes, and an
    entry planted in the cache does not reach it."""
    import subprocess

    import builder.weasy

    folder = project(tmp_path / "p", 'title = "T"\n')
    clear = rgba_png(90)
    (folder / "content" / "clear.png").write_bytes(clear)
    (folder / "content" / "README.md").write_text("# Guide\n\n![voile](clear.png)\n", "utf-8")
    pdf = folder / "out" / "manual.pdf"
    own = builder.weasy._alpha_x_object

    def weasyprints(image: object, interpolate: bool) -> object:
        return builder.weasy._raster_x_object(image, interpolate, 1)

    def pictures(name: str) -> list[bytes]:  # the image, then its mask, as decoded pixels
        subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / name)], check=True)
        found = []
        for path in sorted(tmp_path.glob(f"{name}-*.png")):
            with Image.open(path) as im:
                found.append(im.mode.encode() + im.tobytes())
        return found

    monkeypatch.setattr(builder.weasy, "_alpha_x_object", weasyprints)
    code, _, err = cli(["build", "--manual"], folder)
    assert code == 0, err
    weasyprint_own, their_size = pictures("theirs"), pdf.stat().st_size
    assert len(weasyprint_own) == 2  # the colour and its soft mask
    folder_of = folder / ".guideprint-cache" / "alpha"
    assert not folder_of.exists()
    monkeypatch.setattr(builder.weasy, "_alpha_x_object", own)
    made = []
    for n in range(2):  # split and kept, then taken from the cache
        code, _, err = cli(["build", "--manual", "--force"], folder)
        assert code == 0, err
        assert pictures(f"ours{n}") == weasyprint_own
        made.append(pdf.read_bytes())
    assert made[0] == made[1]
    assert len(made[0]) < their_size
    key = hashlib.sha256(clear + b"|RGBA|unfiltered|libdeflate").hexdigest()
    entry = folder_of / key[:2] / key
    assert entry.is_file()
    # Planted: another picture's streams, its sidecar forged from the hash of its bytes.
    junk = (4).to_bytes(8, "big") + b"abcd" + b"efgh"
    entry.write_bytes(junk)
    entry.with_name(key + ".sha256").write_text(f"{hashlib.sha256(junk).hexdigest()} 1 1\n")
    code, _, err = cli(["build", "--manual", "--force"], folder)
    assert code == 0, err
    assert pdf.read_bytes() == made[0]
