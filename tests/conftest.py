"""Fixtures shared by every test module; keep them generic."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from builder import build as build_mod
from builder.cli import main
from builder.diagnostics import Diagnostics
from builder.outputs import JobContext, Made, Output, Read

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def assert_no_weasyprint_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test on any warning WeasyPrint logs (WeasyPrint's own `assert_no_logs`).

    Our renderer turns them into diagnostics, which the tests check; one the test does not
    expect is a defect. A test that provokes them on purpose says so with
    `@pytest.mark.weasyprint_logs`. Forked workers log in their own process: this sees the
    renderer's work done here (cards, sheets, the single-core path).
    """
    handler = _Records()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.records and not request.node.get_closest_marker("weasyprint_logs"):
        messages = "; ".join(r.getMessage()[:160] for r in handler.records[:3])
        pytest.fail(f"{len(handler.records)} unexpected WeasyPrint warning(s): {messages}",
                    pytrace=False)  # fmt: skip


@pytest.fixture
def diag() -> Diagnostics:
    """A fresh collector of warnings and errors."""
    return Diagnostics()


@pytest.fixture
def make_space(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write a small space from {relative path: text or bytes} and return its root."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "space"
        write_files(root, files)
        return root

    return make


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write {relative path: text (UTF-8) or bytes} under root, folders made as needed."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def require_shared(path: Path) -> Path:
    """A file of ../shared (the seed, the corpus): its absence fails the test, never skips it.

    CI clones the repository beside shared/; a checkout without it is not the one tested.
    """
    if not path.exists():
        pytest.fail(f"{path} is missing: clone the repository beside its shared/ folder",
                    pytrace=False)  # fmt: skip
    return path


def one_error(err: str) -> str:
    """The only line of err: an `error: ...` line, no traceback."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


def render_pdf(html: str, folder: Path, target: Path, diag: Diagnostics) -> Path:
    """html laid out and written by the build's Renderer (fonts of the set, folder the only
    root, URLs relative to it) into target; what it said is in diag."""
    from builder.pdf import Metadata, Renderer

    renderer = Renderer([folder], diag)
    try:
        document = renderer.render(html, folder, [], source="test")
        renderer.write(document, target, Metadata(title="t"))
    finally:
        renderer.close()
    return target


def space(folder: Path, body: str = "Bonjour.") -> Path:
    """A one-page GitBook space in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SUMMARY.md").write_text("# Table of contents\n\n* [Guide](README.md)\n")
    (folder / "README.md").write_text(f"# Guide\n\n{body}\n", encoding="utf-8")
    return folder


def project(folder: Path, toml: str) -> Path:
    """A project folder: guideprint.toml and a content/ space."""
    space(folder / "content")
    (folder / "guideprint.toml").write_text(toml, encoding="utf-8")
    return folder


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project (content, layouts, assets, settings), the working folder."""
    for name in ("content", "layouts", "assets"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "guideprint.toml", tmp_path / "guideprint.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


Build = Callable[..., set[str]]


@pytest.fixture(name="build")
def stand_in_build(copy: Path, monkeypatch: pytest.MonkeyPatch) -> Build:
    """`guideprint build -q [ARGS]` in the copy with a stand-in renderer (reading real,
    rendering faked: each output a stub PDF); return the outputs it was asked for."""
    asked: list[set[str]] = []

    def render(
        todo: list[Output], reads: dict[str, Read], ctx: JobContext, **_: object
    ) -> list[Made]:
        asked.append({o.key for o in todo})
        for o in todo:
            target = ctx.out / o.key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"%PDF-1.7 stand-in")
        return [Made(o.key) for o in todo]

    monkeypatch.setattr(build_mod, "_render", render)

    def run(*args: str) -> set[str]:
        asked.clear()
        assert main(["build", "-q", *args]) == 0
        return asked[0] if asked else set()

    return run
