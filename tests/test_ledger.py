"""What is stale: the ledger of what each output was really made from decides, per output,
in a copy of the project.

The staleness tests replace the rendering by a stand-in that only writes the outputs (the
reading, which records the inputs, is real), so they run fast; others build for real and
check that a no-op build writes nothing and does not even import WeasyPrint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Build

import builder
from builder import build as build_mod
from builder.cli import main
from builder.gate import Gate
from builder.ledger import LEDGER, RACY_NS, Ledger
from builder.outputs import JobContext, Made, Output, Read

ROOT = Path(__file__).resolve().parent.parent
TREE = Path(builder.__file__).resolve().parent.parent
CARDS = ["desktop", "smartphone", "vpn", "webclient", "yealink"]
SHEETS, BOOKLET = "print/cartes-bureau.pdf", "print/manuel-livret.pdf"
SRA3 = "print/imprimeur/planche-sra3.pdf"


def card(name: str) -> set[str]:
    """A card's outputs in a build with sheets: the card and its print-shop file."""
    return {f"cards/{name}.pdf", f"print/imprimeur/{name}-fond-perdu.pdf"}


ALL_CARDS = {key for name in CARDS for key in card(name)}
EVERYTHING = {"manual.pdf", SHEETS, SRA3, BOOKLET, *ALL_CARDS}


def edit(path: Path, text: str = "\n<!-- edited -->\n") -> None:
    """Append to a file, as a save in an editor does."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_first_build_makes_everything_then_nothing(build: Build) -> None:
    assert build() == EVERYTHING
    assert build() == set()


def test_force_rebuilds_everything(build: Build) -> None:
    build()
    assert build("--force") == EVERYTHING


def test_one_card_changed_makes_that_card_and_the_sheets_stale(build: Build, copy: Path) -> None:
    build()
    edit(copy / "content" / "cards" / "desktop.md")
    assert build() == {*card("desktop"), SHEETS, SRA3}


def test_a_page_a_card_includes_makes_both_stale(build: Build, copy: Path) -> None:
    build()
    edit(copy / "content" / "client-web.md")  # included by the webclient and yealink cards
    assert build() == {"manual.pdf", *card("webclient"), *card("yealink"), SHEETS, SRA3, BOOKLET}


def test_a_page_no_card_includes_makes_the_manual_and_its_booklet_stale(
    build: Build, copy: Path
) -> None:
    build()
    edit(copy / "content" / "smartphone.md")
    assert build() == {"manual.pdf", BOOKLET}


@pytest.mark.parametrize(
    ("layout", "stale"),
    [
        ("manual/manual.css", {"manual.pdf", BOOKLET}),
        ("cards/card.css", {*ALL_CARDS, SHEETS, SRA3}),
    ],
)
def test_a_layout_makes_its_outputs_stale(
    build: Build, copy: Path, layout: str, stale: set[str]
) -> None:
    build()
    edit(copy / "layouts" / layout, "\n/* edited */\n")
    assert build() == stale


def test_the_settings_make_everything_stale(build: Build, copy: Path) -> None:
    build()
    edit(copy / "guideprint.toml", "\n# edited\n")
    assert build() == EVERYTHING


def test_the_logo_makes_what_prints_it_stale(build: Build, copy: Path) -> None:
    """Not a guess over assets/: what was read. The cover and every card print the logo."""
    build()
    edit(copy / "assets" / "logo.svg", "\n<!-- edited -->\n")
    assert build() == EVERYTHING


def test_a_card_without_the_logo_does_not_depend_on_it(build: Build, copy: Path) -> None:
    vpn = copy / "content" / "cards" / "vpn.md"
    vpn.write_text(vpn.read_text(encoding="utf-8").replace("---\n", "---\nlogo: false\n", 1))
    build()
    edit(copy / "assets" / "logo.svg", "\n<!-- edited -->\n")
    assert not card("vpn") & build()


def test_a_new_card_is_built_and_the_sheets_again(build: Build, copy: Path) -> None:
    build()
    cards = copy / "content" / "cards"
    shutil.copy(cards / "desktop.md", cards / "desktop2.md")
    assert build() == {*card("desktop2"), SHEETS, SRA3}


@pytest.mark.parametrize(
    "output", ["manual.pdf", "cards/vpn.pdf", "print/imprimeur/vpn-fond-perdu.pdf"]
)
def test_a_deleted_output_is_stale(build: Build, copy: Path, output: str) -> None:
    build()
    (copy / "out" / output).unlink()
    # The sheets are imposed from the print-shop files: one laid out again, they are too.
    sheets = {SHEETS, SRA3} if "fond-perdu" in output else set()
    assert build() == {output, *sheets}


def test_a_changed_option_makes_its_outputs_stale(build: Build) -> None:
    build("--card", "vpn")
    assert build("--card", "vpn") == set()
    assert build("--card", "vpn", "--allow-remote") == {"cards/vpn.pdf"}


def test_only_what_was_asked_is_checked(build: Build, copy: Path) -> None:
    build()
    edit(copy / "content" / "cards" / "desktop.md")
    assert build("--card", "vpn") == set()  # desktop is stale, but not asked for
    assert build("--card", "desktop") == {"cards/desktop.pdf"}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """mtime and size of every file under folder."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file()
    }


def noop_in_a_fresh_process(copy: Path, *args: str) -> None:
    """Build for real, then again in a new process: nothing written, WeasyPrint not imported."""
    assert main(["build", "-q", *args]) == 0
    out = copy / "out"
    assert (out / LEDGER).is_file()
    before = snapshot(out)
    code = (
        "import sys; from builder.cli import main; "
        f"code = main(['build', *{list(args)!r}]); print(code, 'weasyprint' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(TREE)  # the builder this test imported, not another checkout
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=copy, capture_output=True, text=True, env=env, check=True
    )
    assert "up to date" in done.stderr, done.stderr
    assert done.stdout.split() == ["0", "False"], done.stderr
    after = snapshot(out)
    # Only the ledger may have been written again: the files hashed, settled (Ledger.settle).
    assert {k: v for k, v in after.items() if k != LEDGER} == {
        k: v for k, v in before.items() if k != LEDGER
    }
    assert set(after) == set(before)


def test_noop_build_of_the_manual_and_a_card(copy: Path) -> None:
    noop_in_a_fresh_process(copy, "--manual", "--card", "vpn")


def test_noop_build_of_everything(copy: Path) -> None:
    noop_in_a_fresh_process(copy)


def test_a_noop_build_takes_no_lock_and_reads_no_settings(copy: Path) -> None:
    """Looking writes nothing: another build holding out/ does not stop a no-op (it stops a
    build that writes), and guideprint.toml is checked by the ledger, not loaded again."""
    from builder.output import build_lock

    assert main(["build", "-q", "--card", "vpn"]) == 0
    code = (
        "import sys; from builder.cli import main; code = main(['build', '--card', 'vpn']); "
        "print(code, 'builder.config' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(TREE)
    with build_lock(copy / "out"):
        done = subprocess.run([sys.executable, "-c", code], cwd=copy, capture_output=True,
                              text=True, env=env, check=True)  # fmt: skip
    assert "1 up to date" in done.stderr, done.stderr
    assert done.stdout.split() == ["0", "False"], done.stderr


def test_copies_of_a_card_do_not_make_the_booklet(build: Build) -> None:
    assert build("--card", "vpn", "--copies", "2") == {"cards/vpn.pdf", "print/vpn-x2.pdf"}


def test_a_space_without_cards_still_gets_its_booklet(build: Build, copy: Path) -> None:
    shutil.rmtree(copy / "content" / "cards")
    assert build() == {"manual.pdf", BOOKLET}
    assert build("--sheets") == set()  # the booklet is the only print sheet, and it is fresh


# -- the ledger, not a guess: each example of the build issue ------------------------------


def test_an_include_at_any_depth_makes_the_card_stale(build: Build, copy: Path) -> None:
    """vpn card -> vpn.md -> a file vpn.md includes: editing the innermost one is seen."""
    content = copy / "content"
    (content / ".gitbook" / "includes").mkdir(parents=True, exist_ok=True)
    inner = content / ".gitbook" / "includes" / "rappel.md"
    inner.write_text("Pensez à vous déconnecter.\n", encoding="utf-8")
    edit(content / "vpn.md", '\n{% include ".gitbook/includes/rappel.md" %}\n')
    build()
    edit(inner, "\nEt à redémarrer.\n")
    assert {"cards/vpn.pdf", "manual.pdf"} <= build()


def test_an_emptied_output_is_stale(build: Build, copy: Path) -> None:
    build()
    (copy / "out" / "manual.pdf").write_bytes(b"")  # `: > out/manual.pdf`
    assert build() == {"manual.pdf"}


def test_an_output_changed_by_hand_is_stale(build: Build, copy: Path) -> None:
    build()
    target = copy / "out" / "cards" / "vpn.pdf"
    stat = target.stat()
    target.write_bytes(b"%PDF-1.7 stand-iN")  # same size, same mtime: the hash tells
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert build() == {"cards/vpn.pdf"}


def test_warnings_are_replayed_and_strict_fails_on_them(copy: Path) -> None:
    """An up-to-date output says again what its build said; --strict fails on it."""
    from clirun import cli

    edit(copy / "content" / "vpn.md", "\n![plan](.gitbook/assets/absent.png)\n")
    code, _, first = cli(["build", "--card", "vpn"], copy)
    assert code == 0, first
    warning = [line for line in first.splitlines() if "absent.png" in line]
    assert warning, first
    code, _, again = cli(["build", "--card", "vpn"], copy)
    assert code == 0
    assert "1 up to date" in again
    assert [line for line in again.splitlines() if "absent.png" in line] == warning
    code, _, strict = cli(["build", "--card", "vpn", "--strict"], copy)
    assert code == 1
    assert "warnings are fatal with --strict" in strict


def test_a_page_saved_during_the_build_leaves_the_output_stale(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inputs are checked again after rendering: a save mid-build is not recorded fresh."""
    page = copy / "content" / "vpn.md"

    def render(todo: list[Output], reads: dict[str, Read], ctx: JobContext, **_: object
               ) -> list[Made]:  # fmt: skip
        edit(page, "\nSauvé pendant la construction.\n")  # the writer saves meanwhile
        for o in todo:
            (ctx.out / o.key).parent.mkdir(parents=True, exist_ok=True)
            (ctx.out / o.key).write_bytes(b"%PDF-1.7 stand-in")
        return [Made(o.key) for o in todo]

    monkeypatch.setattr(build_mod, "_render", render)
    from clirun import cli

    code, _, err = cli(["build", "--card", "vpn"], copy)
    assert code == 0
    assert "changed while the build read it" in err, err
    code, _, err = cli(["build", "--card", "vpn"], copy)
    assert "1 written" in err, err  # stale: built again


def test_a_ledger_of_the_wrong_shape_means_rebuild(build: Build, copy: Path) -> None:
    from builder.ledger import LEDGER

    build()
    ledger = copy / "out" / LEDGER
    text = ledger.read_text(encoding="utf-8")
    ledger.write_text(text.replace('"options": "manual', '"options": null, "x": "', 1))
    assert "manual.pdf" in build()
    ledger.write_text('{"version": 2, "tool": null, "outputs": {"manual.pdf": 3}}')
    assert build() == EVERYTHING


def test_an_interrupt_caught_by_a_library_writes_nothing(tmp_path: Path) -> None:
    """WeasyPrint catches a Ctrl-C while drawing an SVG and goes on: nothing is put in place."""
    from builder import output

    target = tmp_path / "card.pdf"
    target.write_bytes(b"old")
    try:
        output._interrupted = True
        with pytest.raises(KeyboardInterrupt), output.atomic_path(target) as tmp:
            tmp.write_bytes(b"half a card, its QR code missing")
    finally:
        output._interrupted = False
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_a_font_of_the_set_changed_makes_everything_stale(build: Build, copy: Path) -> None:
    """Checked by stat against what the last build recorded (no fontconfig on a no-op)."""
    import json

    from builder.ledger import LEDGER

    build()
    ledger = copy / "out" / LEDGER
    data = json.loads(ledger.read_text(encoding="utf-8"))
    assert data["fonts"], "the font set is recorded"
    first = sorted(data["fonts"])[0]
    data["fonts"][first][0] += 1  # as a package upgrade replacing the file would
    ledger.write_text(json.dumps(data), encoding="utf-8")
    assert build() == EVERYTHING


def _age(folder: Path, seconds: float) -> None:
    """Every file under folder made older, as time passing would (contents untouched)."""
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            mtime = p.stat().st_mtime_ns - int(seconds * 1e9)
            os.utime(p, ns=(mtime, mtime))


def test_a_noop_settles_what_it_hashed_then_hashes_nothing(
    build: Build, copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's index refresh: files modified near their reading (or touched, unchanged) are
    hashed by the next no-op, which records their stat; the one after reads no file."""
    hashed: list[str] = []
    digest = Gate.digest

    def counting(self: Gate, path: Path | str, *, what: str = "file") -> str:
        hashed.append(str(path))
        return digest(self, path, what=what)

    monkeypatch.setattr(Gate, "digest", counting)
    assert build() == EVERYTHING
    _age(copy, 2 * RACY_NS / 1e9)  # the build's outputs and inputs, seconds ago now
    assert build() == set()
    assert any(p.endswith("manual.pdf") for p in hashed)  # mtimes moved: checked by hash
    ledger = (copy / "out" / LEDGER).read_bytes()
    hashed.clear()
    assert build() == set()
    assert hashed == []  # settled: trusted by their stat
    assert (copy / "out" / LEDGER).read_bytes() == ledger  # and nothing written
    # Still seen: a change of content, of size or of mtime.
    edit(copy / "content" / "cards" / "vpn.md")
    assert build() == card("vpn") | {SHEETS, SRA3}
    (copy / "out" / "manual.pdf").write_bytes(b"%PDF-1.7 stand-iN")  # same size, new mtime
    assert build() == {"manual.pdf"}


def test_a_noop_does_not_settle_while_another_build_writes(build: Build, copy: Path) -> None:
    from filelock import FileLock

    build()
    _age(copy, 2 * RACY_NS / 1e9)
    ledger = (copy / "out" / LEDGER).read_bytes()
    with FileLock(copy / "out" / ".guideprint.lock", timeout=0):
        assert build() == set()  # up to date all the same, and not told "another build"
    assert (copy / "out" / LEDGER).read_bytes() == ledger
    assert Ledger.load(copy / "out").entries  # still a ledger of the outputs
