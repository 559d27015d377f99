"""The build's processes: a reader forked beside the renderer, jobs in parallel, one core.

Each test builds the real project (a copy): what matters here is what reaches out/ and the
terminal when work is spread over processes, and that no process outlives a build.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from clirun import cli
from pypdf import PdfReader

CARDS = ["desktop", "smartphone", "vpn", "webclient", "yealink"]
PRINT = ["print/cartes-bureau.pdf", "print/imprimeur/planche-sra3.pdf", "print/manuel-livret.pdf"]
OUTPUTS = [
    "manual.pdf",
    *PRINT,
    *(f"cards/{n}.pdf" for n in CARDS),
    *(f"print/imprimeur/{n}-fond-perdu.pdf" for n in CARDS),
]


def digests(out: Path) -> dict[str, str]:
    """Every PDF under out/ (the build's hidden steps aside), by relative path: its hash."""
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*.pdf"))
        if not p.relative_to(out).as_posix().startswith(".")
    }


def no_children_left() -> bool:
    """Every process the build forked has been waited for."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def pages(pdf: Path) -> list[tuple[float, float]]:
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in PdfReader(pdf).pages]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The project built three times from nothing, each time in a folder of its own (paths
    of other lengths and depths): in spawned interpreters, on one core, then on the cores
    there are."""
    import shutil

    from conftest import ROOT

    found = {}
    for cores, where in (("spawn", "a"), ("one", "b/un/autre/dossier"), ("all", "c/projet")):
        folder = tmp_path_factory.mktemp(cores) / where
        for name in ("content", "layouts", "assets"):
            shutil.copytree(ROOT / name, folder / name)
        shutil.copy(ROOT / "guideprint.toml", folder / "guideprint.toml")
        with pytest.MonkeyPatch.context() as mp:
            if cores == "one":
                mp.setattr(os, "cpu_count", lambda: 1)
            if cores == "spawn":  # workers without fork, as where there is none (Windows)
                from builder import workers

                mp.setattr(workers, "START", "spawn")
                mp.setattr("builder.build.START", "spawn")
            code, _, err = cli(["build"], folder)
        assert code == 0, err
        assert no_children_left()
        found[cores] = folder / "out"
    return found


def test_every_output_is_made(built: dict[str, Path]) -> None:
    assert sorted(digests(built["all"])) == sorted(OUTPUTS)


@pytest.mark.parametrize("other", ["one", "spawn"])
def test_one_core_and_spawned_workers_make_the_same_pdfs(
    built: dict[str, Path], other: str
) -> None:
    """The same PDFs, byte for byte, whether the jobs ran in forked processes, one by one,
    or in spawned interpreters (no fork needed), and whichever folder the project is in.
    Bytes: an emoji font cleaned by fontTools was stamped with the time of its save
    (builder.weasy._dated_as_read), and a picture's name in the PDF was the hash of its
    absolute path (builder.weasy._image_id); pages and text are compared to say where."""
    for key in OUTPUTS:
        parallel, alone = built["all"] / key, built[other] / key
        assert pages(parallel) == pages(alone), key
        text = [p.extract_text() for p in PdfReader(parallel).pages]
        assert text == [p.extract_text() for p in PdfReader(alone).pages], key
    assert digests(built["all"]) == digests(built[other])


def test_the_a5_step_stays_in_its_out_folder(built: dict[str, Path]) -> None:
    """Never in the shared cache: two builds into two out/ folders never mix their steps."""
    a5 = built["all"] / ".guideprint-steps" / "manuel-a5.pdf"
    assert all(round(w) == 420 and round(h) == 595 for w, h in pages(a5))
    assert not (built["all"] / "print" / "manuel-a5.pdf").exists()


def test_a_card_error_fails_that_card_and_its_sheets_only(
    built: dict[str, Path], tmp_path: Path
) -> None:
    """The reader process finds the mistake: the card and the sheets made of it are not
    written, and say so; the manual, stale too, is written; the report names each."""
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(built["all"].parent, folder, ignore=shutil.ignore_patterns(".guideprint-*"))
    before = digests(folder / "out")
    card = folder / "content" / "cards" / "vpn.md"
    card.write_text(card.read_text(encoding="utf-8").replace("title:", "titel:", 1))
    with (folder / "content" / "vpn.md").open("a", encoding="utf-8") as page:
        page.write("\nUne ligne de plus.\n")  # the manual and the booklet are stale too
    code, _, err = cli(["build"], folder)
    assert code == 1
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith("error: content/cards/vpn.md"), err
    assert "titel" in errors[0]
    assert sum("titel" in line and "failed" not in line for line in err.splitlines()) == 1
    after = digests(folder / "out")
    rewritten = {key for key in before if after[key] != before[key]}
    assert rewritten == {"manual.pdf", "print/manuel-livret.pdf"}
    failed = sorted(line.split(":")[0] for line in err.splitlines() if ": failed: " in line)
    assert failed == [
        "cards/vpn.pdf",
        "print/cartes-bureau.pdf",
        "print/imprimeur/planche-sra3.pdf",
        "print/imprimeur/vpn-fond-perdu.pdf",
    ]
    assert re.search(r"\b\d+ written, 0 up to date, 4 failed\b", err), err
    assert not list((folder / "out").rglob("*.part"))
    assert no_children_left()


def _laid_out_where(log: Path, kill: str = "") -> object:
    """A render_card that notes which process lays each card out (its name, its pid) in log;
    the card named kill kills the worker process that lays it out."""
    import signal

    from builder import cards

    original, parent = cards.render_card, os.getpid()

    def render_card(card: object, *args: object, **kwargs: object) -> object:
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{card.name} {os.getpid()}\n")  # type: ignore[attr-defined]
        if card.name == kill and os.getpid() != parent:  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGKILL)
        return original(card, *args, **kwargs)  # type: ignore[arg-type]

    return render_card


def _failed(err: str) -> list[str]:
    return sorted(line.split(":")[0] for line in err.splitlines() if ": failed: " in line)


def test_the_cards_are_laid_out_on_two_cores_and_one_that_does_not_fit_fails_alone(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every other card is laid out in a worker forked beside this process: a card there
    that does not fit fails with its reason, and so do the sheets made of it; the other
    cards are written, and the worker is waited for."""
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(built["all"].parent, folder, ignore=shutil.ignore_patterns(".guideprint-*"))
    before = digests(folder / "out")
    card = folder / "content" / "cards" / "webclient.md"
    card.write_text(card.read_text(encoding="utf-8") + "\n" + "Une phrase de trop. " * 400)
    log = tmp_path / "where"
    monkeypatch.setattr("builder.cards.render_card", _laid_out_where(log))
    code, _, err = cli(["build", "--force"], folder)
    assert code == 1
    assert "Traceback" not in err
    where = dict(line.split() for line in log.read_text(encoding="utf-8").splitlines())
    assert sorted(where) == CARDS
    here = str(os.getpid())
    assert sorted(n for n, pid in where.items() if pid != here) == CARDS[1::2]
    assert len(set(where.values())) == 2  # this process and one worker for all of its cards
    assert re.search(r"webclient.*does not fit on one page", err), err
    assert _failed(err) == [
        "cards/webclient.pdf",
        "print/cartes-bureau.pdf",
        "print/imprimeur/planche-sra3.pdf",
        "print/imprimeur/webclient-fond-perdu.pdf",
    ]
    after = digests(folder / "out")
    assert after["cards/webclient.pdf"] == before["cards/webclient.pdf"]  # kept, not half-made
    assert {k for k in after if k not in before} == set()
    assert no_children_left()


def test_a_card_worker_killed_fails_its_cards_and_the_others_are_written(
    built: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker laying out every other card dies (killed, out of memory): those cards and
    the sheets fail, naming the signal; the cards laid out here and the manual are written,
    no part file is left, and no process outlives the build."""
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(built["all"].parent, folder, ignore=shutil.ignore_patterns(".guideprint-*"))
    shutil.rmtree(folder / "out")
    monkeypatch.setattr("builder.cards.render_card",
                        _laid_out_where(tmp_path / "where", kill="smartphone"))  # fmt: skip
    code, _, err = cli(["build"], folder)
    assert code == 1
    assert "Traceback" not in err
    assert re.search(r"cards/smartphone\.pdf: failed: .*ended with signal 9", err), err
    assert _failed(err) == sorted(
        [*(f"cards/{n}.pdf" for n in CARDS[1::2]), "print/cartes-bureau.pdf",
         "print/imprimeur/planche-sra3.pdf",
         *(f"print/imprimeur/{n}-fond-perdu.pdf" for n in CARDS[1::2])]
    )  # fmt: skip
    written = set(digests(folder / "out"))
    assert written == {"manual.pdf", "print/manuel-livret.pdf",
                       *(f"cards/{n}.pdf" for n in CARDS[::2]),
                       *(f"print/imprimeur/{n}-fond-perdu.pdf" for n in CARDS[::2])}  # fmt: skip
    assert not list((folder / "out").rglob("*.part"))
    assert no_children_left()


# -- the worker processes themselves ------------------------------------------------------


def _bug() -> None:
    raise ValueError("a bug in a worker")


def test_a_worker_returns_its_result() -> None:
    from builder.workers import fork

    assert fork(lambda: {"made": ["manual.pdf"]})() == {"made": ["manual.pdf"]}
    assert no_children_left()


def test_a_workers_guide_error_comes_back_as_it_was() -> None:
    from builder.errors import ContentError
    from builder.workers import fork

    def job() -> None:
        raise ContentError("include cycle", file="a.md", line=3, hint="remove one")

    with pytest.raises(ContentError) as caught:
        fork(job)()
    assert str(caught.value) == "a.md:3: include cycle (remove one)"
    assert no_children_left()


def test_a_workers_bug_keeps_its_traceback_as_a_note() -> None:
    from builder.workers import fork

    with pytest.raises(ValueError, match="a bug in a worker") as caught:
        fork(_bug)()
    (note,) = caught.value.__notes__
    assert note.startswith("in a worker process:")
    assert "in _bug" in note
    assert no_children_left()


def test_a_killed_worker_is_an_error_naming_the_signal() -> None:
    import signal

    from builder.errors import RenderError
    from builder.workers import fork

    with pytest.raises(RenderError, match="ended with signal 9"):
        fork(lambda: os.kill(os.getpid(), signal.SIGKILL))()
    assert no_children_left()


def test_ctrl_c_stops_every_process_and_leaves_no_part_file(copy: Path) -> None:
    """As a terminal's Ctrl-C: SIGINT to the build's process group, halfway through."""
    import signal
    import subprocess
    import sys
    import time

    build = subprocess.Popen(
        [sys.executable, "-m", "builder", "build"],
        start_new_session=True,  # its own group, like a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(0.6)  # WeasyPrint loaded, pages read, renderers at work
    os.killpg(build.pid, signal.SIGINT)
    output, _ = build.communicate(timeout=30)
    assert build.returncode == 130, output
    assert output.strip() == "interrupted"
    deadline = time.monotonic() + 5
    while _group_alive(build.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_alive(build.pid)
    assert not list(copy.rglob("*.part"))
    assert not (copy / "out" / ".guideprint-ledger.json").exists()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
