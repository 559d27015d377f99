"""WeasyPrint's C declarations parsed once per machine (builder.ffi_cache): the same PDF
from the cache as from cffi's own parse, and every odd cache file falls back to the parse."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

# A child process: import WeasyPrint through builder.weasy, say how its FFI was made and
# whether pycparser (cffi's C parser) ran, then draw French, Korean and an emoji to a PDF.
PROBE = """
import sys
import builder.weasy
import weasyprint
from weasyprint.text import ffi
print(type(ffi.ffi).__name__, "pycparser" in sys.modules)
html = '<p lang="fr" style="font-family: GP Sans">« Transférer » : 통화 전환 ☎ 123</p>'
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from conftest import render_pdf
from builder.diagnostics import Diagnostics
render_pdf(html, Path.cwd(), Path(sys.argv[1]), Diagnostics())
"""


def _probe(cache: Path, pdf: Path) -> tuple[str, bool, str]:
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    env["XDG_CACHE_HOME"] = str(cache)
    done = subprocess.run([sys.executable, "-c", PROBE, str(pdf), str(TESTS)], capture_output=True,
                          text=True, env=env, cwd=pdf.parent, check=True)  # fmt: skip
    kind, parsed = done.stdout.split()
    return kind, parsed == "True", done.stdout


def _cached(cache: Path) -> list[Path]:
    return sorted((cache / "guideprint").glob("weasyprint-ffi-*.marshal"))


def _page(pdf: Path, tmp: Path) -> tuple[str, bytes]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    png = tmp / f"{pdf.stem}"
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf), str(png)],
                   check=True)  # fmt: skip
    return text, png.with_suffix(".png").read_bytes()


def test_the_cache_gives_the_pdf_the_parse_gives(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    kind, parsed, out = _probe(cache, tmp_path / "parsed.pdf")
    assert (kind, parsed) == ("Recording", True)  # no cache yet: cffi parses, we keep it
    assert len(_cached(cache)) == 1
    assert out.count("\n") == 1  # cffi's emitter said nothing on stdout
    kind, parsed, _ = _probe(cache, tmp_path / "cached.pdf")
    assert (kind, parsed) == ("Declared", False)  # from the cache, pycparser never loaded
    parsed_page = _page(tmp_path / "parsed.pdf", tmp_path)
    assert "통화 전환" in parsed_page[0]
    assert "Transférer" in parsed_page[0]
    assert _page(tmp_path / "cached.pdf", tmp_path) == parsed_page


@pytest.mark.parametrize(
    "what", ["garbage", "other declarations", "truncated", "no ffi", "raises", "writable"]
)
def test_an_odd_cache_file_is_parsed_again_and_replaced(tmp_path: Path, what: str) -> None:
    cache = tmp_path / "cache"
    _probe(cache, tmp_path / "first.pdf")
    [file] = _cached(cache)
    sha, code = marshal.loads(file.read_bytes())
    if what == "garbage":
        file.write_bytes(b"\x00not marshal at all")
    elif what == "truncated":
        file.write_bytes(file.read_bytes()[:100])
    elif what == "writable":  # a file others could have written: its code is never run
        file.chmod(0o666)
    elif what == "no ffi":  # of the right shape, making nothing (the review's case)
        file.write_bytes(marshal.dumps((sha, compile("x = 1", "x", "exec"))))
    elif what == "raises":
        file.write_bytes(marshal.dumps((sha, compile("raise RuntimeError('x')", "x", "exec"))))
    else:  # what another WeasyPrint would have declared: its hash is not this one's
        file.write_bytes(marshal.dumps(("0" * 64, code)))
    kind, parsed, _ = _probe(cache, tmp_path / "again.pdf")
    assert (kind, parsed) == ("Recording", True)
    assert marshal.loads(file.read_bytes())[0] == sha  # written anew, whole
    assert _page(tmp_path / "again.pdf", tmp_path) == _page(tmp_path / "first.pdf", tmp_path)
    assert _probe(cache, tmp_path / "third.pdf")[:2] == ("Declared", False)


def test_no_writable_cache_folder_costs_a_parse_and_nothing_else(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("XDG_CACHE_HOME is a file here", encoding="utf-8")
    for name in ("one.pdf", "two.pdf"):
        kind, parsed, _ = _probe(blocked, tmp_path / name)
        assert (kind, parsed) == ("Recording", True)
    assert _page(tmp_path / "one.pdf", tmp_path)[0] == _page(tmp_path / "two.pdf", tmp_path)[0]


# The libraries' objects dropped before what they made, as clearing modules at exit may do,
# then the last collection: every Pango and HarfBuzz object is freed by its own library.
LATE = """
import gc, sys
import builder.weasy
import weasyprint
from weasyprint.text import ffi, fonts, line_break
from weasyprint.text.fonts import FontConfiguration
print(type(ffi.ffi).__name__)
gc.disable()
kept = [weasyprint.HTML(string="<p>« Bonjour » ☎</p>" * 20).render(font_config=FontConfiguration())]
for module in (ffi, fonts, line_break):
    for name in ("gobject", "pango", "harfbuzz", "fontconfig", "pangoft2", "harfbuzz_subset"):
        if hasattr(module, name):
            setattr(module, name, None)
gc.collect()
kept.clear()
gc.collect()
"""


def test_objects_freed_after_their_libraries_do_not_crash_the_process(tmp_path: Path) -> None:
    """A full test run ended in a segfault at exit (exit 139) with the cache's FFI: its
    library objects closed their libraries when freed, before the objects those made."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_CACHE_HOME"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    for kind in ("Recording", "Declared"):  # made, then from the cache
        done = subprocess.run([sys.executable, "-c", LATE], capture_output=True, text=True,
                              env=env, cwd=tmp_path)  # fmt: skip
        assert (done.returncode, done.stdout.strip()) == (0, kind), done.stderr[-2000:]
