"""builder.png.unfiltered: the PNGs the image cache writes, read back by Pillow, zlib and
pdfimages (poppler), and embedded by the renderer as they are."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from builder.png import COLOUR_TYPES, embedded_as_is, unfiltered


def _screenshot(mode: str, size: tuple[int, int] = (320, 200)) -> Image.Image:
    """Flat colours, text-like strokes and a translucent panel: what a screenshot holds."""
    im = Image.new("RGBA", size, (246, 247, 249, 255))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, size[0], 24), fill=(32, 80, 160, 255))
    for y in range(40, size[1] - 10, 14):
        draw.line((12, y, size[0] - 40, y), fill=(40, 40, 40, 255), width=2)
    draw.rectangle((size[0] - 90, 60, size[0] - 10, 120), fill=(255, 255, 255, 128))
    return im.convert(mode)


def _photo(size: tuple[int, int] = (240, 160)) -> Image.Image:
    """Noise over a gradient: what PNG's filters serve better than none."""
    rng = random.Random(7)
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = bytes(rng.randrange(0, 48) for _ in range(size[0] * size[1] * 3))
    return Image.frombytes("RGB", size, bytes(
        min(255, a + b) for a, b in zip(im.tobytes(), noise, strict=True)))  # fmt: skip


@pytest.mark.parametrize("mode", sorted(COLOUR_TYPES))
def test_an_unfiltered_png_holds_the_pixels_it_was_given(mode: str) -> None:
    im = _screenshot(mode)
    data = unfiltered(im.mode, im.size, im.tobytes())
    assert data is not None
    with Image.open(io.BytesIO(data)) as back:
        back.load()  # checks each chunk's CRC and the stream's end
        assert (back.format, back.mode, back.size) == ("PNG", mode, im.size)
        assert back.tobytes() == im.tobytes()
    # Each scanline stored with filter type 0: a PDF's /Predictor 15 takes it as it is.
    idat = zlib.decompress(data[data.index(b"IDAT") + 4 :])
    row = im.width * len(mode) + 1
    assert len(idat) == row * im.height
    assert all(idat[y * row] == 0 for y in range(im.height))
    width, height, depth, colour, _, _, interlace = struct.unpack("!2I5B", data[16:29])
    assert (width, height, depth, colour, interlace) == (*im.size, 8, COLOUR_TYPES[mode], 0)


def test_a_screenshot_takes_fewer_bytes_than_pillows_encoder_gives_and_a_photo_is_left_to_it(
) -> None:  # fmt: skip
    shot = _screenshot("RGB", (800, 500))
    data = unfiltered("RGB", shot.size, shot.tobytes())
    pillow = io.BytesIO()
    shot.save(pillow, "PNG")
    assert data is not None
    assert len(data) < pillow.tell()
    photo = _photo()
    assert unfiltered("RGB", photo.size, photo.tobytes()) is None


def test_pixels_of_another_size_are_refused() -> None:
    with pytest.raises(ValueError, match="not 4 x 4 RGB"):
        unfiltered("RGB", (4, 4), b"\0" * 47)


def test_an_opaque_rgba_screenshot_is_cached_unfiltered_and_printed_with_its_pixels(
    tmp_path: Path,
) -> None:
    """The cache's copy of an opaque RGBA screenshot: RGB, unfiltered, the same pixels, a
    PNG the renderer embeds as it is; pdfimages reads those pixels back from the manual."""
    from clirun import cli
    from conftest import write_files

    shot = _screenshot("RGB", (400, 250))
    page = "# A\n\n![écran](.gitbook/assets/shot.png)\n"
    write_files(tmp_path, {"space/SUMMARY.md": "* [A](README.md)\n", "space/README.md": page})
    (tmp_path / "space" / ".gitbook" / "assets").mkdir(parents=True)
    shot.convert("RGBA").save(tmp_path / "space" / ".gitbook" / "assets" / "shot.png")
    (tmp_path / "work").mkdir()
    code, _, err = cli(["build", "--manual", "--source", str(tmp_path / "space")],
                       tmp_path / "work")  # fmt: skip
    assert code == 0, err
    (copy,) = (tmp_path / "work" / ".guideprint-cache" / "images").glob("*.png")
    data = copy.read_bytes()
    assert embedded_as_is(data)
    idat = zlib.decompress(data[data.index(b"IDAT") + 4 :])
    assert idat[0] == 0
    assert idat[400 * 3 + 1] == 0
    with Image.open(copy) as back:
        assert back.mode == "RGB"
        assert back.tobytes() == shot.tobytes()
    subprocess.run(["pdfimages", "-png", str(tmp_path / "work" / "out" / "manual.pdf"),
                    str(tmp_path / "img")], check=True)  # fmt: skip
    (picture,) = tmp_path.glob("img-*.png")
    with Image.open(picture) as embedded:
        assert embedded.mode == "RGB"
        assert embedded.tobytes() == shot.tobytes()
