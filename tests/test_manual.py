"""The manual, read back from the PDF: outline, TOC numbers, metadata, fonts, text, looks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cardpdf import printed_toc
from conftest import require_shared
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader

from builder.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "lawnchair-docs"
REFERENCE = Path(__file__).parent / "reference" / "manual"
MOJIBAKE = ("Ã", "â€", "Â", "ğŸ")


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    mp = pytest.MonkeyPatch()
    mp.chdir(ROOT)
    mp.setenv("SOURCE_DATE_EPOCH", "1790000000")
    try:
        assert main(["build", "--manual", "--out", str(out), "-q"]) == 0
    finally:
        mp.undo()
    return out / "manual.pdf"


@pytest.fixture(scope="module")
def reader(manual: Path) -> PdfReader:
    return PdfReader(manual)


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) for every outline entry."""
    found: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def test_outline_mirrors_summary_and_headings(reader: PdfReader) -> None:
    titles = [(d, t) for d, t, _ in _outline(reader)]
    pages = [t for d, t in titles if d == 0]
    assert pages == [
        "Sommaire",
        "3CX",
        "Depuis un téléphone fixe Yealink",
        "Depuis un PC avec le navigateur",
        "Depuis un PC avec l’application 3CX",
        "Depuis un smartphone",
        "Se connecter au VPN (FortiClient)",
    ]
    assert (1, "Choix de l’appareil") in titles
    assert (1, "Paramètres") in titles


def test_toc_page_numbers_are_the_real_pages(reader: PdfReader) -> None:
    printed = printed_toc([reader.pages[1].extract_text()])
    outline = {title: page + 1 for _, title, page in _outline(reader)}
    checked = 0
    for title, number in printed.items():
        if title in outline:
            assert outline[title] == number, title
            checked += 1
    assert checked >= 10


def test_metadata_and_tagging(reader: PdfReader) -> None:
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Téléphonie 3CX — guide utilisateur"
    assert meta.author == "Groupe Hautier"
    assert "3CX" in (meta.subject or "")
    assert "Yealink" in str(meta.get("/Keywords"))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert "/StructTreeRoot" in root
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4


def test_fonts_are_embedded_and_ours(reader: PdfReader) -> None:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for desc in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                fd = desc.get("/FontDescriptor")
                if fd is not None:
                    fd = fd.get_object()
                    assert any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                    names.add(str(fd["/FontName"]).split("+")[-1])
    # Only the fonts the set-up installs: no system fallback (DejaVu...) sneaks in.
    assert all(n.startswith(("GP-Sans", "GP-Mono", "Noto-Color-Emoji")) for n in names), names
    assert {"GP-Sans", "GP-Sans-Bold", "Noto-Color-Emoji"} <= names


def test_text_is_repaired_french(reader: PdfReader) -> None:
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert not [m for m in MOJIBAKE if m in text]
    assert "désormais connecté à notre réseau" in text
    assert "🥳" in text or "\U0001f973" in text
    assert "(voir p." in text  # internal references say where to turn


def test_size_fits_an_email(manual: Path) -> None:
    assert manual.stat().st_size < 2 * 1024 * 1024


def test_running_header_and_footer(reader: PdfReader) -> None:
    page = reader.pages[3].extract_text()
    pages = len(reader.pages)
    assert f"page 4 / {pages}" in page
    assert "Depuis un téléphone fixe Yealink" in page.splitlines()[0]
    assert f"page 1 / {pages}" not in reader.pages[0].extract_text()  # no footer on the cover


def _png(pdf: Path, page: int, prefix: Path) -> Image.Image:
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("L")


@pytest.mark.parametrize(("page", "name"), [(1, "cover"), (2, "toc"), (4, "yealink"), (5, "web")])
def test_looks_like_the_reviewed_reference(
    manual: Path, tmp_path: Path, page: int, name: str
) -> None:
    actual = _png(manual, page, tmp_path / name)
    reference = REFERENCE / f"{name}.png"
    if not reference.exists():  # a new page: written for review, and the test fails until then
        shutil.copy(tmp_path / f"{name}.png", reference)
        pytest.fail(f"reference {reference.name} was missing: written, review and commit it")
    expected = Image.open(reference).convert("L")
    assert actual.size == expected.size
    diff = ImageStat.Stat(ImageChops.difference(actual, expected)).mean[0]
    assert diff < 2.0, f"{name}: mean pixel difference {diff:.2f}"


def test_any_gitbook_space_gives_a_manual(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_shared(CORPUS)
    monkeypatch.chdir(ROOT)
    code = main(["build", "--manual", "--source", str(CORPUS), "--out", str(tmp_path), "-q"])
    assert code == 0
    reader = PdfReader(tmp_path / "manual.pdf")
    top = [t for d, t, _ in _outline(reader) if d == 0]
    assert top[1:] == ["Community", "Developers", "Help"] or len(top) >= 4
    text = "\n".join(p.extract_text() for p in reader.pages[:3])
    assert "Contents" in text  # English wording for an English space
