"""builder.deferred: fontTools' subsetter and instancer, which WeasyPrint imports at its start
and seldom calls, loaded at their first use; the PDF is the same."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent

PROBE = """
import sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
import builder.weasy
import weasyprint.pdf.fonts as fonts
from conftest import render_pdf
from builder.diagnostics import Diagnostics

def loaded():
    return sorted(m for m in ("fontTools.varLib", "fontTools.subset.cff") if m in sys.modules)

print("start", loaded(), sys.modules.get("fontTools.varLib.instancer"))
html = '<p lang="fr" style="font-family: GP Sans">« Transférer » : <b>gras</b> ☎ 🔒 통화</p>'
render_pdf(html, Path.cwd(), Path(sys.argv[1]), Diagnostics())
print("drawn", loaded())
options = fonts.subset.Options()  # the lazy module runs at its first name
print("subset", type(fonts.subset).__name__, hasattr(options, "layout_features"))
try:
    fonts.instantiateVariableFont(None, {})  # not a font: the real function says so
except Exception as exc:
    print("instancer", type(exc).__name__, sys.modules["fontTools.varLib.instancer"].__file__)
"""


def test_the_two_load_when_used_and_not_before(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "d.pdf"), str(TESTS)],
                          capture_output=True, text=True, cwd=tmp_path, check=True)  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[0] == "start [] None"  # neither loaded by the import, no stand-in left
    assert lines[1] == "drawn []"  # a page drawn and written: HarfBuzz subsets, no instancer
    assert lines[2] == "subset module True"  # loaded when asked, a module as any other
    assert lines[3].startswith("instancer TypeError ")  # raised inside the real module
    assert lines[3].endswith("fontTools/varLib/instancer/__init__.py")
    text = subprocess.run(["pdftotext", str(tmp_path / "d.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert "Transférer" in text
    assert "통화" in text
