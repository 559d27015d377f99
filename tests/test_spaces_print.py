"""Any GitBook space prints right, read back from the PDF: every script in a font of the set
(and only those fonts), the right CJK face for each language, nothing raw, nothing off the
page.

One space, tests/fixtures/spaces/print: a Korean, a Japanese, an Arabic and a Hindi page
(Hebrew and Thai in the last), the raw syntax of GitBook exports (`&#xNAN;`, an integration
block, emoji shortcodes and `\\(` escapes in titles, an empty heading, a malformed image), an
external SUMMARY entry, and the long tokens that ran off the page (a URL with `&` in code,
long inline code, hex and base64 strings, a table cell, a placeholder's long file name, an
image wider than the text block).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from clirun import cli
from pypdf import PdfReader

from builder import fonts
from builder.config import Settings
from builder.manual import PAPER

SPACE = Path(__file__).parent / "fixtures" / "spaces" / "print"
MM = 72 / 25.4
# The embedded names of the set's fonts: "GP …" for the @font-face ones, the others their own.
OURS = re.compile(
    r"GP-(Sans|Mono)(-Bold)?(-Italic)?|Noto-Color-Emoji|Noto-Sans-CJK-(JP|KR|SC|TC|HK)(-Bold)?"
    r"|Noto-Sans-("
    + "|".join(f.split()[-1] for f in (*fonts.SCRIPT_FONTS, *fonts.SYMBOL_FONTS))
    + r")(-Bold)?"
)
# Lines the build must say, no more: each raw construct named where it is.
WARNINGS = [
    "raw.md:5: GitBook integration 'github-files/github-code-block' printed as a box",
    "raw.md:7: empty heading left out",
    "raw.md:11: malformed image path '.gitbook/assets/wide.png>'",
    "long.md:19: image not found: .gitbook/assets/a-screenshot-with-a-file-name-far-too-long",
    "long.md:21: image without alt text",
    'README.md: the title is the folder\'s name, "Print"',
]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The fixture space built as a project of its own (default settings, a page a sheet)."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(SPACE, project / "print")
    # Each page on a sheet of its own: the fonts of a sheet are those of one language's page.
    (project / "guideprint.toml").write_text('[manual]\npage_breaks = "page"\n')
    code, out, err = cli(["build", "--source", "print", "--manual", "--out", "out"], project)
    assert code == 0, err
    return project / "out" / "manual.pdf", out + err


@pytest.fixture(scope="module")
def reader(build: tuple[Path, str]) -> PdfReader:
    return PdfReader(build[0])


def _page_fonts(reader: PdfReader, index: int, chars: str = "") -> set[str]:
    """The fonts a page draws text with (of the text holding one of chars, when given);
    WeasyPrint's pages share one resource dictionary, so it is read from the drawing."""
    found = set()

    def visit(text: str, cm: object, tm: object, font: object, size: object) -> None:
        if isinstance(font, dict) and text.strip() and (not chars or set(text) & set(chars)):
            found.add(str(font["/BaseFont"]).split("+")[-1])

    reader.pages[index].extract_text(visitor_text=visit)
    return found


def _page_of(reader: PdfReader, text: str) -> int:
    return next(i for i, p in enumerate(reader.pages) if text in _text(p.extract_text()))


def _text(text: str) -> str:
    """Extracted text with its runs of spaces as one (an emoji is followed by two)."""
    return re.sub(r"[ \t]+", " ", text)


def test_pdffonts_lists_only_fonts_of_the_set(build: tuple[Path, str]) -> None:
    listed = subprocess.run(["pdffonts", str(build[0])], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]  # fmt: skip
    names = {line.split()[0].split("+")[-1] for line in listed}
    assert names, listed
    assert all(OURS.fullmatch(n) for n in names), names
    assert all("emb" and line.split()[-5] == "yes" for line in listed)  # every one embedded
    assert not [n for n in names if "DejaVu" in n]


def test_every_script_prints_in_its_font(reader: PdfReader) -> None:
    text = "\n".join(p.extract_text() for p in reader.pages)
    for words in ("한국어로 작성되었습니다", "日本語で書かれています", "العربية", "दस्तावेज़",
                  "שלום", "สวัสดี"):  # fmt: skip
        assert words in text, words
    everything = set().union(*(_page_fonts(reader, i) for i in range(len(reader.pages))))
    assert {"Noto-Sans-Arabic", "Noto-Sans-Devanagari", "Noto-Sans-Hebrew",
            "Noto-Sans-Thai"} <= everything  # fmt: skip


def test_the_language_of_a_page_picks_its_cjk_face(reader: PdfReader) -> None:
    han = "直接設定"  # drawn differently in Korea, Japan and China: the face must follow
    korean = _page_fonts(reader, _page_of(reader, "한국어로 작성되었습니다"), han)
    japanese = _page_fonts(reader, _page_of(reader, "日本語で書かれています"), han)
    assert "Noto-Sans-CJK-KR" in korean
    assert "Noto-Sans-CJK-JP" not in korean
    assert "Noto-Sans-CJK-JP" in japanese
    assert "Noto-Sans-CJK-KR" not in japanese


def test_chapters_carry_their_language_and_direction(reader: PdfReader) -> None:
    arabic = reader.pages[_page_of(reader, "العربية")].extract_text()
    assert "دليل عربي" in arabic
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"  # the settings' language; each chapter tags its own


def test_nothing_raw_is_printed(reader: PdfReader) -> None:
    text = _text("\n".join(p.extract_text() for p in reader.pages))
    for raw in ("{%", "%}", "&#x", "NAN;", "\\(", "@github-files"):
        assert raw not in text, raw
    assert not re.search(r":[a-z_]+:", text.replace("https:", "")), "a :shortcode: printed"
    assert "🚀 Raw syntax (and escapes)" in text  # the title: in the chapter, the TOC, the header
    assert "🎉 Heading with an emoji" in text
    assert "https://github.com/GitbookIO/integrations/blob/main/README.md" in text


def test_the_toc_and_bookmarks_read_as_the_headings(reader: PdfReader) -> None:
    titles: list[str] = []

    def walk(items: list) -> None:  # type: ignore[type-arg]
        for item in items:
            walk(item) if isinstance(item, list) else titles.append(item.title)

    walk(reader.outline)
    assert "🚀 Raw syntax (and escapes)" in titles
    assert "🎉 Heading with an emoji" in titles
    assert "" not in titles  # the empty heading is left out
    toc = _text(reader.pages[1].extract_text())
    assert "🚀 Raw syntax" in toc  # SUMMARY.md's title for the page: ":rocket: Raw syntax"
    assert ":rocket:" not in toc
    assert "GitBook's own help" in toc.replace("’", "'")
    assert "https://docs.gitbook.com/help" in toc  # an external entry, listed with its address


def test_a_generic_first_heading_is_no_title(reader: PdfReader, build: tuple[Path, str]) -> None:
    assert reader.metadata is not None
    assert reader.metadata.title == "Print"  # README says "Introduction": the folder's name
    assert 'set title = "…" in guideprint.toml' in build[1]  # a one-line hint


def test_each_raw_construct_is_a_warning_with_its_line(build: tuple[Path, str]) -> None:
    said = [line for line in build[1].splitlines() if line.startswith("warning: ")]
    for expected in WARNINGS:
        assert any(expected in line for line in said), (expected, said)
    ours = [line for line in said if "renderer:" not in line]
    assert len(ours) == len(WARNINGS), ours


def test_no_glyph_leaves_the_text_block(build: tuple[Path, str]) -> None:
    """Every glyph of every page lies between the page's margins (the running header and
    footer are in the margin boxes, above and below the text block: inside these edges too)."""
    _, _, _, inner, outer = PAPER[Settings().manual.paper]
    margin = min(float(inner[:-2]), float(outer[:-2])) * MM
    pdf = pdfium.PdfDocument(build[0])
    outside = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            page_width, page_height = page.get_size()
            text = page.get_textpage()
            for i in range(text.count_chars()):
                left, bottom, right, top = text.get_charbox(i)
                char = text.get_text_range(i, 1)
                if not char.strip() or right <= left:
                    continue
                if left < margin - 1 or right > page_width - margin + 1 or bottom < 0 \
                        or top > page_height:  # fmt: skip
                    outside.append((number + 1, char, round(left), round(right)))
    finally:
        pdf.close()
    assert not outside, outside[:10]


def test_images_and_placeholders_fit_the_text_block(reader: PdfReader) -> None:
    long = _page_of(reader, "Inline code that is one long token")
    text = reader.pages[long].extract_text()
    assert "a-screenshot-with-a-file-name-far-too-long-for-any-placeholder-box-on-paper" in text
    assert "&trigger=manual&notify=true&token=0123456789abcdef" in text.replace("\n", "")


def test_the_shipped_fontconfig_configuration_lists_the_set() -> None:
    """assets/fonts.conf is written from builder/fonts.py: `python -m builder.fonts`."""
    assert fonts.conf_path().read_text(encoding="utf-8") == fonts.conf_text()
    seen = {p.name for p in _listed_with(fonts.conf_path())}
    assert seen == {w.name for w in fonts.WANTED}  # the set's files, and no other


def _listed_with(conf: Path) -> list[Path]:
    listed = subprocess.run(["fc-list", "--format", "%{file}\\n"], capture_output=True,
                            text=True, check=True, env={"FONTCONFIG_FILE": str(conf)})  # fmt: skip
    return [Path(line) for line in listed.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("이 문서는 한국어로 작성되었습니다. 直接", "ko"),
        ("この文書は日本語で書かれています。直接", "ja"),
        ("这个文件是用中文写的。", "zh"),
        ("هذا المستند مكتوب باللغة العربية", "ar"),
        ("यह दस्तावेज़ हिंदी में लिखा गया है", "hi"),
        ("Ce document est écrit en français, avec 漢字 cité.", None),
        ("```\n한국어 코드\n```\nAn English page about a Korean library.", None),
    ],
)
def test_a_page_s_script_tells_its_language(text: str, lang: str | None) -> None:
    from builder.content.language import detect

    assert detect(text) == lang
