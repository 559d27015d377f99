"""Fixtures shared by every test module; keep them generic."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.diagnostics import Diagnostics

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def diag() -> Diagnostics:
    """A fresh collector of warnings and errors."""
    return Diagnostics()


@pytest.fixture
def make_space(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write a small space from {relative path: text or bytes} and return its root."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "space"
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project (content, layouts, assets, settings), the working folder."""
    for name in ("content", "layouts", "assets"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "guideprint.toml", tmp_path / "guideprint.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path
