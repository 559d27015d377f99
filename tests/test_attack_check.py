"""`check` = `build`, attacked with what the renderer only meets late: resources an SVG of
the space pulls (fetched while the PDF is drawn, after layout).

Not repeated here (tests/test_check.py): the bundled content, an overfull card, a missing
image, a broken include, a broken PNG, a character no font has.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from clirun import cli
from conftest import project
from test_check import problems

NESTED = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
    '<image href="{href}" width="20" height="20"/></svg>\n'
)
PAGE = "# Guide\n\nUn texte.\n\n![tire](tire.svg)\n"
CASES = pytest.mark.parametrize(
    "href",
    [
        "file:///etc/hostname",
        "../../outside.png",
        "http://127.0.0.1:9/remote.png",
        "../../été ma photo.png",
        "../../a&amp;b.png",
    ],
    ids=["file-url", "relative-out", "remote", "accents-and-space", "entity"],
)


def both(tmp_path: Path, href: str) -> tuple[set[str], set[str]]:
    """What check and build said of a space whose page shows an SVG pulling href, each in
    its own copy (the copy's folder name replaced, so that paths compare)."""
    one = project(tmp_path / "a", 'title = "T"\n')
    (one / "content" / "tire.svg").write_text(NESTED.format(href=href), encoding="utf-8")
    (one / "content" / "README.md").write_text(PAGE, encoding="utf-8")
    other = tmp_path / "b"
    shutil.copytree(one, other)
    code_check, _, checked = cli(["check"], one)
    code_build, _, built = cli(["build"], other)
    assert code_check == code_build, (checked, built)
    return problems(checked), {p.replace(str(other), str(one)) for p in problems(built)}


@pytest.mark.weasyprint_logs  # the refusals, on purpose
@CASES
def test_check_reports_what_an_svg_pulls_as_build_does(tmp_path: Path, href: str) -> None:
    """build reports the refusal of what the SVG pulls; check reports the same, though the
    SVG's own references are fetched only when the PDF is drawn."""
    checked, built = both(tmp_path, href)
    assert built, "build said nothing"
    assert checked == built


@pytest.mark.weasyprint_logs
@CASES
def test_what_an_svg_pulls_is_reported_at_the_page_and_line(tmp_path: Path, href: str) -> None:
    """#19: renderer warnings name the page and line. Before the fix a refusal of what an
    SVG pulls (fetched while the PDF is drawn) named 'manual'; now the page showing it."""
    _, built = both(tmp_path, href)
    assert built
    assert all(line.startswith("warning: README.md:5: ") for line in built), built
