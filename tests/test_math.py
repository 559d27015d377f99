"""GitBook's `$$…$$` math typeset (builder/content/tex.py), read back from the PDF.

tests/fixtures/math is a space of GitBook-style pages: fractions, sums with limits, a matrix,
cases with \\text, sub- and superscripts, inline and display, a formula in a page's title and
in a heading. Its manual builds clean under --strict; no TeX source is in its visible text
but the running header's, each formula is a tagged /Formula whose /Alt is its source, no font
is embedded for math (its glyphs are paths) and PDF/UA-1 holds. A title's formula is drawn
in the TOC as in the heading, and is its source in the bookmarks and the running header. A
macro the typesetter does not know is a warning with its file and line, and prints as its
source in monospace.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest
from cardpdf import raster, struct_elements
from clirun import cli
from conftest import render_pdf, space
from PIL import Image

from builder.content import tex
from builder.content.inline import title_html, title_text
from builder.content.markdown import to_html
from builder.diagnostics import Diagnostics

SPACE = Path(__file__).parent / "fixtures" / "math"
FORMULA = re.compile(r"\$\$(.+?)\$\$", re.S)


def sources() -> list[str]:
    """Every formula of the fixture, in reading order, as its /Alt holds it."""
    found = []
    for name in ("README.md", "physics.md", "energy.md"):
        text = (SPACE / name).read_text(encoding="utf-8")
        found += [" ".join(m.group(1).split()) for m in FORMULA.finditer(text)]
    return found


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's manual, built with --strict: any warning would fail it."""
    project = tmp_path_factory.mktemp("math")
    shutil.copytree(SPACE, project / "math")
    code, out, err = cli(
        ["build", "--strict", "--source", "math", "--manual", "--out", "o"], project
    )
    assert code == 0, err
    assert "warning" not in (out + err).lower(), err
    return project / "o" / "manual.pdf"


def test_no_tex_source_in_the_visible_text(manual: Path) -> None:
    text = subprocess.run(["pdftotext", manual, "-"], capture_output=True, text=True).stdout
    assert "The mean of" in text
    assert "sits on the line like the text around it" in text
    for raw in ("\\", "$$", "frac", "begin", "pmatrix", "_{", "^{"):
        assert raw not in text, raw


def formulas(pdf: Path) -> list[tuple[str, list[float]]]:
    """(alternative text, box in CSS px from the top left) of every tagged /Formula."""
    return [
        (str(e.get("/Alt", "")), [float(v) for v in e["/A"]["/BBox"]])
        for e in struct_elements(pdf)
        if e["/S"] == "/Formula"
    ]


def test_each_formula_is_a_formula_whose_alt_is_its_source(manual: Path) -> None:
    alts = [alt for alt, _ in formulas(manual)]
    in_toc = ["E = mc^2", "m_0"]  # the formulas of a page title and of a heading, again
    assert sorted(alts) == sorted(sources() + in_toc)
    assert len(alts) == 15
    assert not [e for e in struct_elements(manual) if e["/S"] == "/Figure"]


def _outline(items: list[object], depth: int = 0) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for item in items:
        if isinstance(item, list):
            found += _outline(item, depth + 1)
        else:
            found.append((depth, str(item.title)))  # type: ignore[attr-defined]
    return found


def test_a_title_s_formula_is_its_source_in_the_bookmarks(manual: Path) -> None:
    outline = _outline(pypdf.PdfReader(manual).outline)
    assert (0, "Energy E = mc^2") in outline  # the page's title
    assert (1, "Rest mass m_0") in outline  # its heading, under it
    assert not [title for _, title in outline if "$$" in title]


def test_a_title_s_formula_is_drawn_in_the_toc_and_its_source_in_the_header(
    manual: Path,
) -> None:
    reader = pypdf.PdfReader(manual)
    toc = reader.pages[1]
    lines = [" ".join(line.split()) for line in toc.extract_text().splitlines()]
    assert any(line.startswith("Energy") and line.endswith(" 5") for line in lines), lines
    assert any(line.startswith("Rest mass") and line.endswith(" 5") for line in lines), lines
    assert not [line for line in lines if "$$" in line or "mc^2" in line]
    on_toc = sorted(
        str(e["/Alt"])
        for e in struct_elements(manual)
        if e["/S"] == "/Formula" and e.raw_get("/Pg").idnum == toc.indirect_reference.idnum
    )
    assert on_toc == ["E = mc^2", "m_0"]  # drawn, as in the headings
    last = reader.pages[4].extract_text()
    assert last.splitlines()[0].strip() == "Energy", last  # the title: words, then a drawing
    assert "Energy E = mc^2" in last  # the running header: text only, the TeX source


def test_a_group_title_s_formula_is_its_source_in_the_bookmarks(tmp_path: Path) -> None:
    root = space(tmp_path / "content", "Text.")
    (root / "SUMMARY.md").write_text(
        "# Table of contents\n\n* [Guide](README.md)\n\n## Squares $$x^2$$\n\n* [Page](page.md)\n"
    )
    (root / "page.md").write_text("# Page\n\nMore text.\n")
    code, _, err = cli(["build", "--source", "content", "--manual", "--out", "o"], tmp_path)
    assert code == 0, err
    outline = _outline(pypdf.PdfReader(tmp_path / "o" / "manual.pdf").outline)
    assert (0, "Squares x^2") in outline
    assert (1, "Page") in outline


def test_a_title_s_formula_is_typeset_and_its_text_the_source() -> None:
    html = title_html("Energy $$E = mc^2$$ and *more*", "en")
    assert html.startswith('Energy <span class="math"><img class="math-svg math-inline"')
    assert "<em>more</em>" in html
    assert "$$" not in html
    assert title_text("Energy $$E = mc^2$$ and *more*", "en") == "Energy E = mc^2 and more"
    assert title_text("Costs $5 or $$", "en") == "Costs $5 or $$"  # no formula: as written
    unknown = title_html("Water $$\\ce{H2O}$$", "en")
    assert '<code class="math-source">\\ce{H2O}</code>' in unknown


def test_math_embeds_no_font(manual: Path) -> None:
    listing = subprocess.run(["pdffonts", manual], capture_output=True, text=True).stdout
    names = [line.split()[0].split("+")[-1] for line in listing.splitlines()[2:]]
    assert names
    assert all(n.startswith("GP-Sans") for n in names), names  # headings and prose


def test_the_manual_is_pdf_ua(manual: Path) -> None:
    from pdfua import validate

    report = validate(str(manual))
    assert not report.findings, [f"{f.rule_id}: {f.message}" for f in report.findings]
    assert {o.rule_id for o in report.skipped} <= {"UA-14-001"}  # see cardpdf.assert_tagged


def test_display_formulas_are_centred(manual: Path) -> None:
    """The sum, the matrix and the cases of the first page: centred on the text block."""
    pdf = pikepdf.open(manual)
    width = float(pdf.pages[2].MediaBox[2]) / 0.75  # CSS px, the unit of the tags' boxes
    boxes = {alt: bbox for alt, bbox in formulas(manual)}
    written = sources()
    shown = [boxes[written[i]] for i in (3, 5, 6)]
    middles = {round((box[0] + box[2]) / 2) for box in shown}
    assert len({round(box[2] - box[0]) for box in shown}) > 1  # widths differ, one middle
    assert len(middles) == 1, shown
    assert width * 0.4 < middles.pop() < width * 0.6, shown
    inline = boxes[written[1]]  # in the first line of text, from near the left margin
    assert inline[0] < width / 3


def test_an_unknown_macro_warns_with_its_line_and_prints_its_source(tmp_path: Path) -> None:
    space(tmp_path / "content", "Some text.\n\nWater is $$\\ce{H2O}$$ here.")
    code, out, err = cli(["build", "--source", "content", "--manual", "--out", "o"], tmp_path)
    assert code == 0, err
    assert "README.md:5: unsupported math \\ce, printed as source" in out + err
    pdf = tmp_path / "o" / "manual.pdf"
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    assert "\\ce{H2O}" in text
    listing = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout
    assert "GP-Mono" in listing  # the source, in monospace
    code, out, err = cli(
        ["build", "--strict", "--source", "content", "--manual", "--out", "o2"], tmp_path
    )
    assert code == 1
    assert not (tmp_path / "o2" / "manual.pdf").exists()


def test_an_unknown_macro_in_a_page_title_warns_with_its_line(tmp_path: Path) -> None:
    root = space(tmp_path / "content")
    (root / "water.md").write_text("---\ndescription: x\n---\n\n# Water $$\\ce{H2O}$$\n\nWet.\n")
    with (root / "SUMMARY.md").open("a") as summary:
        summary.write("* [Water](water.md)\n")
    code, out, err = cli(["build", "--source", "content", "--manual", "--out", "o"], tmp_path)
    assert code == 0, err
    assert "water.md:5: unsupported math \\ce, printed as source" in out + err
    text = subprocess.run(["pdftotext", tmp_path / "o" / "manual.pdf", "-"],
                          capture_output=True, text=True).stdout  # fmt: skip
    assert "Water \\ce{H2O}" in text  # its heading, in monospace
    assert "$$" not in text


def _svg(html: str) -> str:
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert data, html
    return base64.b64decode(data.group(1)).decode("utf-8")


def test_a_formula_is_paths_of_the_wheel_s_font() -> None:
    svg = _svg(tex.typeset(r"\text{speed} = \frac{d}{t}", display=False).html)
    assert "<path" in svg  # glyphs drawn, no font needed
    assert "<text" not in svg
    assert "STIXTwoMath" in svg  # the glyphs' ids name the font they come from
    assert Path(tex.font_path()).is_file()
    assert "site-packages" in tex.font_path() or "dist-packages" in tex.font_path()


def test_a_paragraph_of_only_a_formula_is_display_style() -> None:
    inline = to_html("The sum $$\\sum_{i=1}^n i$$ is small.")
    display = to_html("$$\\sum_{i=1}^n i$$")
    assert "math-inline" in inline
    assert "math-display" not in inline
    assert "math-display" in display
    # Display style sets the limits under and over the sum: a taller drawing.
    tall = [float(re.search(r'height="([\d.]+)"', _svg(h)).group(1)) for h in (inline, display)]
    assert tall[1] > tall[0] * 1.1


def test_each_formula_is_typeset_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """50 formulas of a page, ten distinct: ten typeset, the rest from the cache."""
    tex.typeset.cache_clear()
    made: list[str] = []
    real = tex._ziamath().Math.fromlatex

    def counting(latex: str, **kwargs: object) -> object:
        made.append(latex)
        return real(latex, **kwargs)

    monkeypatch.setattr(tex._ziamath().Math, "fromlatex", counting)
    page = "\n\n".join(f"Line {i}: $$x_{{{i % 10}}}^2$$ and more." for i in range(50))
    diag = Diagnostics()
    html = to_html(page, 1, diag=diag, file="page.md")
    assert html.count("<img") == 50
    assert not diag.items
    assert sorted(made) == sorted({f"x_{{{i}}}^2" for i in range(10)})


def test_an_inline_formula_sits_on_the_baseline(tmp_path: Path) -> None:
    """'xxxx' as text and as a formula: their ink starts and ends on the same rows."""
    from builder.content.render import render_markdown

    root = space(tmp_path / "s")
    diag = Diagnostics()
    body = render_markdown("xxxxxxxx $$xxxxxxxx$$", source=root / "README.md", root=root,
                           diag=diag, lang="en").html  # fmt: skip
    css = (Path(__file__).parent.parent / "layouts" / "manual" / "manual.css").read_text()
    html = f"<style>{css} body {{ font-size: 30pt }}</style>{body}"
    render_pdf(html, root, tmp_path / "x.pdf", diag)
    assert not diag.items
    (png,) = raster(tmp_path / "x.pdf", 300, tmp_path)[:1]
    image = Image.open(png).convert("L").point(lambda v: 255 if v < 128 else 0)
    ink = image.getbbox()
    assert ink is not None
    left, top, right, bottom = ink
    gap = _widest_gap(image, ink)  # between the words and the formula
    rows = [image.crop((left, top, gap, bottom)).getbbox(),
            image.crop((gap, top, right, bottom)).getbbox()]  # fmt: skip
    assert rows[0]
    assert rows[1]
    em = 30 / 72 * 300  # px
    # Baselines within 1/25 em (STIX's italic x dips a little below it); the padding
    # misplaced, or vertical-align left at baseline, would be off by a quarter em and more.
    assert abs(rows[0][3] - rows[1][3]) <= em / 25
    heights = [r[3] - r[1] for r in rows]  # x-heights: the formula's letters the text's size
    assert heights[1] == pytest.approx(heights[0], rel=0.08)


def _widest_gap(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """The middle of the widest run of empty columns inside box."""
    left, top, right, bottom = box
    columns = [image.crop((x, top, x + 1, bottom)).getbbox() is None for x in range(left, right)]
    best, start, found = 0, 0, left
    for i, empty in enumerate([*columns, False]):
        if empty and (i == 0 or not columns[i - 1]):
            start = i
        if not empty and i and columns[i - 1] and i - start > best:
            best, found = i - start, left + (start + i) // 2
    return found


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("\\foo{x} + 1", "unsupported math \\foo"),
        ("\\frac{1}", "math not read"),
        ("x^", "math not read (missing superscript or subscript)"),
        ("\\begin{tikzcd} A \\end{tikzcd}", "unsupported math environment tikzcd"),
        ("\\\\ x", "math not typeset"),  # ziamath measures it 20,000 em high
        ("\\text{속도} = v", "math font has no 속도"),  # Hangul: boxes, else
    ],
)
def test_what_is_not_typeset_prints_as_its_source(source: str, says: str) -> None:
    formula = tex.typeset(source, display=False)
    assert formula.problem is not None
    assert formula.problem.startswith(says)
    assert formula.html == f'<code class="math-source">{source}</code>'
    assert formula.hint
