"""Cards read back from their PDFs: text runs and sizes, word boxes, pixels, tags.

Shared by tests/test_cards.py and tests/test_keymap.py; printed_toc by the manual's tests.
"""

from __future__ import annotations

import math
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf

PT_PER_MM = 72 / 25.4
FOOTER_STARTS = ("Besoin", "Aide", "Need", "Help:", "édition", "edition")


def text_runs(page: pypdf.PageObject, *, figures: bool = False) -> list[tuple[str, float]]:
    """(text, size in points) of every text run, text matrix and CTM applied.

    Text drawn inside a tagged /Figure (the words of a logo's artwork) is an image's, not
    the card's: left out, or the only runs returned with `figures`.
    """
    runs: list[tuple[str, float]] = []
    marks: list[str] = []

    def mark(op: bytes, args: list[object], cm: list[float], tm: list[float]) -> None:
        if op in (b"BDC", b"BMC"):
            marks.append(str(args[0]))
        elif op == b"EMC" and marks:
            marks.pop()

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip() and ("/Figure" in marks) == figures:
            a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
            c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
            runs.append((text.strip(), size * math.sqrt(abs(a * d - b * c))))

    page.extract_text(visitor_operand_before=mark, visitor_text=visit)
    return runs


def plain(text: str) -> str:
    """Text with typographic spaces and apostrophes made plain, for word checks."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def lines(pdf: Path, page: int) -> list[list[tuple[str, float, float, float, float]]]:
    """Words of each printed line (text, xMin, yMin, xMax, yMax in points) via pdftotext."""
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    root = ET.fromstring(xml)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    return [
        [(w.text or "", *(float(w.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")))
         for w in line.iterfind("x:word", ns)]
        for line in root.iterfind(".//x:line", ns)
    ]  # fmt: skip


def raster(pdf: Path, dpi: int, dest: Path) -> list[Path]:
    """Every page of pdf as a PNG."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(dest)], check=True)
    return sorted(dest.parent.glob(f"{dest.name}-*.png"))


TOC_LINE = re.compile(r"(.+?)[ .]*\.\s*(\d+)$")  # a contents' line: title, leader, page


def printed_toc(texts: list[str]) -> dict[str, int]:
    """Title -> page number, as the contents print them on these pages' text."""
    printed = {}
    for text in texts:
        for line in text.splitlines():
            m = TOC_LINE.match(line.strip())
            if m:
                printed[m.group(1).strip(" .")] = int(m.group(2))
    return printed


def struct_elements(pdf: Path) -> list[pypdf.generic.DictionaryObject]:
    """Every structure element of a tagged PDF, depth first."""
    root = pypdf.PdfReader(pdf).trailer["/Root"]
    found: list[pypdf.generic.DictionaryObject] = []
    pending = [root["/StructTreeRoot"].get_object()]
    while pending:
        node = pending.pop()
        kids = node.get("/K")
        kids = kids if isinstance(kids, pypdf.generic.ArrayObject) else [kids]
        for kid in kids:
            kid = kid.get_object() if kid is not None else None
            if isinstance(kid, pypdf.generic.DictionaryObject) and "/S" in kid:
                found.append(kid)
                pending.append(kid)
    return found


def figures(pdf: Path) -> list[tuple[str, list[float]]]:
    """(alternative text, box in CSS px from the top left) of every tagged /Figure."""
    return [
        (str(e.get("/Alt", "")), [float(v) for v in e["/A"]["/BBox"]])
        for e in struct_elements(pdf)
        if e["/S"] == "/Figure"
    ]


def assert_tagged(pdf: Path, lang: str) -> None:
    """PDF/UA-1 as pdfua checks it, and as we read it: tree, marked, language, headings."""
    from pdfua import validate

    report = validate(str(pdf))
    assert not report.findings, [f"{f.rule_id}: {f.message}" for f in report.findings]
    # pdfua 0.1.3's empty-heading rule fails on any heading whose /K is an array (all of
    # WeasyPrint's): it is skipped, and read here instead.
    assert {o.rule_id for o in report.skipped} <= {"UA-14-001"}, report.skipped
    reader = pypdf.PdfReader(pdf)
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == lang
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert all("/StructParents" in page for page in reader.pages)
    headings = [e for e in struct_elements(pdf) if re.fullmatch(r"/H\d", str(e["/S"]))]
    assert headings
    assert all(_marks_content(h) for h in headings)


def _marks_content(element: pypdf.generic.DictionaryObject) -> bool:
    kids = element.get("/K")
    kids = kids if isinstance(kids, pypdf.generic.ArrayObject) else [kids]
    for kid in kids:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, int) or (isinstance(kid, dict) and _marks_content(kid)):
            return True
    return False


def footer_words(pdf: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """The words of the footer: from the top of its first word down (pdftotext boxes)."""
    found = [w for line in lines(pdf, page) for w in line]
    top = min(w[2] for w in found if w[0] in FOOTER_STARTS)
    return [w for w in found if (w[2] + w[4]) / 2 >= top]  # 11 pt numbers rise higher
