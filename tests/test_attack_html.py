"""Markup attacks the hostile fixtures of test_safety.py and test_gate.py do not try: XML
entities in an SVG of the space (external, and an entity bomb), an SVG that reaches out by
<use>, by its own <style>, by XInclude, an SVG inside a data: URL that reaches out, <base> to
re-root relative URLs, rel="attachment" links (WeasyPrint embeds the file they name).

One build of the manual under tests/audit_driver.py's audit hook: not one file of the secret
folder opened or listed, no trace of it in the PDF (its text, its picture, an attachment),
and the build bounded in time.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import project, write_files
from PIL import Image
from pypdf import PdfReader

MARKER = "SECRETMARKERHTML"
SECRET_SIZE = (7, 3)  # no picture of the space has it


def png(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    return buf.getvalue()


def svg(body: str, head: str = "") -> str:
    return (
        f'<?xml version="1.0"?>\n{head}'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:xi="http://www.w3.org/2001/XInclude" width="60" height="20" viewBox="0 0 60 20">'
        f"{body}</svg>\n"
    )


LAUGHS = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))


def assets(secret: Path) -> dict[str, str]:
    """SVG files of the space, each reaching the secret one way."""
    uri = secret.as_uri()
    return {
        "xxe.svg": svg(
            "<text y='15'>&x;</text>",
            f'<!DOCTYPE svg [<!ENTITY x SYSTEM "{uri}/secret.txt">]>\n',
        ),
        "param.svg": svg(
            "<text y='15'>ok</text>",
            f'<!DOCTYPE svg [<!ENTITY % p SYSTEM "{uri}/secret.dtd"> %p;]>\n',
        ),
        "laughs.svg": svg(
            "<text y='15'>&l9;</text>", f'<!DOCTYPE svg [<!ENTITY l0 "ha">{LAUGHS}]>\n'
        ),
        "use.svg": svg(f'<use href="{uri}/secret.svg#s"/><use xlink:href="{uri}/secret.svg#s"/>'),
        "style.svg": svg(
            f'<style>@import url("{uri}/secret.css"); rect {{ fill: url({uri}/secret.svg#g) }}'
            "</style><rect width='10' height='10'/>"
        ),
        "xinclude.svg": svg(f'<xi:include href="{uri}/secret.txt" parse="text"/>'),
        "feimage.svg": svg(
            f'<filter id="f"><feImage href="{uri}/secret.png"/></filter>'
            "<rect width='10' height='10' filter='url(#f)'/>"
        ),
    }


def page(secret: Path) -> str:
    uri = secret.as_uri()
    nested = svg(f'<image href="{uri}/secret.png" width="7" height="3"/>').encode()
    data = "data:image/svg+xml;base64," + base64.b64encode(nested).decode()
    lines = [f"![{name}](.gitbook/assets/{name})" for name in assets(secret)]
    lines += [
        f'<img src="{data}" alt="svg en data">',
        f'<base href="{uri}/">',
        '<img src="secret.png" alt="relative to base">',
        f'<a rel="attachment" href="{uri}/secret.txt">pièce jointe</a>',
        '<a rel="attachment" href="README.md">pièce jointe du space</a>',
        f'<svg width="20" height="20"><use href="{uri}/secret.svg#s"/></svg>',
        f'<p style="background:url(&#x66;ile://{secret}/secret.png)">entité</p>',
        f'<img src="fi&#x6c;e://{secret}/secret.png" alt="entité">',
    ]
    return "# Guide\n\n" + "\n\n".join(lines) + "\n\nFin.\n"


DRIVER = Path(__file__).parent / "audit_driver.py"


@dataclass(frozen=True)
class Built:
    code: int
    err: str
    seconds: float
    pdf: Path
    touched: list[str]  # log lines of the audit hook naming the secret folder
    logged: str  # the whole log


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("html")
    secret = base / "secret"
    secret.mkdir()
    (secret / "secret.txt").write_text(MARKER)
    (secret / "secret.dtd").write_text(f'<!ENTITY leak "{MARKER}">')
    (secret / "secret.css").write_text(f"text::before {{ content: '{MARKER}' }}")
    (secret / "secret.svg").write_text(
        svg(f"<g id='s'><text y='15'>{MARKER}</text></g>"
            "<linearGradient id='g'><stop offset='0' stop-color='red'/></linearGradient>")
    )  # fmt: skip
    (secret / "secret.png").write_bytes(png(SECRET_SIZE, (10, 200, 10)))
    folder = project(base / "p", 'title = "T"\n')
    write_files(folder / "content" / ".gitbook" / "assets", assets(secret))
    (folder / "content" / "README.md").write_text(page(secret), encoding="utf-8")
    plan, log = base / "plan.json", base / "audit.log"
    plan.write_text(json.dumps({"steps": [{"cwd": str(folder), "argv": ["build", "--manual"]}]}))
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(plan), str(log)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])[0]
    logged = log.read_text()
    touched = [line for line in logged.splitlines() if str(secret) in line]
    return Built(result["code"], result["stderr"], result["seconds"],
                 folder / "out" / "manual.pdf", touched, logged)  # fmt: skip


def test_nothing_of_the_secret_folder_is_opened(built: Built) -> None:
    assert "assets/xxe.svg" in built.logged  # the hook saw the build read the space
    assert built.touched == []


@pytest.mark.weasyprint_logs  # refused resources, on purpose
def test_the_build_finishes_in_bounded_time(built: Built) -> None:
    assert built.code == 0, built.err
    assert built.seconds < 60, built.seconds
    assert "Traceback" not in built.err


def test_no_secret_text_in_the_pdf(built: Built) -> None:
    text = subprocess.run(
        ["pdftotext", str(built.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Fin." in text
    assert MARKER not in text
    assert MARKER.encode() not in built.pdf.read_bytes()  # nor in a stream left uncompressed


def test_no_secret_picture_in_the_pdf(built: Built) -> None:
    sizes = [im.image.size for p in PdfReader(built.pdf).pages for im in p.images]
    assert SECRET_SIZE not in sizes, sizes


def test_no_file_attached(built: Built) -> None:
    """rel="attachment" would embed the file it names: the sanitiser drops rel, so nothing,
    not even a file of the space, is attached."""
    assert dict(PdfReader(built.pdf).attachments) == {}


def test_each_outside_reference_is_reported(built: Built) -> None:
    """The refusals are said, each naming the page (no silent drop of <base>)."""
    assert "<base> removed" in built.err, built.err
    assert "file outside the project refused" in built.err, built.err


def test_an_svg_that_cannot_be_parsed_is_said_with_its_reason(built: Built) -> None:
    """An external entity, a parameter entity and an entity bomb: each SVG is reported by
    the reader with the parser's reason and line (before the fix: the renderer's "Failed to
    load image at '…': " with no reason), and printed as a missing image."""
    for name, why in (
        ("xxe.svg", "undefined entity &x;: line 3"),
        ("laughs.svg", "amplification"),
    ):
        line = [ln for ln in built.err.splitlines() if f"assets/{name}" in ln]
        assert len(line) == 1, built.err
        assert f"image .gitbook/assets/{name} is not a valid SVG file (" in line[0], line
        assert why in line[0], line
    assert "Failed to load image" not in built.err, built.err
