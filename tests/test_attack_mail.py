"""The send journal attacked from the side: what IT does around `welcome --send --yes`.

Not repeated here (tests/test_mail_send.py, test_mail_cli.py prove them): a re-run, a dropped
session, a refused recipient, Ctrl-C, a crash between the server's answer and the journal, a
changed pack, a link in place of the journal.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from clirun import cli
from test_mail_cli import ROWS, project
from test_mail_server import Counting, serve

TWO = [ROWS[0], ROWS[2]]
PEOPLE = ["marie@groupehautier.fr", "zoe@groupehautier.fr"]


def sent_to(handler: Counting) -> list[str]:
    return sorted(address for r in handler.accepted for address in r.rcpt)


def test_make_clean_then_the_same_send_sends_nothing_again(copy: Path) -> None:
    """`make clean`, as the Makefile does it, between two runs of the same command: the
    newcomers already welcomed must not get a second message."""
    handler = Counting()
    with serve(handler, auth=False) as port:
        project(copy, port, TWO)
        code, _, err = cli(["welcome", "users.csv", "--jobs", "1", "--send", "--yes"], copy)
        assert code == 0, err
        assert sent_to(handler) == PEOPLE
        shutil.rmtree(copy / "out")  # make clean
        shutil.rmtree(copy / ".guideprint-cache", ignore_errors=True)
        code, _, err = cli(["welcome", "users.csv", "--jobs", "1", "--send", "--yes"], copy)
        assert code == 0, err
    assert sent_to(handler) == PEOPLE, err


def test_two_sends_at_once_send_each_message_once(copy: Path) -> None:
    """Two IT people run the same `welcome --send --yes` at the same moment (two processes):
    one sends, the other is told another run is writing, or finds everything sent; never two
    messages to one person. Covers concurrent processes, where the existing tests run one."""
    handler = Counting()
    with serve(handler, auth=False) as port:
        project(copy, port, TWO)
        command = [sys.executable, "-m", "builder", "welcome", "users.csv", "--jobs", "1",
                   "--send", "--yes"]  # fmt: skip
        runs = [
            subprocess.Popen(command, cwd=copy, stderr=subprocess.PIPE, text=True) for _ in range(2)
        ]
        errs = [run.communicate(timeout=300)[1] for run in runs]
    codes = [run.returncode for run in runs]
    assert sent_to(handler) == PEOPLE, errs
    assert 0 in codes, errs
    for code, err in zip(codes, errs, strict=True):
        assert "Traceback" not in err, err
        if code:
            assert "another guideprint build is writing this folder" in err, err


def test_a_journal_an_earlier_version_kept_in_out_is_moved_beside_the_settings(
    copy: Path,
) -> None:
    """Projects that sent with out/welcome/envois.sqlite: the first run after the upgrade
    moves it beside guideprint.toml, and sends nobody a second message."""
    handler = Counting()
    with serve(handler, auth=False) as port:
        project(copy, port, TWO)
        code, _, err = cli(["welcome", "users.csv", "--jobs", "1", "--send", "--yes"], copy)
        assert code == 0, err
        journal = copy / ".guideprint" / "envois.sqlite"
        old = copy / "out" / "welcome" / "envois.sqlite"
        old.write_bytes(journal.read_bytes())  # where the earlier version kept it
        journal.unlink()
        code, _, err = cli(["welcome", "users.csv", "--jobs", "1", "--send", "--yes"], copy)
        assert code == 0, err
    assert sent_to(handler) == PEOPLE, err  # each once
    assert journal.is_file()
    assert not old.exists()
    # The addresses never reach the repository: the folder ignores itself (the review: a
    # journal beside guideprint.toml was untracked in projects of the old starter).
    subprocess.run(["git", "init", "-q", str(copy)], check=True)
    listed = subprocess.run(["git", "-C", str(copy), "status", "--porcelain", "-uall"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert ".guideprint/" not in listed, listed
    assert "users.csv" in listed  # the check sees untracked files at all
