"""The press: the build's reader kept on to impose the sheets (builder.workers.Relay).

Forked, the process that read the space loads pypdf and parses the cards' bleed files while
the build loads WeasyPrint, then imposes the sheets once the cards are laid out. What it
makes must be what the build would make itself: the sheets of the cards just laid out, the
files they were imposed from in their ledger entries, and the print note laid out once.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import time
from functools import partial
from pathlib import Path

import pytest
from clirun import cli
from pypdf import PdfReader

from builder.errors import ContentError, RenderError
from builder.workers import Relay

WARMED: list[int] = []  # set by warm() in the relay's process, read by its second job


def warm() -> None:
    WARMED.append(os.getpid())


def warmed() -> list[int]:
    return WARMED


def fail() -> None:
    raise ContentError("nothing to read", file=Path("page.md"), line=3)


def add(a: int, b: int) -> int:
    return a + b


# -- the relay ------------------------------------------------------------------------------


def test_a_relay_hands_back_its_first_result_then_runs_a_second_job_warmed_up() -> None:
    relay = Relay(os.getpid, warm)
    try:
        pid = relay.result()
        assert pid != os.getpid()
        assert relay.run(warmed) == [pid]  # the same process, which warm() ran in
    finally:
        relay.close()
    assert WARMED == []  # never here


def test_a_relay_raises_what_its_jobs_raised() -> None:
    relay = Relay(fail, warm)
    try:
        with pytest.raises(ContentError, match="nothing to read"):
            relay.result()
        with pytest.raises(ZeroDivisionError):
            relay.run(partial(divmod, 1, 0))
    finally:
        relay.close()


def test_a_warm_up_that_fails_is_only_a_lost_head_start() -> None:
    relay = Relay(partial(add, 1, 1), fail)
    try:
        assert relay.result() == 2
        assert relay.run(partial(add, 2, 3)) == 5
    finally:
        relay.close()


def test_a_relay_never_told_a_second_job_ends_when_closed() -> None:
    relay = Relay(os.getpid, warm)
    pid = relay.result()
    started = time.monotonic()
    relay.close()
    relay.close()  # twice: nothing more to wait for
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # waited for: gone, not a zombie


def test_a_relay_killed_before_its_second_job_is_an_error_not_a_hang() -> None:
    relay = Relay(os.getpid, warm)
    try:
        os.kill(relay.result(), signal.SIGKILL)
        with pytest.raises(RenderError, match="ended before its second job was done"):
            relay.run(partial(add, 1, 2))
    finally:
        relay.close()


# -- the build ------------------------------------------------------------------------------


def text_of(pdf: Path) -> str:
    """The text poppler reads (pypdf's misses the note, a form drawn inside the sheet's)."""
    done = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def test_a_card_edited_is_imposed_from_its_new_layout(copy: Path) -> None:
    """The press parsed the old bleed file ahead: the sheets still show the new card, list
    every bleed file among their inputs, and the print note is not laid out again."""
    out = copy / "out"
    assert cli(["build", "-q"], copy)[0] == 0
    note = out / ".guideprint-steps" / "sheets" / "print-note-fr.pdf"
    made = note.stat().st_mtime_ns
    card = copy / "content" / "cards" / "vpn.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nRelu par Zanzibar.\n", "utf-8")
    code, stdout, stderr = cli(["build", "-v"], copy)
    assert code == 0, stderr
    assert "4 written, 10 up to date" in stdout + stderr
    for sheet in ("print/cartes-bureau.pdf", "print/imprimeur/planche-sra3.pdf"):
        assert "Zanzibar" in text_of(out / sheet), sheet
    assert "Zanzibar" in text_of(out / "cards" / "vpn.pdf")
    ledger = json.loads((out / ".guideprint-ledger.json").read_text(encoding="utf-8"))
    inputs = ledger["outputs"]["print/cartes-bureau.pdf"]["inputs"]
    for name in ("desktop", "smartphone", "vpn", "webclient", "yealink"):
        assert any(k.endswith(f"print/imprimeur/{name}-fond-perdu.pdf") for k in inputs), name
    assert any(k.endswith("print-note-fr.pdf") for k in inputs)
    assert note.stat().st_mtime_ns == made  # its stamp said it was made of the same


@pytest.mark.parametrize("damage", ["note changed", "stamp changed", "note deleted"])
def test_a_print_note_that_is_not_what_its_stamp_says_is_made_again(
    copy: Path, damage: str
) -> None:
    out = copy / "out"
    assert cli(["build", "-q"], copy)[0] == 0
    note = out / ".guideprint-steps" / "sheets" / "print-note-fr.pdf"
    good = note.read_bytes()
    if damage == "note changed":
        note.write_bytes(good.replace(b"%%EOF", b"%%EOF\n% edited"))
    elif damage == "stamp changed":
        stamp = note.with_suffix(".key")
        stamp.write_text("0" + stamp.read_text(encoding="ascii")[1:], encoding="ascii")
    else:
        note.unlink()
    assert cli(["build", "-q", "--force"], copy)[0] == 0
    assert note.read_bytes().startswith(b"%PDF")
    assert b"% edited" not in note.read_bytes()
    assert len(PdfReader(note).pages) == 2
    assert "Imprimez en recto verso" in text_of(out / "print" / "cartes-bureau.pdf")


def test_a_job_that_cannot_be_sent_is_raised_and_the_relay_still_ends() -> None:
    """A job that does not pickle (or a Ctrl-C sent to this process alone while sending)
    left the worker waiting for its job, and close() waiting for the worker: a hang."""
    relay = Relay(os.getpid, warm)
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("close() hung"))
    signal.alarm(10)
    try:
        pid = relay.result()
        with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):
            relay.run(lambda: 1)  # a lambda does not pickle
        relay.close()
    finally:
        signal.alarm(0)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_print_note_stamp_is_not_an_input_of_the_sheets(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Imposed in the build's process (one core here, as in a kept or spawned one), the
    note's stamp was read as an input of the office sheet, then rewritten: "changed while
    the build read it", and the next build made the sheet again."""
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert cli(["build", "-q"], copy)[0] == 0
    stamp = copy / "out" / ".guideprint-steps" / "sheets" / "print-note-fr.key"
    stamp.write_text("x\n", encoding="ascii")  # an old stamp: the note is made again
    code, _, err = cli(["build", "--force"], copy)
    assert code == 0, err
    assert "changed while" not in err
    code, _, err = cli(["build"], copy)
    assert "0 written, 14 up to date" in err, err
