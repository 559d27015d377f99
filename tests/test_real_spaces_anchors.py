# ruff: noqa: RUF001 -- Cyrillic text on purpose
"""Links to headings and pages named in any script reach their own target (found on real
spaces: a Chinese guide whose README's contents all said "see p. 5", and a Russian one
whose pages of one folder shared one id).

Headings and page files in Chinese, Korean or Cyrillic got ids from an ASCII-only slug:
every such heading of a page was 'section', 'section-1'…, and a link to one went to the
first; two Cyrillic pages of one folder had the same id. Links written for GitHub's anchors
(punctuation dropped: '#使用-timetime-表达') missed GitBook's ('使用-time-time-表达').
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clirun import cli
from conftest import write_files
from pypdf import PdfReader

from builder.content.model import anchor_slug, page_anchor, slugify
from builder.content.space import find_spaces, read_space
from builder.diagnostics import Diagnostics

FILLER = "\n\n".join(["占位文字。" * 60] * 6)  # about a page of A4
SPACE = {
    "SUMMARY.md": "* [首页](README.md)\n* [Раздел](docs/тест.md)\n  * [Стенд](docs/стенд.md)\n",
    "README.md": (
        "# 首页\n\n"
        "* [介绍](#介绍)\n* [规范](#规范)\n* [时间](#使用-timetime-表达瞬时时间)\n"
        "* [설치](#설치-방법)\n* [стенд](docs/стенд.md#настройка)\n* [缺](#没有这一节)\n"
        "* [订阅](#id-2-ding-yue-ji-hua)\n* [页](#首页)\n\n"
        f"## 介绍\n\n{FILLER}\n\n## 规范\n\n{FILLER}\n\n"
        f"## 使用 `time.Time` 表达瞬时时间\n\n{FILLER}\n\n## 설치 방법\n\n한국어.\n\n"
        f"## 2. 订阅计划\n\n{FILLER}\n"
    ),
    "docs/тест.md": "# Раздел\n\nСм. [страница](стенд.md).\n",
    "docs/стенд.md": f"# Стенд\n\n{FILLER}\n\n## Настройка\n\nТекст.\n",
}


def test_anchor_slug_keeps_every_script_and_latin_as_before() -> None:
    for latin in ("Choix de l’appareil", "Le fichier config.yml modifié", "Get Started"):
        assert anchor_slug(latin) == slugify(latin)
    assert anchor_slug("使用 `time.Time` 表达") == "使用-time-time-表达"
    assert anchor_slug("Настройка VPN") == "настройка-vpn"
    assert anchor_slug("설치 방법") == "설치-방법"
    assert anchor_slug("हिन्दी भाषा") == "हिन्दी-भाषा"  # its vowel signs stay in the word
    assert anchor_slug("«»") == "section"
    assert page_anchor("docs/тест.md") != page_anchor("docs/стенд.md")


def test_headings_in_any_script_get_their_own_ids(tmp_path: Path) -> None:
    root = tmp_path / "space"
    write_files(root, SPACE)
    diag = Diagnostics()
    (space,) = [read_space(layout, diag, lang="en") for layout in find_spaces(root)]
    readme = space.pages[0]
    ids = [h.anchor for h in readme.headings]
    assert len(set(ids)) == len(ids) == 5
    assert ids[0] == "p-readme--介绍"
    assert f'href="#{ids[1]}"' in readme.html  # 规范, not the first heading
    assert len({p.anchor for p in space.pages}) == 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[PdfReader, str]:
    project = tmp_path_factory.mktemp("project")
    write_files(project / "space", SPACE)
    (project / "guideprint.toml").write_text('language = "en"\n[manual]\npage_breaks = "page"\n')
    code, out, err = cli(["build", "--source", "space", "--manual", "--out", "out"], project)
    assert code == 0, err
    return PdfReader(project / "out" / "manual.pdf"), out + err


def _page_of(reader: PdfReader, heading: str) -> int:
    """The number of the page past the cover and the contents with a line that is heading."""
    for number, page in enumerate(reader.pages[2:], 3):
        if heading in (line.strip() for line in page.extract_text().splitlines()):
            return number
    raise AssertionError(f"no page has the heading {heading!r}")


def test_see_page_names_the_page_of_each_heading(built: tuple[PdfReader, str]) -> None:
    reader, _ = built
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Each page's reference in its language (builder.i18n.WORDS): Chinese, Russian, English.
    said = dict(re.findall(r"(\S+?)(?:（参见第|\s\(см\.\sс\.|\s\(see p\.)\s(\d+)", text))
    assert said["介绍"] == str(_page_of(reader, "介绍"))
    assert said["规范"] == str(_page_of(reader, "规范"))
    assert said["时间"] == str(_page_of(reader, "使用 time.Time 表达瞬时时间"))  # GitHub's anchor
    assert said["стенд"] == str(_page_of(reader, "Настройка"))
    assert said["страница"] == str(_page_of(reader, "Стенд"))
    assert said["订阅"] == str(_page_of(reader, "2. 订阅计划"))  # GitBook's own: pinyin
    assert said["页"] == "3"  # the page's title: the page
    assert (
        len(
            {
                said["介绍"],
                said["规范"],
                said["时间"],
                said["стенд"],
                said["страница"],
                said["订阅"],
            }
        )
        == 6
    )


def test_a_missing_section_is_said_with_its_line(built: tuple[PdfReader, str]) -> None:
    _, log = built
    missing = [line for line in log.splitlines() if "missing section" in line]
    assert missing == [
        "warning: README.md:8: link to a missing section '#没有这一节': pointing at its page"
        " (link to a heading of that page, or give the heading that anchor)"
    ]


def test_a_missing_section_names_the_file_from_the_folder_given(tmp_path: Path) -> None:
    """A space whose .gitbook.yaml puts its root in docs/: the file said is docs/README.md,
    as the reader's own warnings say it (the manual's said README.md, not a file there)."""
    files = {
        ".gitbook.yaml": "root: ./docs/\n",
        "docs/SUMMARY.md": "* [Home](README.md)\n",
        "docs/README.md": "# Home\n\nSee [nowhere](#没有).\n\n![](gone.png)\n",
    }
    write_files(tmp_path / "repo", files)
    code, out, err = cli(["check", "--source", "repo"], tmp_path)
    assert code == 0, err
    said = [line for line in (out + err).splitlines() if line.startswith("warning: ")]
    assert any(line.startswith("warning: docs/README.md:5: image not found") for line in said)
    assert "warning: docs/README.md:3: link to a missing section '#没有'" in "\n".join(said)
