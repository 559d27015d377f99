"""Images larger than print needs are downsampled; originals stay untouched; results cached."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from builder.downsample import downsample, downsample_pages, max_pixels


def test_box_is_300_dpi_of_the_printed_size() -> None:
    assert max_pixels(25.4, 50.8) == (300, 600)


def test_large_image_is_shrunk_into_the_cache(tmp_path: Path) -> None:
    original = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000), "red").save(original)
    before = original.read_bytes()
    small = downsample(original, (1000, 1000), tmp_path / "cache")
    assert small != original
    assert small.parent == tmp_path / "cache"
    with Image.open(small) as im:
        assert im.size == (1000, 750)
    assert original.read_bytes() == before
    assert downsample(original, (1000, 1000), tmp_path / "cache") == small  # cached


def test_a_damaged_cache_entry_is_made_again(tmp_path: Path) -> None:
    """Truncated by a killed build or edited by hand: checked against its recorded hash when
    used, never trusted, also without --force."""
    original = tmp_path / "big.png"
    Image.new("RGB", (4000, 3000), "red").save(original)
    small = downsample(original, (1000, 1000), tmp_path / "cache")
    whole = small.read_bytes()
    small.write_bytes(whole[: len(whole) // 2])
    assert downsample(original, (1000, 1000), tmp_path / "cache") == small
    assert small.read_bytes() == whole


def test_the_cache_key_is_the_bytes_and_the_conversion(tmp_path: Path) -> None:
    """Two images of one name in two spaces, or one image at two sizes: never one entry."""
    a, b = tmp_path / "a" / "x.png", tmp_path / "b" / "x.png"
    for path, colour in ((a, "red"), (b, "blue")):
        path.parent.mkdir()
        Image.new("RGB", (4000, 3000), colour).save(path)
    cache = tmp_path / "cache"
    made = {downsample(a, (1000, 1000), cache), downsample(b, (1000, 1000), cache),
            downsample(a, (500, 500), cache)}  # fmt: skip
    assert len(made) == 3


def test_small_and_vector_images_are_kept(tmp_path: Path) -> None:
    png = tmp_path / "small.png"
    Image.new("RGB", (200, 100)).save(png)
    svg = tmp_path / "icon.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert downsample(png, (1000, 1000), tmp_path / "c") == png
    assert downsample(svg, (1, 1), tmp_path / "c") == svg


def test_html_sources_are_swapped(tmp_path: Path) -> None:
    big = tmp_path / "a b.png"
    Image.new("RGB", (3000, 100)).save(big)
    html = f'<img src="{big.as_uri()}" alt="x">'
    (out,) = downsample_pages([html], (1500, 1500), tmp_path / "c")
    assert big.as_uri() not in out
    assert (tmp_path / "c").as_uri() in out


def _save(path: Path, image: Image.Image, **options: object) -> Path:
    image.save(path, **options)  # type: ignore[arg-type]
    return path


def _pixels(path: Path) -> bytes:
    with Image.open(path) as im:
        return im.convert("RGBA").tobytes()


def _many_colours() -> Image.Image:
    """A palette image of 200 colours: saved with 8 bits an index."""
    image = Image.new("P", (40, 30))
    image.putpalette([c for n in range(200) for c in (n, 255 - n, n // 2)])
    image.putdata([n % 200 for n in range(40 * 30)])
    return image


def test_embeddable_images_are_kept_as_they_are(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    rgb = _save(tmp_path / "rgb.png", Image.new("RGB", (40, 30), "navy"))
    grey = _save(tmp_path / "grey.png", Image.new("L", (40, 30), 128))
    jpeg = _save(tmp_path / "photo.jpg", Image.new("RGB", (40, 30), "teal"))
    few = Image.new("RGB", (40, 30), "red").convert("P")  # saved with 1 to 4 bits an index
    palettes = [_save(tmp_path / "few.png", few), _save(tmp_path / "many.png", _many_colours())]
    for path in (rgb, grey, jpeg, *palettes):
        assert downsample(path, (1000, 1000), cache) == path
    assert not cache.exists()


@pytest.mark.parametrize(
    ("name", "make", "mode"),
    [
        ("opaque-alpha.png", lambda: Image.new("RGBA", (40, 30), (0, 90, 200, 255)), "RGB"),
        ("bilevel.png", lambda: Image.new("1", (40, 30), 1), "L"),
        ("anim.gif", lambda: Image.new("RGB", (40, 30), "green").convert("P"), "RGB"),
        ("pic.webp", lambda: Image.new("RGB", (40, 30), "orange"), "RGB"),
    ],
)
def test_other_images_are_converted_once_to_an_embeddable_png(
    tmp_path: Path, name: str, make: Callable[[], Image.Image], mode: str
) -> None:
    original = _save(tmp_path / name, make())
    prepared = downsample(original, (1000, 1000), tmp_path / "c")
    assert prepared.parent == tmp_path / "c"
    with Image.open(prepared) as im:
        assert (im.format, im.mode, im.size) == ("PNG", mode, (40, 30))
    if not name.endswith(".webp"):  # lossy by default
        assert _pixels(prepared) == _pixels(original)
    stamp = prepared.stat().st_mtime_ns
    assert downsample(original, (1000, 1000), tmp_path / "c") == prepared  # cached
    assert prepared.stat().st_mtime_ns == stamp


def test_transparency_is_kept(tmp_path: Path) -> None:
    image = Image.new("P", (40, 30), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])  # 0 black (transparent below), 1 red
    image.putpixel((3, 3), 0)
    original = _save(tmp_path / "logo.png", image, transparency=0)
    with Image.open(original) as im:
        assert "transparency" in im.info
    prepared = downsample(original, (1000, 1000), tmp_path / "c")
    with Image.open(prepared) as im:
        assert im.mode == "RGBA"
        assert im.getpixel((3, 3))[3] == 0
        assert im.getpixel((10, 10))[3] == 255


def test_interlaced_png_is_rewritten_plain(tmp_path: Path) -> None:
    # One pixel: its Adam7 data is its plain data, so flipping the IHDR flag is enough.
    original = _save(tmp_path / "plain.png", Image.new("RGB", (1, 1), "navy"))
    data = bytearray(original.read_bytes())
    data[28] = 1
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    interlaced = tmp_path / "interlaced.png"
    interlaced.write_bytes(bytes(data))
    prepared = downsample(interlaced, (1000, 1000), tmp_path / "c")
    assert prepared != interlaced
    assert prepared.read_bytes()[28] == 0
    assert _pixels(prepared) == _pixels(original)


def test_pages_prepared_from_either_end_give_the_same_html(tmp_path: Path) -> None:
    colours = [(200, 0, 0, 255), (0, 200, 0, 255), (0, 0, 200, 255)]  # opaque RGBA: made RGB
    images = [
        _save(tmp_path / f"{n}.png", Image.new("RGBA", (20, 10), c)) for n, c in enumerate(colours)
    ]
    pages = [f'<img src="{images[0].as_uri()}"><img src="{images[1].as_uri()}">',
             f'<img src="{images[2].as_uri()}"><img src="{images[0].as_uri()}">']  # fmt: skip
    forward = downsample_pages(pages, (1000, 1000), tmp_path / "a")
    backward = downsample_pages(pages, (1000, 1000), tmp_path / "b", from_the_end=True)
    assert [p.replace("/a/", "/b/") for p in forward] == backward
    made = [p for p in (tmp_path / "a").iterdir() if p.is_file() and p.suffix != ".sha256"]
    assert len(made) == 3  # the repeated image made once
    assert all(image.as_uri() not in page for page in forward for image in images)


def test_transparent_rgba_png_is_kept_as_it_is(tmp_path: Path) -> None:
    """An 8-bit RGBA PNG with real transparency (a window's shadow): the renderer splits its
    alpha in every document either way, so a copy in its own mode would only cost time."""
    image = Image.new("RGBA", (40, 30), (0, 90, 200, 255))
    image.putpixel((3, 3), (0, 0, 0, 0))
    original = _save(tmp_path / "shadow.png", image)
    assert downsample(original, (1000, 1000), tmp_path / "c") == original
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["modes"]  # its mode noted, no copy
    big = _save(tmp_path / "big-shadow.png", image.resize((400, 300)))
    small = downsample(big, (100, 100), tmp_path / "c")  # too large: still shrunk, alpha kept
    with Image.open(small) as im:
        assert (im.mode, im.size) == ("RGBA", (100, 75))
        assert im.getextrema()[3][0] < 255


def test_images_prepared_on_one_core_or_two_give_the_same_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import machine

    images = [
        _save(tmp_path / f"{n}.png", Image.new("RGBA", (300 + n, 200), (n * 40, 0, 0, 255)))
        for n in range(6)
    ]
    pages = ["".join(f'<img src="{p.as_uri()}">' for p in images)]
    done = {}
    for cores in (1, 2):
        monkeypatch.setattr(machine, "cores", lambda cores=cores: cores)
        done[cores] = downsample_pages(pages, (100, 100), tmp_path / f"c{cores}")
    assert done[1] == [p.replace("/c2/", "/c1/") for p in done[2]]
    assert all(image.as_uri() not in done[2][0] for image in images)


@pytest.mark.parametrize("width", [300, 5000])  # embedded as converted; shrunk first
def test_a_16_bit_grey_png_prints_as_its_picture(tmp_path: Path, width: int) -> None:
    """Pillow reads a 16-bit grey PNG as I;16. WeasyPrint drew it as a black box and said
    "manual: renderer: Unknown image mode: I;16"; convert("L") would clip it to white. It is
    scaled to 8 bits: the PDF's picture is the gradient, black at the left, white at the
    right, and nothing is said."""
    import subprocess

    from clirun import cli
    from conftest import write_files

    gradient = Image.linear_gradient("L").rotate(90).resize((width, 200))  # 0 at the left
    grey16 = gradient.convert("I").point(lambda v: v * 257).convert("I;16")  # to 65535
    page = "# A\n\n![dégradé](.gitbook/assets/g.png)\n"
    write_files(tmp_path, {"space/SUMMARY.md": "* [A](README.md)\n", "space/README.md": page})
    (tmp_path / "space" / ".gitbook" / "assets").mkdir(parents=True)
    grey16.save(tmp_path / "space" / ".gitbook" / "assets" / "g.png")
    with Image.open(tmp_path / "space" / ".gitbook" / "assets" / "g.png") as saved:
        assert saved.mode == "I;16"
        assert saved.getextrema() == (0, 65535)
    (tmp_path / "work").mkdir()
    code, _, err = cli(["build", "--manual", "--source", str(tmp_path / "space")],
                       tmp_path / "work")  # fmt: skip
    assert code == 0, err
    assert "image mode" not in err, err
    subprocess.run(["pdfimages", "-png", str(tmp_path / "work" / "out" / "manual.pdf"),
                    str(tmp_path / "img")], check=True)  # fmt: skip
    (picture,) = tmp_path.glob("img-*.png")
    with Image.open(picture) as embedded:
        drawn = embedded.convert("L")
    left = drawn.getpixel((drawn.width // 20, drawn.height // 2))
    right = drawn.getpixel((drawn.width - drawn.width // 20, drawn.height // 2))
    assert isinstance(left, int)
    assert isinstance(right, int)
    assert left < 40, left
    assert right > 215, right


def test_a_16_bit_grey_png_with_a_transparent_level_keeps_it_as_its_alpha(
    tmp_path: Path,
) -> None:
    """A 16-bit grey PNG naming a transparent grey level (tRNS): its copy is 8-bit grey
    with an alpha channel, clear exactly where that level is; convert("LA") would clip it
    to white, with every pixel opaque."""
    gradient = Image.linear_gradient("L").rotate(90).resize((256, 20))  # 0 at the left
    deep = gradient.convert("I").point(lambda v: v * 257)
    clear = deep.getpixel((200, 5))  # the level of a column near the right
    assert isinstance(clear, int)
    original = tmp_path / "g.png"
    deep.convert("I;16").save(original, transparency=clear)
    with Image.open(original) as saved:
        assert saved.mode == "I;16"
        assert saved.info["transparency"] == clear
    prepared = downsample(original, (1000, 1000), tmp_path / "c")
    assert prepared.parent == tmp_path / "c"
    with Image.open(prepared) as im:
        assert im.mode == "LA"
        grey, alpha = im.split()
    assert grey.tobytes() == gradient.tobytes()
    wanted = bytes(0 if v == clear else 255 for v in deep.get_flattened_data())
    assert alpha.tobytes() == wanted
    assert 0 < wanted.count(0) < len(wanted)
