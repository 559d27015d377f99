"""Where the manual's page references landed last time, as the next layout's first guess
(builder.weasy.page_hints, out/.guideprint-steps/targets-<paper>.json).

WeasyPrint prints a reference to a later page empty, then lays out again each page holding
one once the numbers are known: every page of a manual whose pages all say "voir p. N".
With the guess, a manual whose pages did not move is laid out once. The promise tested here
is the other side: a guess, right, wrong or stale, never changes a printed number.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from clirun import cli

HINTS = Path("out/.guideprint-steps/targets-A4.json")


@pytest.fixture
def layouts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The page layouts WeasyPrint makes in this process (one core: the manual laid out here)."""
    import weasyprint.layout.page as page

    made: list[int] = []
    remake = page.remake_page

    def counted(index: int, *args: object, **kwargs: object) -> object:
        made.append(index)
        return remake(index, *args, **kwargs)

    monkeypatch.setattr(page, "remake_page", counted)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    return made


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


def pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def build(folder: Path, *args: str) -> str:
    code, _, err = cli(["build", "--manual", *args], folder)
    assert code == 0, err
    return text(folder / "out" / "manual.pdf")


def test_a_manual_whose_pages_did_not_move_is_laid_out_once(copy: Path, layouts: list[int]) -> None:
    first = build(copy)
    once = pages(copy / "out" / "manual.pdf")
    assert len(layouts) > once  # without a guess: the pages with references, twice
    assert (copy / HINTS).is_file()
    layouts.clear()
    assert build(copy, "--force") == first
    assert sorted(layouts) == list(range(once))  # each page once


def test_wrong_guesses_print_the_right_numbers(copy: Path, layouts: list[int]) -> None:
    """Every anchor guessed on page 999 and every reference on page 1: the same PDF text
    as a manual laid out with no guess at all."""
    right = build(copy)
    hints = json.loads((copy / HINTS).read_text(encoding="utf-8"))
    assert hints["anchors"]
    assert hints["refs"]
    wrong = {
        "anchors": {name: {**c, "page": [999]} for name, c in hints["anchors"].items()},
        "refs": {name: {**c, "page": [1]} for name, c in hints["refs"].items()},
    }
    (copy / HINTS).write_text(json.dumps(wrong), encoding="utf-8")
    assert build(copy, "--force") == right


JUNK = [
    "",
    "{not json",
    "[1, 2]",
    '{"anchors": {"a": {"page": "x"}}}',
    '{"anchors": {"p-vpn": {"page": []}}, "refs": {}}',  # WeasyPrint took it: IndexError
    "[" * 100_000 + "]" * 100_000,  # json.loads: RecursionError
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_a_hints_file_that_is_not_one_is_no_guess(copy: Path, junk: str) -> None:
    right = build(copy)
    (copy / HINTS).write_text(junk, encoding="utf-8")
    assert build(copy, "--force") == right


LONG = " ".join(["Un paragraphe ajouté qui pousse les pages suivantes."] * 80)
EDITS = {  # each moves the pages after it, so that the guesses from before are wrong there
    "a long paragraph on the first page": ("README.md", lambda t: t + "\n\n" + LONG + "\n"),
    "most of a page cut": ("client-web.md", lambda t: t[: len(t) // 5] + "\n"),
    "a new section, a new anchor, referred to from the first page": (
        "README.md",
        lambda t: t + "\n\nVoir [Nouveau](vpn.md#nouveau).\n",
    ),
    "a new section's heading": ("vpn.md", lambda t: t + "\n\n## Nouveau\n\n" + LONG + "\n"),
    "a heading renamed": ("client-web.md", lambda t: t.replace("## Accès", "## Accès au client")),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_stale_guesses_after_an_edit_that_moves_the_pages(
    copy: Path, tmp_path: Path, edit: str
) -> None:
    """After an edit, the guesses of the build before are wrong from the edit on: the manual
    prints what a manual made from the edited pages with no guess prints (another copy,
    never built). (Fewer page layouts too, on a manual whose pages refer to others: bench/.)"""
    import shutil

    build(copy)
    fresh = tmp_path / "fresh"
    for name in ("content", "layouts", "assets"):
        shutil.copytree(copy / name, fresh / name)
    shutil.copy(copy / "guideprint.toml", fresh / "guideprint.toml")
    name, change = EDITS[edit]
    if "new anchor" in edit:  # the section it refers to, added in the same edit
        vpn = copy / "content" / "vpn.md"
        vpn.write_text(EDITS["a new section's heading"][1](vpn.read_text("utf-8")), "utf-8")
        shutil.copy(vpn, fresh / "content" / "vpn.md")
    page = copy / "content" / name
    page.write_text(change(page.read_text(encoding="utf-8")), encoding="utf-8")
    shutil.copy(page, fresh / "content" / name)
    assert build(copy) == build(fresh)


def test_the_hints_file_is_not_an_input(copy: Path) -> None:
    """Rewritten by every layout, it would otherwise make the manual stale at each build."""
    build(copy)
    (copy / HINTS).write_text('{"anchors": {}, "refs": {}}', encoding="utf-8")
    code, _, err = cli(["build", "--manual"], copy)
    assert code == 0, err
    assert "0 written, 1 up to date" in err


def test_a_reference_in_a_table_gives_the_table_of_a_first_build(copy: Path) -> None:
    """WeasyPrint sizes a table's columns once, with the numbers it prints then: with a guess
    the column of "voir p. 14" was wider than in a build from an empty out/ (the reviewer's
    case). The anchors a table refers to get no guess."""
    readme = copy / "content" / "README.md"
    table = "\n\n| Sujet | Où |\n|---|---|\n| VPN | [VPN](vpn.md) |\n"
    readme.write_text(readme.read_text(encoding="utf-8") + table, encoding="utf-8")
    first = build(copy)
    assert "voir p." in first
    assert build(copy, "--force") == first
