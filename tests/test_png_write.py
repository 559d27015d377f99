"""builder.png.unfiltered: the PNGs the image cache writes, read back by Pillow, zlib and
pdfimages (poppler), and embedded by the renderer as they are."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from builder.images import _pillows as _png
from builder.images import png_bytes
from builder.png import COLOUR_TYPES, embedded_as_is, unfiltered


def _screenshot(mode: str, size: tuple[int, int] = (320, 200)) -> Image.Image:
    """Flat colours, lines of text and a translucent panel: what a screenshot holds."""
    im = Image.new("RGBA", size, (246, 247, 249, 255))
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, size[0], 28), fill=(32, 80, 160, 255))
    draw.text((10, 8), "Paramètres  Contacts  Appels", fill="white")
    for n, y in enumerate(range(44, size[1] - 20, 16)):
        line = (
            f"{n:03d} Poste {100 + n * 7} : renvoi vers la messagerie après {n % 9 + 1} sonneries"
        )
        draw.text((14, y), line, fill=(40, 40, 40, 255))
    draw.rectangle((size[0] - 90, 60, size[0] - 10, 120), fill=(255, 255, 255, 128))
    return im.convert(mode)


def _photo(size: tuple[int, int] = (480, 300)) -> Image.Image:
    """Smooth shapes, a radial gradient and blurred noise: what a photograph holds."""
    fractal = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 200)
    ring = Image.radial_gradient("L").resize(size)
    grain = Image.effect_noise(size, 40).filter(ImageFilter.GaussianBlur(1.2))
    return Image.merge("RGB", (fractal, ring, grain)).filter(ImageFilter.GaussianBlur(0.7))


@pytest.mark.parametrize("mode", sorted(COLOUR_TYPES))
def test_an_unfiltered_png_holds_the_pixels_it_was_given(mode: str) -> None:
    im = _screenshot(mode)
    data = unfiltered(im.mode, im.size, im.tobytes())
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


def _pillows(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def _screenshot_of_a_photo(share: float) -> Image.Image:
    """A screenshot whose top `share` is a photograph (a web page's picture)."""
    shot = _screenshot("RGB", (480, 300))
    shot.paste(_photo((480, round(300 * share))), (0, 0))
    return shot


def test_a_screenshot_is_written_unfiltered_in_fewer_bytes_than_pillows_encoder_gives() -> None:
    shot = _screenshot("RGB", (800, 500))
    data = png_bytes(shot)
    assert data == unfiltered("RGB", shot.size, shot.tobytes())
    assert len(data) < len(_pillows(shot))


@pytest.mark.parametrize(
    "make",
    [_photo, lambda: _screenshot_of_a_photo(0.25), lambda: _screenshot_of_a_photo(0.5),
     lambda: Image.linear_gradient("L").rotate(45).resize((480, 300)).convert("RGB")],
    ids=["photo", "a quarter photo", "half photo", "gradient"],
)  # fmt: skip
def test_a_picture_the_filters_serve_better_gets_pillows_encoder(
    make: Callable[[], Image.Image],
) -> None:
    """A photograph, a screenshot showing one, a gradient: unfiltered, up to 2x the bytes of
    Pillow's filters; png_bytes' sample of rows tells, and Pillow's encoding is taken."""
    picture = make()
    assert len(unfiltered("RGB", picture.size, picture.tobytes())) > len(_pillows(picture))
    assert png_bytes(picture) == _pillows(picture)


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


def _with_idat(png: bytes, idat: bytes) -> bytes:
    """png with its image data replaced (one IDAT chunk)."""
    from builder.png import _chunk

    return png[:8] + _chunk(b"IHDR", png[16:29]) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "I;16"])
@pytest.mark.parametrize("width", [1, 13, 320])
def test_every_kind_of_png_pillow_writes_is_intact(mode: str, width: int) -> None:
    """Every colour type and bit depth Pillow writes, widths whose rows end inside a byte."""
    from builder.png import idat_intact

    assert idat_intact(_png(_screenshot("RGBA", (width, 37)).convert(mode)))


def test_a_png_whose_data_is_cut_or_damaged_is_not_intact() -> None:
    """Cut short, one byte changed, or nothing but a zlib header: not intact."""
    from builder.png import _chunks, idat_intact

    png = _png(_screenshot("RGB"))
    idat = _chunks(png)[b"IDAT"]
    assert idat_intact(_with_idat(png, idat))
    damaged = bytearray(idat)
    damaged[len(idat) // 2] ^= 0xFF
    for broken in (idat[: len(idat) // 2], bytes(damaged), idat[:2], idat[:-4]):
        assert not idat_intact(_with_idat(png, broken))


def _fixed_block(symbol: int) -> tuple[bytes, bytes]:
    """A zlib stream of one fixed-Huffman block: "A", then length symbol `symbol` at
    distance 1 (285: 258 more "A"s; 286 and 287 are not valid codes), then its end."""
    bits: list[int] = []

    def put(value: int, count: int, msb: bool = False) -> None:
        order = reversed(range(count)) if msb else range(count)
        bits.extend((value >> i) & 1 for i in order)

    put(1, 1)  # the final block
    put(1, 2)  # fixed codes
    put(0x30 + 0x41, 8, msb=True)  # the literal "A"
    put(0xC0 + symbol - 280, 8, msb=True)  # a length symbol (280-287: 8-bit codes)
    put(0, 5, msb=True)  # distance code 0: 1 byte back
    put(0, 7, msb=True)  # end of block
    bits += [0] * (-len(bits) % 8)
    body = bytes(sum(bits[i + j] << j for j in range(8)) for i in range(0, len(bits), 8))
    out = b"A" * 259
    return b"\x78\x01" + body + zlib.adler32(out).to_bytes(4, "big"), out


def test_a_png_whose_data_holds_a_length_code_zlib_refuses_is_not_intact() -> None:
    """Length codes 286 and 287 are not deflate's: zlib refuses them (a viewer may draw a
    broken picture) where libdeflate's inflater reads them as 285. The check is zlib's."""
    from builder.png import idat_intact

    png = _png(Image.new("L", (259, 1)))
    good, rows = _fixed_block(285)
    assert zlib.decompress(good) == rows
    assert idat_intact(_with_idat(png, good))
    for symbol in (286, 287):
        bad, _ = _fixed_block(symbol)
        with pytest.raises(zlib.error):
            zlib.decompress(bad)
        assert not idat_intact(_with_idat(png, bad))


def test_a_png_with_more_data_than_its_header_says_is_intact_as_zlib_reads_it() -> None:
    """A stream that inflates whole to more rows than the header gives (what libpng calls
    too much image data, and reads) is intact; cut short, it is not."""
    from builder.png import _chunks, idat_intact

    png = _png(_screenshot("L", (40, 10)))
    rows = zlib.decompress(_chunks(png)[b"IDAT"])
    assert idat_intact(_with_idat(png, zlib.compress(rows + rows)))
    assert not idat_intact(_with_idat(png, zlib.compress(rows + rows)[:-6]))


def test_libdeflate_s_streams_are_zlib_s() -> None:
    """What deflated makes, zlib inflates back (and the empty input too), at every level."""
    from builder.png import deflated

    data = _screenshot("RGB").tobytes()
    for level in (0, 1, 6, 9, 12):
        assert zlib.decompress(deflated(data, level)) == data
    assert zlib.decompress(deflated(b"")) == b""
    assert isinstance(deflated(bytearray(b"abc")), bytes)
