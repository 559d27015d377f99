"""Any GitBook space prints right (issue #14), where test_spaces_print and the tests of each
stage do not already hold it: the real corpus builds with nothing raw and only the set's
fonts; a wrapped code line is marked; a URL in code breaks after its separators; code is not
hyphenated; an image wider than the text block is drawn inside it; an integration's box is
labelled; the remote images of a space are one line; the README names every script of the
set and every block the reader knows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import emoji
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from clirun import cli
from conftest import require_shared, write_files
from pypdf import PdfReader
from test_spaces_print import OURS

from builder import fonts
from builder.config import Settings
from builder.content import render  # noqa: F401  (its modules register their blocks)
from builder.content.handlers import HANDLERS
from builder.manual import PAPER

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "lawnchair-docs"
SPACE = Path(__file__).parent / "fixtures" / "spaces" / "print"
MM = 72 / 25.4
RAW = ("{%", "%}", "&#x", "NAN;")


def shortcodes(text: str) -> list[str]:
    """The emoji shortcodes printed as written: `:name:` that GitBook would draw."""
    return [
        c for c in re.findall(r":[a-z0-9_+-]+:", text) if emoji.emojize(c, language="alias") != c
    ]


def _outline(items: list[object]) -> list[str]:
    found: list[str] = []
    for item in items:
        found += _outline(item) if isinstance(item, list) else [str(item.title)]  # type: ignore[attr-defined]
    return found


def _fonts(pdf: Path) -> set[str]:
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
    return {line.split()[0].split("+")[-1] for line in listed.stdout.splitlines()[2:]}


# -- the real corpus ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_shared(CORPUS)
    out = tmp_path_factory.mktemp("corpus")
    code, _, err = cli(["build", "--manual", "--source", str(CORPUS), "--out", str(out)], ROOT)
    assert code == 0, err
    return out / "manual.pdf"


def test_the_corpus_prints_nothing_raw(corpus: Path) -> None:
    reader = PdfReader(corpus)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(text) > 50_000  # its prose, all of it
    for raw in RAW:
        assert raw not in text, raw
    assert shortcodes(text) == []
    titles = _outline(reader.outline)
    assert len(titles) > 50
    assert [t for t in titles if any(r in t for r in RAW) or shortcodes(t) or not t.strip()] == []


def test_the_corpus_embeds_only_fonts_of_the_set(corpus: Path) -> None:
    names = _fonts(corpus)
    assert {"GP-Sans", "GP-Mono", "Noto-Color-Emoji"} <= names
    assert [n for n in names if not OURS.fullmatch(n)] == []


def test_a_shortcode_is_told_from_a_mac_address() -> None:
    assert shortcodes("Deploy :rocket: now") == [":rocket:"]
    assert shortcodes("47:AC:92:63 and 12:30:45, :not_an_emoji_name:") == []


# -- the print fixture --------------------------------------------------------------------


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("print")
    shutil.copytree(SPACE, project / "print")
    (project / "guideprint.toml").write_text('[manual]\npage_breaks = "page"\n')
    code, _, err = cli(["build", "--source", "print", "--manual", "--out", "out"], project)
    assert code == 0, err
    return project / "out" / "manual.pdf"


def _page_with(pdf: pdfium.PdfDocument, words: str) -> int:
    return next(n for n in range(len(pdf)) if words in pdf[n].get_textpage().get_text_range())


def _char_box(text: pdfium.PdfTextPage, words: str) -> tuple[float, float, float, float]:
    """The box (left, bottom, right, top, in points) of the first character of words: its
    advance by the font's height, not its ink."""
    start = text.get_text_range().index(words)
    return text.get_charbox(start, loose=True)  # type: ignore[no-any-return]


def test_a_wrapped_code_line_is_indented_under_a_mark(printed: Path, tmp_path: Path) -> None:
    """The curl line wraps after `main&`: its next line starts 1.2 em in, an arrow before it."""
    pdf = pdfium.PdfDocument(printed)
    try:
        number = _page_with(pdf, "curl -X POST")
        text = pdf[number].get_textpage()
        first = _char_box(text, "curl -X POST")
        wrapped = _char_box(text, "trigger=manual")
        height = pdf[number].get_size()[1]
        image = pdf[number].render(scale=150 / 72).to_pil().convert("L")
    finally:
        pdf.close()
    advance = first[2] - first[0]  # Noto Sans Mono's: 0.6 em
    assert wrapped[0] - first[0] == pytest.approx(2 * advance, abs=0.5)  # indented 1.2 em
    assert wrapped[1] < first[1] - 5  # on the next line

    def ink(left: float, right: float, box: tuple[float, float, float, float]) -> int:
        scale = 150 / 72
        crop = image.crop((round(left * scale), round((height - box[3] + 1) * scale),
                           round(right * scale), round((height - box[1] - 1) * scale)))  # fmt: skip
        return crop.point(lambda v: 1 if v < 160 else 0).histogram()[1]

    assert ink(first[0], wrapped[0] - 1, wrapped) > 10  # the mark, in the gutter


def test_a_url_in_code_breaks_after_a_separator(printed: Path) -> None:
    reader = PdfReader(printed)
    text = next(p.extract_text() for p in reader.pages if "curl -X POST" in p.extract_text())
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("curl -X POST"))
    assert lines[at].endswith("branch=main&"), lines[at]
    assert lines[at + 1].startswith("trigger=manual&")


def test_inline_code_wraps_without_a_hyphen(printed: Path) -> None:
    reader = PdfReader(printed)
    text = next(p.extract_text() for p in reader.pages if "Base64:" in p.extract_text())
    base64 = "U29tZSBsb25nIGJhc2U2NCBzdHJpbmcgdGhhdCBkb2VzIG5vdCBicmVhayBhbnl3aGVyZSBhdCBhbGwgYW5k"
    joined = "".join(text.split("Base64:", 1)[1].split())
    assert joined.startswith(base64), joined[:120]  # no "-" put in where it wraps
    assert text.split("Base64:", 1)[1].count("\n") >= 1  # it does wrap


def test_images_are_drawn_inside_the_text_block(printed: Path) -> None:
    """wide.png is 4000 px wide (width="4000" in the page): drawn at most the text's width."""
    _, _, _, inner, outer = PAPER[Settings().manual.paper]
    margin = min(float(inner[:-2]), float(outer[:-2])) * MM
    pdf = pdfium.PdfDocument(printed)
    boxes = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            width = page.get_size()[0]
            for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
                left, _, right, _ = image.get_bounds()
                boxes.append((number, image.get_px_size(), left >= margin - 1,
                              right <= width - margin + 1, right - left))  # fmt: skip
    finally:
        pdf.close()
    wide = [b for b in boxes if b[1][0] > 1000]
    assert len(wide) == 3, boxes  # the long page's, and the raw page's two
    assert all(inside_left and inside_right for _, _, inside_left, inside_right, _ in boxes)
    text_width = (210 - float(inner[:-2]) - float(outer[:-2])) * MM
    assert all(b[4] == pytest.approx(text_width, abs=1) for b in wide)  # scaled to fit


def test_an_integration_is_a_box_labelled_with_its_name_and_link(printed: Path) -> None:
    reader = PdfReader(printed)
    text = next(p.extract_text() for p in reader.pages if "github-code-block" in p.extract_text())
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "(github-files/github-code-block)" in line)
    assert lines[at].startswith("Contenu en ligne")  # the label, in the page's language
    assert lines[at + 1] == "https://github.com/GitbookIO/integrations/blob/main/README.md"


# -- remote images -------------------------------------------------------------------------


def test_the_remote_images_of_a_space_are_one_line(tmp_path: Path) -> None:
    pictures = "\n\n".join(f"![shot {n}](https://example.com/shot-{n}.png)" for n in range(40))
    write_files(tmp_path / "s", {
        "SUMMARY.md": "# Table of contents\n\n* [Guide](README.md)\n* [More](more.md)\n",
        "README.md": f"# Guide\n\nText.\n\n{pictures}\n",
        "more.md": "# More\n\n![a diagram](https://example.com/diagram.png)\n",
    })  # fmt: skip
    code, out, err = cli(["check", "--source", "s"], tmp_path)
    assert code == 0, err
    said = [line for line in (out + err).splitlines() if "remote image" in line]
    assert said == [
        "warning: README.md:5: remote image not fetched: https://example.com/shot-0.png, and 40 "
        "more on 2 page(s) (pass --allow-remote to include them (or download them into "
        ".gitbook/assets))"
    ]


# -- the README ----------------------------------------------------------------------------

# Each block the reader knows -> the words of the README's "Scripts and blocks" naming it.
BLOCKS = {
    "hint": "hints", "tabs": "tabs", "tab": "tabs", "code-tabs": "tabs", "code-tabs-item": "tabs",
    "stepper": "steppers", "step": "steppers", "code": "code", "embed": "embeds", "file": "files",
    "content-ref": "content references", "page-ref": "content references", "columns": "columns",
    "column": "columns", "updates": "updates", "update": "updates", "if": "conditions",
    "prompt": "prompts", "include": "includes", "swagger": "{% swagger", "openapi": "{% openapi",
    "openapi-operation": "{% openapi-operation", "openapi-webhook": "{% openapi-webhook",
    "openapi-schemas": "{% openapi-schemas",
}  # fmt: skip


def _section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return " ".join(section.split())


def test_the_readme_names_every_script_of_the_set() -> None:
    section = _section("Scripts and blocks")
    for family in fonts.SCRIPT_FONTS:
        assert family.removeprefix("Noto Sans ") in section, family
    for named in ("Chinese", "Japanese", "Korean", "colour emoji", "fonts-noto-cjk", "MB"):
        assert named in section, named  # and the set-up cost, measured


def test_the_readme_names_every_block_and_what_an_unknown_one_becomes() -> None:
    section = _section("Scripts and blocks")
    known = {name for name in HANDLERS if not name.startswith(("api-method", "swagger-"))}
    assert known == set(BLOCKS)  # a block added to the reader is added to the README
    for name, words in BLOCKS.items():
        assert words in section, (name, words)
    assert "api-method" in section  # the legacy API blocks, their parts printed under it
    for said in ("integration", "labelled", "unknown `{% block %}`", "warning"):
        assert said in section, said


# -- the title --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "heading", "folder", "title", "hinted"),
    [
        ("Acme manual", "Welcome", "acme-docs", "Acme manual", False),  # the settings' first
        ("", "The Acme `VPN` guide", "x", "The Acme VPN guide", False),  # the README's heading
        ("", "Welcome", "acme-docs", "Acme docs", True),  # generic: the folder's name
        ("", "Bienvenue !", "guide_acme", "Guide acme", True),
        ("", ":rocket:", "acme", "Acme", True),  # an emoji alone
        ("", "Introduction", "acme/docs", "Acme", True),  # docs/ holds a space: one level up
    ],
)
def test_the_manual_s_title(
    tmp_path: Path, settings: str, heading: str, folder: str, title: str, hinted: bool
) -> None:
    from builder.content.model import Space
    from builder.diagnostics import Diagnostics
    from builder.manual.titles import manual_title

    space = Space(tmp_path / folder, "", heading, "", None, [], [])
    diag = Diagnostics()
    assert manual_title(Settings(title=settings), space, diag) == title
    said = [str(d) for d in diag.items]
    if not hinted:
        assert said == []
        return
    assert len(said) == 1, said
    assert f'the title is the folder\'s name, "{title}"' in said[0]
    assert 'set title = "…" in guideprint.toml' in said[0]  # the one-line hint
