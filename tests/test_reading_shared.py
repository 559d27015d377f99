"""A large space's pages rendered on two cores (builder.workers.shared, from
builder.manual.job.read_spaces): the same pages, the same messages in the same order, and
the same record of what was read, as on one core. A page of the second half is rendered in
a forked process: what it found missing must still make the manual stale once it appears."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from clirun import cli
from conftest import project

import builder.machine
import builder.workers
from builder.manual import job

PAGES = 44


def big_space(folder: Path) -> Path:
    """PAGES pages; the 3rd and the 40th show a picture that is not there, the 30th links
    to a page that is not there."""
    root = project(folder, 'title = "Guide"\n')
    content = root / "content"
    names = [f"page{n:02d}.md" for n in range(1, PAGES + 1)]
    summary = ["# Table of contents", "", "* [Accueil](README.md)"]
    summary += [f"* [Page {n}]({name})" for n, name in enumerate(names, 1)]
    (content / "SUMMARY.md").write_text("\n".join(summary) + "\n", encoding="utf-8")
    for n, name in enumerate(names, 1):
        body = [f"# Page {n}", "", f"Le texte de la page {n} : on décroche, on parle."]
        if n in (3, 40):
            body += ["", f"![Écran {n}](absent{n}.png)"]
        if n == 30:
            body += ["", "Voir [la page perdue](perdue.md)."]
        (content / name).write_text("\n".join(body) + "\n", encoding="utf-8")
    return root


def said(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(("warning", "error"))]


def test_a_large_space_read_on_two_cores_is_read_as_on_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert PAGES >= job.SHARED_PAGES
    assert builder.machine.cores() >= 2  # this test needs two: it says so, never skips
    halves = tmp_path / "halves"  # the reader is a forked process: counted in a file
    real = builder.workers.shared

    def counted(*args: Any, **kwargs: Any) -> list[Any]:
        found = real(*args, **kwargs)
        with open(halves, "a", encoding="utf-8") as f:
            f.write(f"{len(found)}\n")
        return found

    monkeypatch.setattr(builder.workers, "shared", counted)
    two = big_space(tmp_path / "two")
    code, _, err_two = cli(["build", "--manual"], two)
    assert code == 0, err_two
    assert halves.read_text(encoding="utf-8").split() == ["2"]  # in two halves, one forked
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})  # one core
    one = big_space(tmp_path / "one")
    code, _, err_one = cli(["build", "--manual"], one)
    assert code == 0, err_one
    assert halves.read_text(encoding="utf-8").split() == ["2", "1"]  # all of them here
    assert said(err_two) == said(err_one)
    assert any("absent40.png" in line for line in said(err_two)), err_two
    assert any("perdue.md" in line for line in said(err_two)), err_two
    pdf = (two / "out" / "manual.pdf").read_bytes()
    assert pdf == (one / "out" / "manual.pdf").read_bytes()
    # The 40th page was read in the forked half: the picture it missed, once there, makes
    # the manual stale (the ledger recorded its absence).
    monkeypatch.undo()
    code, out, err = cli(["build", "--manual"], two)
    assert code == 0, err
    assert "up to date" in out + err, out + err
    assert "1 written" not in out + err, out + err
    from PIL import Image

    Image.new("RGB", (40, 30), (0, 90, 200)).save(two / "content" / "absent40.png")
    code, out, err = cli(["build", "--manual"], two)
    assert code == 0, err
    assert "1 written" in out + err, out + err
    assert not any("absent40.png" in line for line in said(err)), err
