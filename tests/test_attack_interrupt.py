"""A build stopped at every stage, as real processes: Ctrl-C to the terminal's group at several
moments, and SIGTERM/SIGHUP to the main process alone (`kill PID`, a closed terminal), after a
page was edited. Whatever the moment: every PDF left in out/ is whole, no process is left,
and the next build makes every output the edit touched (none is recorded fresh with the old
text).

Not repeated here: test_build.py's Ctrl-C at one moment of a first build (no ledger yet) and
test_ledger.py's interrupt caught by a library.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = "Saisissez", "Renseignez"  # a word of content/vpn.md, shown on the VPN card


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "builder", "build", *args],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built once, everything."""
    folder = tmp_path_factory.mktemp("built")
    for name in ("content", "layouts", "assets"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "guideprint.toml", folder / "guideprint.toml")
    done = run(folder)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def edited(built: Path, tmp_path: Path) -> Path:
    """A copy of the built project, content/vpn.md edited since."""
    folder = tmp_path / "p"
    shutil.copytree(built, folder, symlinks=True)
    page = folder / "content" / "vpn.md"
    page.write_text(page.read_text(encoding="utf-8").replace(OLD, NEW, 1), encoding="utf-8")
    return folder


def stop(folder: Path, delay: float, sig: signal.Signals, *, group: bool) -> int:
    """Start `build`, send sig after delay (to its group, or to it alone); its exit code once
    it and every process it started are gone."""
    build = subprocess.Popen(
        [sys.executable, "-m", "builder", "build"],
        cwd=folder,
        start_new_session=True,  # its own group, like a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    (os.killpg if group else os.kill)(build.pid, sig)
    code = build.wait(timeout=60)
    deadline = time.monotonic() + 10
    while alive(build.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(build.pid)
    if left:
        os.killpg(build.pid, signal.SIGKILL)
    assert not left, f"processes of the build left running after {sig.name}"
    return code


def assert_whole_then_rebuilt(folder: Path) -> None:
    out = folder / "out"
    for pdf in out.rglob("*.pdf"):
        assert len(PdfReader(pdf).pages) >= 1, pdf  # whole: parses, has its pages
    done = run(folder, "-v")
    assert done.returncode == 0, done.stderr
    for pdf in ("manual.pdf", "cards/vpn.pdf"):
        shown = text(out / pdf)
        assert NEW in shown, (pdf, done.stderr)
        assert OLD not in shown, (pdf, done.stderr)
    assert not list(out.rglob("*.part"))


@pytest.mark.parametrize("delay", [0.4, 1.5, 3.0])
def test_ctrl_c_at_any_moment_records_nothing_stale(edited: Path, delay: float) -> None:
    code = stop(edited, delay, signal.SIGINT, group=True)
    assert code in (0, 130), code  # 0: it had finished
    assert_whole_then_rebuilt(edited)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_the_main_process_killed_alone_leaves_no_worker(edited: Path, sig: signal.Signals) -> None:
    """`kill PID` or the terminal closed: the workers must not go on writing without it."""
    code = stop(edited, 1.5, sig, group=False)
    assert code in (0, -sig), code
    assert_whole_then_rebuilt(edited)
