"""A printed link address in a right-to-left page reads left to right, in one piece (found
on a real Arabic space: the bidi algorithm took the address's `://` and `/` for Arabic
punctuation, and printed `//:https<` at a line's end and the path's pieces out of order).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from clirun import cli

BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

ADDRESS = "https://docs.example.com/docs/v13/user/manual/en/introduction/do-i-need-an-erp"


def test_an_address_in_an_arabic_page_reads_left_to_right(tmp_path: Path) -> None:
    space = tmp_path / "space"
    space.mkdir()
    (space / "SUMMARY.md").write_text("* [Home](README.md)\n* [نص](text.md)\n")
    (space / "README.md").write_text("# Guide\n\nAn English first page.\n")
    arabic = "هل أحتاج إلى نظام تخطيط موارد المؤسسات في شركتي الصغيرة"
    (space / "text.md").write_text(
        f"# نص\n\n{arabic} [{arabic}]({ADDRESS}) {arabic}.\n\n"
        f"{arabic} {arabic} [{arabic}]({ADDRESS}) {arabic}.\n",
        encoding="utf-8",
    )
    (tmp_path / "guideprint.toml").write_text('language = "en"\n')
    code, _, err = cli(["build", "--source", "space", "--manual", "--out", "out"], tmp_path)
    assert code == 0, err
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out" / "manual.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    text = BIDI_MARKS.sub("", text)  # pdftotext's embedding marks around each run
    assert "//:https" not in text
    assert f"<{ADDRESS}" in text, text  # in one piece, in its order


def _words(pdf: Path, page: int) -> list[tuple[str, float]]:
    """(word, left x) of each word of a page, from pdftotext's boxes."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [
        (w, float(x)) for x, w in re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', html)
    ]


def test_an_arabic_title_on_the_cover_reads_right_to_left(tmp_path: Path) -> None:
    """A real Arabic space's title, `المقدمة ERPNext` ("Introduction ERPNext"), was laid
    out left to right on the cover: its first word printed left of the second."""
    space = tmp_path / "space"
    space.mkdir()
    (space / "SUMMARY.md").write_text("* [المقدمة ERPNext](README.md)\n")
    (space / "README.md").write_text("# المقدمة ERPNext\n\nنص الصفحة الأولى.\n")
    (tmp_path / "guideprint.toml").write_text('language = "en"\ntitle = "المقدمة ERPNext"\n')
    code, _, err = cli(["build", "--source", "space", "--manual", "--out", "out"], tmp_path)
    assert code == 0, err
    words = _words(tmp_path / "out" / "manual.pdf", 1)
    arabic = [x for w, x in words if re.search("[\u0600-\u06ff]", w)]
    latin = [x for w, x in words if w == "ERPNext"]
    assert arabic, words
    assert latin, words
    assert arabic[0] > latin[0]  # the first word is the rightmost
