"""Images larger than print needs are downsampled; originals stay untouched; results cached."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from builder.downsample import downsample, downsample_html, max_pixels


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
    out = downsample_html(html, (1500, 1500), tmp_path / "c")
    assert big.as_uri() not in out
    assert (tmp_path / "c").as_uri() in out
