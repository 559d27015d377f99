"""builder.weasy: PNG data embedded without re-encoding must decode to the same pixels."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import render_pdf
from PIL import Image
from pypdf import PdfReader

from builder.diagnostics import Diagnostics
from builder.png import embedded_as_is, png_idat, png_palette


def _png(mode: str, size: tuple[int, int] = (37, 23), **save: object) -> bytes:
    rng = random.Random(8)
    image = Image.new(mode, size)
    image.frombytes(bytes(rng.randrange(256) for _ in range(len(image.tobytes()))))
    out = io.BytesIO()
    image.save(out, format="PNG", **save)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_idat_of_plain_png_is_passed_through(mode: str) -> None:
    data = _png(mode)
    idat = png_idat(data, mode)
    assert idat is not None
    assert idat in data  # one IDAT chunk here: its bytes, untouched


@pytest.mark.parametrize(
    ("mode", "claimed"),
    [
        ("RGBA", "RGBA"),  # alpha must be split into an SMask
        ("P", "RGB"),  # palette indices are not RGB samples
        ("I;16", "L"),  # 16-bit grey
        ("RGB", "L"),  # colour type disagrees with the mode WeasyPrint declares
    ],
)
def test_other_pngs_are_left_to_weasyprint(mode: str, claimed: str) -> None:
    assert png_idat(_png(mode), claimed) is None


def test_interlaced_png_is_left_to_weasyprint() -> None:
    data = bytearray(_png("RGB"))
    data[28] = 1  # IHDR interlace method: Adam7, whose IDAT is not in scanline order
    assert png_idat(bytes(data), "RGB") is None


def test_not_a_png() -> None:
    assert png_idat(b"GIF89a" + bytes(40), "RGB") is None


def images_pdf(folder: Path, names: list[str]) -> Path:
    """folder/out.pdf: the images `names` (files in folder), one per paragraph, no warning."""
    html = "".join(f'<p><img src="{name}" style="width: 30mm"></p>' for name in names)
    diag = Diagnostics()
    pdf = render_pdf(html, folder, folder / "out.pdf", diag)
    assert not diag.items
    return pdf


def test_images_in_a_pdf_decode_to_the_source_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import weasy

    reencoded = []
    monkeypatch.setattr(weasy, "_reencode", lambda image: reencoded.append(image) or b"")

    sources = {
        "rgb.png": Image.open(io.BytesIO(_png("RGB", (64, 48)))),
        "grey.png": Image.open(io.BytesIO(_png("L", (40, 30)))),
        "multi-idat.png": Image.open(io.BytesIO(_png("RGB", (300, 200)))),
    }
    for name, image in sources.items():
        extra = {"compress_level": 1} if name.startswith("multi") else {}
        image.save(tmp_path / name, **extra)  # type: ignore[arg-type]
    images_pdf(tmp_path, list(sources))
    assert not reencoded  # every image went through as it was
    found = {}
    for page in PdfReader(tmp_path / "out.pdf").pages:
        for image in page.images:
            found[image.image.size] = image.image  # type: ignore[union-attr]
    for name, source in sources.items():
        embedded = found[source.size]
        assert embedded.mode == source.mode, name
        assert embedded.tobytes() == source.tobytes(), name


@pytest.mark.parametrize("module", ["builder.pdf", "builder.fetcher"])
def test_weasyprint_is_imported_without_library_search(module: str) -> None:
    """Whichever module imports it first, WeasyPrint loads through builder.weasy's short-cut."""
    probe = (
        "import ctypes.util, importlib\n"
        "calls = []\n"
        "search = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: calls.append(name) or search(name)\n"
        f"importlib.import_module({module!r})\n"
        "import weasyprint\n"
        "print(len(calls))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"


def _leader_boxes(html: str, tmp_path: Path) -> list[Any]:
    from builder.pdf import Renderer

    renderer = Renderer([tmp_path], Diagnostics())
    try:
        document = renderer.render(html, tmp_path, [], source="test")
    finally:
        renderer.close()
    return [box for page in document.pages for box in page._page_box.descendants() if box.is_leader]


LEADER = (
    "<style>a::after { content: leader('. ') '12' } a { display: block; width: 120mm }"
    "</style><a>Chapitre</a>"
)


def test_a_leader_is_one_text_box_of_all_its_dots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import weasy

    assert weasy.PATCHED  # the pinned versions are the checked ones
    (leader,) = _leader_boxes(LEADER, tmp_path)
    (text,) = leader.children
    assert set(text.text) == {".", " "}
    monkeypatch.setattr(weasy.inline, "handle_leader", weasy._handle_leader)
    (unpatched,) = _leader_boxes(LEADER, tmp_path)
    dots = sorted(unpatched.children, key=lambda dot: dot.position_x)  # one box per ". "
    assert len(dots) > 10  # a 120 mm line of ". ": many boxes, whatever the default font
    assert text.text == "".join(dot.text for dot in dots)
    assert text.position_x == dots[0].position_x
    last = dots[-1].position_x + dots[-1].width
    assert text.position_x + text.width == pytest.approx(last, abs=0.5)


# -- palette PNGs: an /Indexed image, the indices as they are ------------------------------


def _palette(colours: int, size: tuple[int, int] = (61, 17)) -> Image.Image:
    image = Image.new("P", size)
    image.putpalette([c for n in range(colours) for c in (n * 7 % 256, 255 - n, n * 3 % 256)])
    image.putdata([(x * 3 + y) % colours for y in range(size[1]) for x in range(size[0])])
    return image


@pytest.mark.parametrize(("colours", "depth"), [(200, 8), (12, 4), (3, 2), (2, 1)])
def test_palette_png_is_found_with_its_depth(colours: int, depth: int) -> None:
    out = io.BytesIO()
    _palette(colours).save(out, format="PNG")
    found = png_palette(out.getvalue())
    assert found is not None
    assert found[0] == depth
    assert len(found[1]) == 3 * colours


def test_what_is_embedded_as_is_is_what_the_renderer_passes_through() -> None:
    """builder.downsample keeps exactly the files builder.weasy embeds without decoding."""
    plain, rotated = io.BytesIO(), io.BytesIO()
    _palette(12).save(plain, format="PNG")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees, which WeasyPrint applies
    _palette(12).save(rotated, format="PNG", exif=exif)
    assert embedded_as_is(plain.getvalue())
    assert png_palette(rotated.getvalue()) is None
    assert not embedded_as_is(rotated.getvalue())
    assert embedded_as_is(_png("RGB"))
    assert embedded_as_is(_png("L"))
    assert not embedded_as_is(_png("RGBA"))


def test_transparent_palette_is_left_to_weasyprint() -> None:
    out = io.BytesIO()
    _palette(12).save(out, format="PNG", transparency=0)
    assert png_palette(out.getvalue()) is None
    assert png_palette(_png("RGB")) is None


def test_palette_images_in_a_pdf_are_indexed_and_decode_to_the_source(tmp_path: Path) -> None:
    sources = {"p8.png": _palette(200, (64, 40)), "p4.png": _palette(12, (61, 17))}
    for name, image in sources.items():
        image.save(tmp_path / name)
    images_pdf(tmp_path, list(sources))
    listing = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "out.pdf")], capture_output=True, text=True
    ).stdout.splitlines()[2:]
    kinds = sorted(
        (row.split()[3], row.split()[4], row.split()[5], row.split()[7]) for row in listing
    )
    assert kinds == [("61", "17", "index", "4"), ("64", "40", "index", "8")]
    subprocess.run(
        ["pdfimages", "-png", str(tmp_path / "out.pdf"), str(tmp_path / "x")], check=True
    )
    decoded = {}
    for path in tmp_path.glob("x-*.png"):
        with Image.open(path) as image:
            decoded[image.size] = image.convert("RGB")
    for name, source in sources.items():  # poppler, the reference decoder
        assert decoded[source.size].tobytes() == source.convert("RGB").tobytes(), name


# -- alt="": a decorative image is an /Artifact, not a /Figure without /Alt --------------------


def _decorated_manual(folder: Path) -> Path:
    """A manual of one page: a decorative image (alt=""), then an informative one."""
    from clirun import cli
    from conftest import space

    root = space(folder / "content", "A rule: ![](rule.png)\n\n![A blue square](blue.png)\n")
    Image.new("RGB", (60, 8), (200, 30, 30)).save(root / "rule.png")
    Image.new("RGB", (50, 30), (30, 30, 200)).save(root / "blue.png")
    code, out, err = cli(["build", "--strict", "--source", "content", "--manual", "--out", "o"],
                         folder)  # fmt: skip
    assert code == 0, out + err  # --strict: alt="" is no warning
    return folder / "o" / "manual.pdf"


def _images_by_mark(pdf: Path) -> dict[tuple[int, int], list[str]]:
    """Each image's size -> the marked-content tag it is drawn in (Artifact, Figure…)."""
    import pikepdf

    found: dict[tuple[int, int], list[str]] = {}
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            xobjects = page.Resources.get("/XObject", {})
            stack: list[str] = []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in ("BMC", "BDC"):
                    stack.append(str(operands[0]))
                elif op == "EMC":
                    stack.pop()
                elif op == "Do" and xobjects[operands[0]].get("/Subtype") == "/Image":
                    image = xobjects[operands[0]]
                    size = (int(image.Width), int(image.Height))
                    found.setdefault(size, []).append(stack[-1] if stack else "")
    return found


def test_a_decorative_image_is_an_artifact_and_an_informative_one_a_figure(
    tmp_path: Path,
) -> None:
    from cardpdf import figures
    from pdfua import validate

    from builder import weasy

    assert weasy.PATCHED
    pdf = _decorated_manual(tmp_path)
    assert _images_by_mark(pdf) == {(60, 8): ["/Artifact"], (50, 30): ["/Figure"]}
    assert [alt for alt, _ in figures(pdf)] == ["A blue square"]  # the one figure
    report = validate(str(pdf))
    assert not report.findings, [f"{f.rule_id}: {f.message}" for f in report.findings]


@pytest.mark.weasyprint_logs  # unpatched, WeasyPrint logs the image with no alt
def test_unpatched_a_decorative_image_is_a_figure_without_alt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the patch mends: PDF/UA-1 refuses a /Figure with no /Alt."""
    from pdfua import validate

    from builder import weasy

    monkeypatch.setattr(weasy.Stream, "marked", weasy._marked)
    monkeypatch.setattr(weasy.tags, "_build_box_tree", weasy._build_box_tree)
    pdf = _decorated_manual(tmp_path)
    assert _images_by_mark(pdf) == {(60, 8): ["/Figure"], (50, 30): ["/Figure"]}
    assert "UA-13-004" in {f.rule_id for f in validate(str(pdf)).findings}


def test_only_an_image_with_an_empty_alt_or_a_presentation_role_is_decorative() -> None:
    from builder import weasy

    class Text:  # a box that is not a drawn image: an image that failed, shown as its alt
        pass

    def box(link: object = None, kind: type = weasy.ReplacedBox, **attrs: str) -> object:
        made = object.__new__(kind)
        made.__dict__.update(element=attrs, element_tag="img", link_annotation=link)
        return made

    assert weasy._decorative(box(alt=""))
    assert weasy._decorative(box(role="presentation", alt="x"))
    assert not weasy._decorative(box(alt="A chart"))
    assert not weasy._decorative(box())  # no alt at all: WeasyPrint says so
    assert not weasy._decorative(box(link=object(), alt=""))  # a link is content
    assert not weasy._decorative(box(kind=Text, alt=""))


# -- math: a formula is a /Formula (PDF/UA-1 7.7), its /Alt its TeX source ----------------------


def _formula_manual(folder: Path) -> Path:
    """A manual of one page: a formula, then an informative image."""
    from clirun import cli
    from conftest import space

    root = space(folder / "content", "Energy is $$E = mc^2$$ here.\n\n![A blue square](blue.png)\n")
    Image.new("RGB", (50, 30), (30, 30, 200)).save(root / "blue.png")
    code, out, err = cli(["build", "--strict", "--source", "content", "--manual", "--out", "o"],
                         folder)  # fmt: skip
    assert code == 0, out + err
    return folder / "o" / "manual.pdf"


def _tagged(pdf: Path) -> list[tuple[str, str, bool]]:
    """(structure type, /Alt, has a /BBox) of every /Figure and /Formula."""
    from cardpdf import struct_elements

    return sorted(
        (str(e["/S"]), str(e.get("/Alt", "")), "/BBox" in e.get("/A", {}))
        for e in struct_elements(pdf)
        if e["/S"] in ("/Figure", "/Formula")
    )


def _marks(pdf: Path) -> list[str]:
    """The tag of each marked-content sequence with an id (BDC), in drawing order."""
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return [
            str(operands[0])
            for page in doc.pages
            for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) == "BDC"
        ]


def test_a_formula_is_tagged_as_a_formula_with_its_tex_as_alt(tmp_path: Path) -> None:
    from pdfua import validate

    pdf = _formula_manual(tmp_path)
    assert _tagged(pdf) == [("/Figure", "A blue square", True), ("/Formula", "E = mc^2", True)]
    marks = _marks(pdf)
    assert marks.count("/Formula") == 1
    assert marks.count("/Figure") == 1
    report = validate(str(pdf))
    assert not report.findings, [f"{f.rule_id}: {f.message}" for f in report.findings]


def test_unpatched_a_formula_is_a_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the patch mends: WeasyPrint tags every image, math too, as a /Figure."""
    from builder import weasy

    monkeypatch.setattr(weasy.Stream, "marked", weasy._marked)
    monkeypatch.setattr(weasy.tags, "_build_box_tree", weasy._build_box_tree)
    pdf = _formula_manual(tmp_path)
    assert _tagged(pdf) == [("/Figure", "A blue square", True), ("/Figure", "E = mc^2", True)]
    assert "/Formula" not in _marks(pdf)


def test_only_an_image_typeset_from_tex_is_a_formula() -> None:
    from builder import weasy

    class Text:  # a box that is not a drawn image: an image that failed, shown as its alt
        pass

    def box(kind: type = weasy.ReplacedBox, tag: str = "img", **attrs: str) -> object:
        made = object.__new__(kind)
        made.__dict__.update(element=attrs, element_tag=tag, link_annotation=None)
        return made

    assert weasy._formula(box(**{"class": "math-svg math-inline", "alt": "x^2"}))
    assert weasy._formula(box(**{"class": "math-svg math-display", "alt": "x^2"}))
    assert not weasy._formula(box(**{"class": "math-svg"}))  # no alt: left to WeasyPrint
    assert not weasy._formula(box(alt="A chart"))
    assert not weasy._formula(box(tag="svg", **{"class": "math-svg", "alt": "x"}))
    assert not weasy._formula(box(kind=Text, **{"class": "math-svg", "alt": "x"}))


@pytest.mark.parametrize(("mode", "name"), [("I;16", "g.png"), ("I;16B", "g.tif"), ("I", "g.tif")])
def test_a_16_or_32_bit_grey_picture_outside_the_image_cache_prints_as_its_picture(
    tmp_path: Path, mode: str, name: str
) -> None:
    """A card's pictures do not go through the image cache (builder.downsample): the
    renderer itself scales a 16-bit grey PNG (I;16), a big-endian 16-bit grey TIFF (I;16B)
    or a 32-bit grey TIFF (I) to 8 bits.
    WeasyPrint drew I;16 as a black box ("Unknown image mode") and clipped I to white."""
    gradient = Image.linear_gradient("L").rotate(90).resize((256, 40))  # 0 at the left
    deep = gradient.convert("I").point(lambda v: v * 257)
    (deep if mode == "I" else deep.convert(mode)).save(tmp_path / name)
    with Image.open(tmp_path / name) as saved:
        assert saved.mode == mode
        assert saved.convert("I").getextrema()[1] == 65535  # I;16B has no getextrema()
    images_pdf(tmp_path, [name])  # and nothing said
    (image,) = [i for page in PdfReader(tmp_path / "out.pdf").pages for i in page.images]
    drawn = image.image
    assert drawn is not None
    assert drawn.mode == "L"
    assert drawn.tobytes() == gradient.tobytes()


def test_a_16_bit_grey_png_with_a_transparent_level_prints_with_it_as_its_mask(
    tmp_path: Path,
) -> None:
    """Outside the image cache too (a card's picture): a 16-bit grey PNG naming a
    transparent grey level prints as its 8-bit grey with a soft mask clear exactly there
    (pdfimages reads both back)."""
    import subprocess

    gradient = Image.linear_gradient("L").rotate(90).resize((256, 20))
    deep = gradient.convert("I").point(lambda v: v * 257)
    clear = deep.getpixel((200, 5))
    deep.convert("I;16").save(tmp_path / "g.png", transparency=clear)
    images_pdf(tmp_path, ["g.png"])  # and nothing said
    subprocess.run(["pdfimages", "-png", str(tmp_path / "out.pdf"), str(tmp_path / "x")],
                   check=True)  # fmt: skip
    listed = subprocess.run(["pdfimages", "-list", str(tmp_path / "out.pdf")], check=True,
                            capture_output=True, text=True).stdout.splitlines()[2:]  # fmt: skip
    assert [line.split()[2] for line in listed] == ["image", "smask"]
    with Image.open(tmp_path / "x-000.png") as grey, Image.open(tmp_path / "x-001.png") as mask:
        assert grey.convert("L").tobytes() == gradient.tobytes()
        wanted = bytes(0 if v == clear else 255 for v in deep.get_flattened_data())
        assert mask.convert("L").tobytes() == wanted


def test_a_picture_is_named_after_its_path_from_the_root_it_was_read_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same path from the same root: the same name, wherever the root is, and whether the
    URL spells the root as given or as its real path (a link to it); two files that differ
    (another root, path, query or fragment, nested roots, a remote one) never share one."""
    from builder import weasy

    def name(url: str, roots: list[tuple[str, ...]]) -> str:
        monkeypatch.setattr(weasy, "IMAGE_ROOTS", roots)
        return str(weasy._image_id(url.encode(), usedforsecurity=False).hexdigest())

    here = [("/srv/a/", "/data/a/"), ("/srv/a/content/", "/data/a/content/")]
    there = [("/home/it/guide/",), ("/home/it/guide/content/",)]
    assert name("file:///srv/a/x%20y.png", here) == name("file:///home/it/guide/x y.png", there)
    assert name("file:///data/a/x.png", here) == name("file:///srv/a/x.png", here)
    assert name("file:///srv/a/x.png", here) != name("file:///home/it/guide/x.png", [("/",)])
    urls = ["file:///srv/a/x.png", "file:///srv/a/content/x.png", "file:///srv/a/x.png?v=2",
            "file:///srv/a/x.png#p", "file:///srv/b/x.png", "file:///x.png",
            "https://example.org/srv/a/x.png"]  # fmt: skip
    assert len({name(url, here) for url in urls}) == len(urls)
    # A "?" or "#" in a file's name (escaped in its URL) is not a query nor a fragment.
    assert name("file:///srv/a/p%3Fq", here) != name("file:///srv/a/p?q?", here)
    assert name("file:///srv/a/x%23y.png", here) != name("file:///srv/a/x?#y.png", here)
    assert name("file://h/srv/a/x.png", here) != name("file:///srv/a/x.png", here)


def test_a_windows_root_names_its_pictures_as_a_posix_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A root on Windows was spelled with backslashes ("C:\\Users\\it\\guide/"), which no file
    URL ("file:///C:/Users/it/guide/x.png") starts with: each picture named after its absolute
    URL, and so other bytes in another folder. Roots are spelled as their URLs' paths."""
    from pathlib import PurePosixPath, PureWindowsPath

    from builder import weasy
    from builder.pdf import url_path

    def name(url: str, root: str) -> str:
        monkeypatch.setattr(weasy, "IMAGE_ROOTS", [(root,)])
        return str(weasy._image_id(url.encode(), usedforsecurity=False).hexdigest())

    windows = url_path(PureWindowsPath(r"C:\Users\it\Mon guide"))
    posix = url_path(PurePosixPath("/home/it/guide"))
    assert windows == "/C:/Users/it/Mon guide/"
    assert name(PureWindowsPath(r"C:\Users\it\Mon guide\a b.png").as_uri(), windows) == name(
        "file:///home/it/guide/a%20b.png", posix
    )
    assert name("file:///C:/Users/it/x.png", windows) != name("file:///home/it/x.png", posix)


def test_the_patches_are_in_place_and_pydyf_deflates_by_libdeflate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint names pictures by _image_id, and every stream pydyf writes (pages, fonts,
    pictures it compresses) is deflated by libdeflate, as zlib inflates it."""
    import pydyf
    import weasyprint.images

    from builder import weasy

    assert weasyprint.images.md5 is weasy._image_id
    assert pydyf.zlib is weasy._Zlib
    made, deflated = [], weasy.deflated

    def counted(data: bytes, level: int = 6) -> bytes:
        made.append(level)
        return deflated(data, level)

    monkeypatch.setattr(weasy, "deflated", counted)
    Image.open(io.BytesIO(_png("RGB", (64, 48)))).save(tmp_path / "a.png")
    pdf = images_pdf(tmp_path, ["a.png"])
    assert made
    assert set(made) == {9}  # pydyf asks for level 9
    contents = PdfReader(pdf).pages[0].get_contents()
    assert contents is not None
    assert b"Do" in contents.get_data()  # the picture drawn, in a stream zlib inflated
