"""Paper, read back from the PDF: where new pages start ([manual] page_breaks), pages that are
only a title, the contents' length (toc_depth = "auto"), each space of a repository in its own
language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cardpdf import printed_toc
from clirun import cli
from conftest import one_error, write_files
from pypdf import PdfReader

from builder.config import load_settings
from builder.errors import ConfigError
from builder.manual.paper import TOC_LEAST, TOC_MOST, TOC_SHARE

FIXTURES = Path(__file__).parent / "fixtures" / "spaces"
NNBSP, NBSP = "\u202f", "\u00a0"


def _build(folder: Path, *args: str) -> PdfReader:
    code, _, err = cli(["build", "--manual", "--out", "out", "-q", *args], folder)
    assert code == 0, err
    return PdfReader(folder / "out" / "manual.pdf")


def _texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _page_of(texts: list[str], word: str) -> int:
    """The 1-based page printing word (a page's marker), outside the contents (page 2)."""
    found = [n for n, text in enumerate(texts, 1) if word in text and n > 2]
    assert len(found) == 1, (word, found)
    return found[0]


def _outline(reader: PdfReader) -> dict[str, int]:
    """Outline title -> 1-based page."""
    found: dict[str, int] = {}

    def walk(items: list) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found[item.title] = reader.get_destination_page_number(item) + 1

    walk(reader.outline)
    return found


def _printed_toc(texts: list[str], toc_pages: range) -> dict[str, int]:
    """Title -> page number, as the contents print them on these (1-based) pages."""
    return printed_toc([texts[n - 1] for n in toc_pages])


GROUPS = {
    "SUMMARY.md": "# Table of contents\n\n## Alpha\n\n* [Intro](README.md)\n"
    "* [Aone](a1.md)\n  * [Atwo](a2.md)\n\n## Beta\n\n* [Bone](b1.md)\n* [Btwo](b2.md)\n",
    "README.md": "# Intro\n\nmarker-intro: the first page.\n",
    "a1.md": "# Aone\n\nmarker-aone: a page with a child.\n",
    "a2.md": "# Atwo\n\nmarker-atwo: the child.\n",
    "b1.md": "# Bone\n\nmarker-bone: the second group.\n",
    "b2.md": "# Btwo\n\nmarker-btwo: its second page.\n",
}
MARKERS = ["intro", "aone", "atwo", "bone", "btwo"]


@pytest.mark.parametrize(
    ("mode", "starts"),
    [
        ("page", [3, 4, 5, 6, 7]),  # every page of the space on a page of its own
        ("chapter", [3, 3, 3, 4, 4]),  # a page for each group of SUMMARY.md
        ("none", [3, 3, 3, 3, 3]),  # continuous
    ],
)
def test_page_breaks_start_pages_where_said(tmp_path: Path, mode: str, starts: list[int]) -> None:
    write_files(tmp_path / "content", GROUPS)
    settings = f'language = "en"\ntitle = "Paper"\n[manual]\npage_breaks = "{mode}"\n'
    (tmp_path / "guideprint.toml").write_text(settings)
    reader = _build(tmp_path, "--strict")
    texts = _texts(reader)
    assert [_page_of(texts, f"marker-{m}") for m in MARKERS] == starts
    assert len(reader.pages) == starts[-1]  # cover, contents, the chapters: no blank page
    outline = _outline(reader)
    assert [outline[t] for t in ("Intro", "Aone", "Atwo", "Bone", "Btwo")] == starts
    assert _outline(reader)["Beta"] == starts[3]  # a group's title is bookmarked too
    printed = _printed_toc(texts, range(2, 3))
    assert printed == {t: outline[t] for t in printed}


def test_default_is_a_page_for_each_top_level_entry(tmp_path: Path) -> None:
    """No page_breaks: "chapter"; a flat SUMMARY.md (the bundled guide's) has each page as
    a chapter, on a page of its own."""
    flat = "# Table of contents\n\n" + "".join(f"* [{m}]({m}.md)\n" for m in MARKERS)
    files = {f"{m}.md": f"# {m}\n\nmarker-{m}.\n" for m in MARKERS}
    write_files(tmp_path / "content", {"SUMMARY.md": flat, **files, "README.md": "# R\n"})
    (tmp_path / "guideprint.toml").write_text('title = "Paper"\n')
    texts = _texts(_build(tmp_path))
    assert [_page_of(texts, f"marker-{m}") for m in MARKERS] == [3, 4, 5, 6, 7]


# Five group pages with no text of their own (a title; whitespace or a comment at most).
BLANKS = {
    "SUMMARY.md": "# Table of contents\n\n* [Intro](README.md)\n"
    + "".join(f"* [Part {n}](p{n}/README.md)\n  * [Page {n}](p{n}/page.md)\n" for n in range(1, 6)),
    "README.md": "# Intro\n\nmarker-intro. Turn to [the fifth part](p5/README.md).\n",
    **{f"p{n}/README.md": f"# Part {n}\n\n" for n in range(1, 4)},
    "p4/README.md": "# Part 4\n\n<!-- to be written -->\n   \n",
    "p5/README.md": "---\ndescription: \n---\n\n# Part 5\n",
    **{f"p{n}/page.md": f"# Page {n}\n\nmarker-page{n}: under part {n}.\n" for n in range(1, 6)},
}


@pytest.mark.parametrize("mode", ["page", "chapter"])
def test_title_only_pages_join_the_next(tmp_path: Path, mode: str) -> None:
    write_files(tmp_path / "content", BLANKS)
    settings = f'language = "en"\ntitle = "Paper"\n[manual]\npage_breaks = "{mode}"\n'
    (tmp_path / "guideprint.toml").write_text(settings)
    reader = _build(tmp_path, "--strict")
    texts = _texts(reader)
    assert len(reader.pages) == 2 + 1 + 5  # not 2 + 1 + 10: no page holds a title alone
    outline = _outline(reader)
    for n in range(1, 6):
        page = _page_of(texts, f"marker-page{n}")
        assert page == 3 + n
        assert f"PART {n}" in texts[page - 1]  # the title heads the page that follows it
        assert outline[f"Part {n}"] == outline[f"Page {n}"] == page  # bookmarked, turned to
    printed = _printed_toc(texts, range(2, 3))
    assert printed == {t: outline[t] for t in outline if t != "Contents"}
    assert f"the fifth part{NBSP}(see p.{NBSP}8)" in texts[2]  # a link to a blank page


def _big_space(groups: int = 10, tops: int = 3, nested: int = 9) -> dict[str, str]:
    """groups x tops top-level pages, each with nested children: 300 page entries, the
    top-level ones with three headings each (some 400 entries of contents at toc_depth 2)."""
    summary, files = ["# Table of contents\n\n* [Big](README.md)\n"], {}
    body = "{t} text. " + "A sentence of the page, long enough to fill a line of it. " * 4
    sections = "".join(f"\n## {{t}} section {s}\n\nIts text.\n" for s in "abc")
    for g in range(groups):
        summary.append(f"\n## Group {g}\n\n")
        for t in range(tops):
            name = f"g{g}t{t}"
            summary.append(f"* [Page {name}]({name}.md)\n")
            for c in range(nested):
                summary.append(f"  * [Page {name}c{c}]({name}c{c}.md)\n")
                files[f"{name}c{c}.md"] = f"# Page {name}c{c}\n\n" + body.format(t=name)
            files[f"{name}.md"] = f"# Page {name}\n\n{body}{sections}".format(t=name)
    files["README.md"] = "# Big\n\nThe start.\n"
    return {"SUMMARY.md": "".join(summary), **files}


def test_contents_of_a_large_manual_stay_a_small_part_of_it(tmp_path: Path) -> None:
    write_files(tmp_path / "content", _big_space())
    (tmp_path / "guideprint.toml").write_text('language = "en"\ntitle = "Big manual"\n')
    reader = _build(tmp_path)
    texts = _texts(reader)
    outline = _outline(reader)
    first = outline["Big"]
    toc_pages = first - 2  # after the cover, before the first chapter
    body = len(reader.pages) - first + 1
    assert toc_pages <= max(TOC_LEAST, min(TOC_MOST, body * TOC_SHARE)), (toc_pages, body)
    printed = _printed_toc(texts, range(2, first))
    # Every top-level page is listed; the bookmarks keep the entries the contents leave out.
    assert all(f"Page g{g}t{t}" in printed for g in range(10) for t in range(3))
    assert "g3t2 section b" in outline
    assert "g3t2 section b" not in printed
    assert len(outline) > 300 > len(printed)
    for title, number in printed.items():  # the numbers printed are the pages turned to
        assert outline[title] == number, title


def test_toc_depth_set_is_kept(tmp_path: Path) -> None:
    """toc_depth = 2 is the writer's choice: a long contents, not cut."""
    write_files(tmp_path / "content", _big_space(groups=3, tops=2, nested=1))
    (tmp_path / "guideprint.toml").write_text('language = "en"\n[manual]\ntoc_depth = 2\n')
    reader = _build(tmp_path)
    printed = _printed_toc(_texts(reader), range(2, _outline(reader)["Big"]))
    assert "g2t1 section c" in printed
    assert "Page g2t1c0" in printed


@pytest.mark.parametrize(
    ("toml", "pattern"),
    [
        ('[manual]\npage_breaks = "sometimes"\n',
         r":2: invalid value 'sometimes' for 'manual.page_breaks' \(use \"chapter\", \"page\" or "
         r"\"none\"\)"),
        ('[manual]\npage_breaks = "chapters"\n', r":2: .*\(did you mean 'chapter'\?\)"),
        ('[manual]\npage_breaks = 1\n', r":2: 'manual.page_breaks' must be a string"),
        ('[manual]\ntoc_depth = "deep"\n', r":2: invalid value for 'manual.toc_depth' \(use "),
        ("[manual]\ntoc_depth = true\n", r":2: 'manual.toc_depth' must be a whole number or"),
    ],
)  # fmt: skip
def test_bad_paper_settings_say_what_to_write(tmp_path: Path, toml: str, pattern: str) -> None:
    write_files(tmp_path, {"guideprint.toml": toml, "content/README.md": "# Guide\n\nText.\n"})
    code, _, err = cli(["build", "--manual", "--out", "out"], tmp_path)
    assert code == 1
    assert re.search(pattern, one_error(err)), err
    with pytest.raises(ConfigError):
        load_settings(tmp_path)


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PdfReader]:
    """The fixture repository of an English and a French space, built."""
    folder = tmp_path_factory.mktemp("bilingual") / "repo"
    shutil.copytree(FIXTURES / "bilingual", folder)
    return folder, _build(folder, "--source", ".", "--strict")


def _parts(reader: PdfReader) -> dict[str, str]:
    """The text of each part, by the language it is written in."""
    texts = _texts(reader)
    fr = "\n".join(t for t in texts[2:] if "GUIDE DE L’UTILISATEUR" in t)
    en = "\n".join(t for t in texts[2:] if "USER GUIDE" in t)
    assert fr
    assert en
    assert fr != en
    return {"fr": fr, "en": en}


def test_each_space_its_own_typography_and_wording(bilingual: tuple[Path, PdfReader]) -> None:
    parts = _parts(bilingual[1])
    # pdftotext prints no-break spaces as spaces: pypdf keeps them.
    assert f"main{NBSP}: les réponses" in parts["fr"]
    assert f"deux-points{NNBSP}!" in parts["fr"]
    assert f"le cas{NNBSP}?" in parts["fr"]
    assert "voir p." in parts["fr"]
    assert "see p." not in parts["fr"]
    en = parts["en"]
    assert "hand: the answers" in en
    assert "words! Is that right? Yes" in en
    assert not re.search(f"[{NBSP}{NNBSP} ][:;!?]", en)
    assert "see p." in en
    assert "voir p." not in en


def test_document_wording_and_titles_follow_the_project(
    bilingual: tuple[Path, PdfReader],
) -> None:
    reader = bilingual[1]
    texts = _texts(reader)
    assert texts[0].startswith("Bilingual handbook")
    assert "Contents" in texts[1]  # the project's language: English
    assert "Sommaire" not in "\n".join(texts)
    outline = [t for t in _outline(reader)]
    # The French space's own settings title it; the English one its folder's name.
    assert outline[:3] == ["Contents", "Guide de l’utilisateur", "Premiers pas"]
    assert "User guide" in outline


def test_each_space_is_hyphenated_in_its_language(bilingual: tuple[Path, PdfReader]) -> None:
    """WeasyPrint hyphenates by the lang attribute of each part's chapters."""
    from builder.diagnostics import Collected
    from builder.gate import activate
    from builder.manual.job import read
    from builder.project import load_project

    folder = bilingual[0]
    project = load_project(folder, source=Path("."))
    with activate(project.gate):
        html = read(project, ["A4"], Collected(), allow_remote=False).value.html
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    langs = re.findall(r'<article class="chapter[^"]*" lang="(\w+)"', html)
    assert langs == ["fr", "fr", "en", "en"]
    part = '<li class="toc-part toc-level-1" lang="fr"><span>Guide de l’utilisateur'
    assert part in html
    assert "organisa\u2010" in _parts(bilingual[1])["fr"]  # hyphenated, in French
