"""--watch: what the poller sees, one rebuild per change, errors logged and watching on,
Ctrl-C exits 0; one real rebuild of one card in a copy of the project."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import build as build_mod
from builder.cli import main
from builder.diagnostics import Diagnostics
from builder.errors import RenderError
from builder.outputs import BuildRequest
from builder.project import Project, load_project
from builder.watch import Poller, watch, watched

ROOT = Path(__file__).resolve().parent.parent


def args(**given: Any) -> BuildRequest:
    """The request `guideprint build --watch` makes, with these values."""
    return BuildRequest(**given)


def script(*steps: Callable[[], None]) -> Callable[[], list[str]]:
    """A change source: each call runs the next step (an edit) and reports a change."""
    pending: Iterator[Callable[[], None]] = iter(steps)

    def changes() -> list[str]:
        next(pending)()
        return ["content/cards/vpn.md"]

    return changes


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[BuildRequest]:
    """Replace the build by a recorder (no rendering); return what it was called with."""
    calls: list[BuildRequest] = []

    def fake(project: Project, a: BuildRequest, diag: Diagnostics, **_: object) -> int:
        calls.append(a)
        return 0

    monkeypatch.setattr(build_mod, "build", fake)
    return calls


def test_poller_sees_added_changed_removed(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("a")
    (tmp_path / "b.md").write_text("b")
    poller = Poller([tmp_path], interval=0, settle=0)
    assert poller.changed() == []
    (tmp_path / "a.md").write_text("a, longer")
    (tmp_path / "b.md").unlink()
    (tmp_path / "c.md").write_text("c")
    assert [Path(p).name for p in poller.changed()] == ["a.md", "b.md", "c.md"]
    assert poller.changed() == []  # the last look is the new reference


def test_poller_ignores_outputs_and_editor_files(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    poller = Poller([tmp_path], skip=[tmp_path / "out"], interval=0, settle=0)
    (tmp_path / "out" / "manual.pdf").write_bytes(b"%PDF")
    (tmp_path / "page.md.swp").write_text("x")
    (tmp_path / ".#page.md").write_text("x")
    (tmp_path / "page.md~").write_text("x")
    assert poller.changed() == []


def test_poller_sees_same_size_edit(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text("a")
    poller = Poller([page], interval=0, settle=0)
    page.write_text("b")
    stat = page.stat()
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # coarse clocks
    assert poller.changed() == [str(page)]


def test_watched_covers_what_the_manifest_hashes(copy: Path) -> None:
    names = {p.name for p in watched(load_project(copy))}
    assert names == {"content", "layouts", "assets", "guideprint.toml"}


def test_one_build_then_one_per_change(copy: Path, builds: list[BuildRequest]) -> None:
    project = load_project(copy)
    code = watch(project, args(), Diagnostics(), changes=script(lambda: None), max_cycles=1)
    assert code == 0
    assert len(builds) == 2


def test_errors_are_one_line_and_watching_goes_on(
    copy: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes: list[BaseException | None] = [
        RenderError("card 'vpn' (front) does not fit", file="content/cards/vpn.md"),
        ValueError("a bug"),
        None,
    ]
    done: list[bool] = []

    def flaky(project: Project, a: BuildRequest, diag: Diagnostics, **_: object) -> int:
        error = outcomes.pop(0)
        if error is not None:
            raise error
        done.append(True)
        return 0

    monkeypatch.setattr(build_mod, "build", flaky)
    with caplog.at_level(logging.WARNING, logger="guideprint"):
        code = watch(
            load_project(copy), args(), Diagnostics(), changes=script(*[lambda: None] * 2),
            max_cycles=2,
        )  # fmt: skip
    assert code == 0
    assert done == [True]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0] == "content/cards/vpn.md: card 'vpn' (front) does not fit"
    assert "Traceback" in errors[1]  # a real bug keeps its traceback
    assert "ValueError: a bug" in errors[1]


def test_ctrl_c_exits_0_through_the_cli(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cycles: list[BuildRequest] = []

    def build(project: Project, a: BuildRequest, diag: Diagnostics, **_: object) -> int:
        cycles.append(a)
        return 0

    def interrupt(self: Poller) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "build", build)
    monkeypatch.setattr(Poller, "wait", interrupt)
    assert main(["build", "--watch", "--card", "vpn"]) == 0
    assert cycles == [BuildRequest(cards=("vpn",))]


def test_settings_changes_are_read_again(copy: Path) -> None:
    seen: list[str] = []

    def record(project: Project, a: BuildRequest, diag: Diagnostics, **_: object) -> int:
        seen.append(project.settings.title)
        return 0

    def retitle() -> None:
        toml = copy / "guideprint.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(text.replace('title = "', 'title = "Nouveau : ', 1), encoding="utf-8")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build_mod, "build", record)
        watch(load_project(copy), args(), Diagnostics(), changes=script(retitle), max_cycles=1,
              reload=lambda: load_project(copy))  # fmt: skip
    assert seen[1] == "Nouveau : " + seen[0]


def test_a_card_edit_rebuilds_that_card(copy: Path) -> None:
    """The real build: one card built, its Markdown edited, the card (only) rebuilt."""
    out = copy / "out"
    card = copy / "content" / "cards" / "vpn.md"
    stamps: list[int] = []

    def edit() -> None:
        stamps.append((out / "cards" / "vpn.pdf").stat().st_mtime_ns)
        card.write_text(card.read_text(encoding="utf-8") + "\n<!-- edited -->\n", "utf-8")

    project = load_project(copy)
    a = args(cards=("vpn",))
    assert watch(project, a, Diagnostics(), changes=script(edit), max_cycles=1) == 0
    assert (out / "cards" / "vpn.pdf").stat().st_mtime_ns > stamps[0]
    assert not (out / "manual.pdf").exists()


@pytest.mark.weasyprint_logs  # the CSS warning below, on purpose
def test_a_kept_renderer_says_and_sees_what_a_new_one_would(copy: Path) -> None:
    """One renderer for every build of the process: a stylesheet's warning is said by each
    build that lays the card out, and a file the stylesheet imports, edited, is read again."""
    from builder.gate import activate
    from builder.workers import KeptRenderer

    card, css = copy / "content" / "cards" / "vpn.md", copy / "layouts" / "cards" / "card.css"
    css.write_text('@import "extra.css";\n' + css.read_text(encoding="utf-8"), "utf-8")
    extra = css.with_name("extra.css")
    extra.write_text("main { colr: red; }\n", "utf-8")
    kept, said, renderers = KeptRenderer(), [], []

    def again(text: str) -> None:
        card.write_text(card.read_text(encoding="utf-8") + text, "utf-8")
        project, diag = load_project(copy), Diagnostics()
        with activate(project.gate):
            assert build_mod.build(project, args(cards=("vpn",)), diag, kept=kept) == 0
        said.append(" ".join(str(d) for d in diag.items if "colr" in str(d)))
        renderers.append(kept.renderer)

    try:
        again("")
        again("\n<!-- saved -->\n")  # the same stylesheet: the parse kept, its warning said
        extra.write_text("main { colour: red; }\n", "utf-8")  # card.css itself unchanged
        again("\n<!-- saved again -->\n")
    finally:
        kept.close()
    assert renderers[0] is not None
    assert renderers == [renderers[0]] * 3  # made once
    assert "colr" in said[0]
    assert said[1] == said[0]
    assert said[2] == ""  # the edit was seen: parsed again, another warning ("colour")


def test_a_font_a_stylesheet_loads_is_an_input_of_each_sheet_and_renews_a_kept_renderer(
    copy: Path,
) -> None:
    """WeasyPrint loads an @font-face once per renderer: a second sheet naming the same face
    still has the font among what it read, and a kept renderer whose font file changed is
    not kept (it would draw with the old font while the ledger records the new)."""
    from builder import fonts
    from builder.gate import activate
    from builder.workers import KeptRenderer, kept_renderer, new_renderer

    font = copy / "layouts" / "brand.ttf"
    noto = next(f for f in fonts.font_files() if f.name == "NotoSans-Regular.ttf")
    font.write_bytes(noto.read_bytes())
    face = "@font-face { font-family: Brand; src: url(brand.ttf); }\n"
    project = load_project(copy)
    kept = KeptRenderer()
    with activate(project.gate):
        renderer = new_renderer(project, args(), kept)
        try:
            with project.gate.recording() as first:
                renderer.stylesheet(face + "p { font-family: Brand; }", copy / "layouts")
            with project.gate.recording() as second:
                renderer.stylesheet(face + "h1 { font-family: Brand; }", copy / "layouts")
            assert str(font) in first
            assert str(font) in second
            assert renderer.fonts_unchanged()
            assert kept_renderer(project, args(), kept) is renderer  # kept while unchanged
            font.write_bytes(noto.read_bytes() + b"\0")  # another font file, same name
            assert not renderer.fonts_unchanged()
            assert kept_renderer(project, args(), kept) is None  # made again
        finally:
            kept.close()
