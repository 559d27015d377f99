"""A steady no-op build imports only what it needs (issue #19: at most twice `python -c pass`),
and the records its modules use instead of dataclasses (builder.record) keep what the
dataclasses gave: ==, a hash when frozen, pickling across the workers' pipes, replace().

tests/test_ledger.py checks a no-op right after a build (WeasyPrint not imported, nothing
written); that one hashes the files saved within the racy window. Here every file is old:
the no-op that settles them comes first, then the steady one, which hashes nothing.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

import builder
from builder.cli import main
from builder.diagnostics import Collected, Diagnostic, Diagnostics
from builder.gate import Gate, Seen
from builder.ledger import LEDGER, Entry, Ledger, tool_fingerprint
from builder.outputs import BY_NAME, BuildRequest, Made, Output
from builder.record import Record

TREE = Path(builder.__file__).resolve().parent.parent
# dataclasses imports inspect (8-12 ms with ast, dis, tokenize); typing 2.5 ms; logging 5 ms
# (builder.diagnostics.Say); hashlib 2.5 ms (a steady no-op hashes nothing); WeasyPrint.
NOT_IMPORTED = ("dataclasses", "inspect", "typing", "logging", "hashlib", "weasyprint")


def age(folder: Path, seconds: int = 3600) -> None:
    """Every file below folder modified `seconds` ago: out of the ledger's racy window."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(then, then))


def noop(folder: Path) -> tuple[str, list[str]]:
    """`guideprint build` in a new Python: what it said, and which of NOT_IMPORTED it
    imported."""
    code = (
        "import sys; from builder.cli import main; code = main(['build']); "
        f"print(code, *[m for m in {NOT_IMPORTED!r} if m in sys.modules])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(TREE)  # the builder this test imported, not another checkout
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                          text=True, env=env, check=True)  # fmt: skip
    exit_code, *imported = done.stdout.split()
    assert exit_code == "0", done.stderr
    return done.stderr, imported


def test_a_steady_noop_build_imports_none_of_the_heavy_modules(copy: Path) -> None:
    tool_fingerprint.cache_clear()  # guideprint's files as they are now, as the no-ops see them
    age(copy)
    assert main(["build", "-q"]) == 0
    age(copy)  # the outputs too: the next build hashes each once, then trusts its stat
    said, imported = noop(copy)  # hashes each, and records that it found them unchanged
    assert "0 written, 14 up to date" in said, said
    assert "hashlib" in imported, said  # the check sees what is imported (and the lock)
    ledger = (copy / "out" / LEDGER).read_bytes()
    said, imported = noop(copy)
    assert "0 written, 14 up to date" in said, said
    assert imported == [], said
    assert (copy / "out" / LEDGER).read_bytes() == ledger  # nothing hashed: nothing settled


def test_frozen_records_compare_hash_and_refuse_assignment() -> None:
    one = Diagnostic("warning", "unknown key", "a.md", 3, "check it")
    assert one == Diagnostic("warning", "unknown key", "a.md", 3, "check it")
    assert one != Diagnostic("warning", "unknown key", "a.md", 4, "check it")
    assert len({one, Diagnostic("warning", "unknown key", "a.md", 3, "check it")}) == 1
    assert repr(one) == (
        "Diagnostic(level='warning', message='unknown key', file='a.md', line=3, hint='check it')"
    )
    with pytest.raises(AttributeError, match="cannot assign"):
        one.line = 4
    assert Seen("d") == Seen("d", -1, -1) != Seen("d", 1)
    card = BY_NAME["card"]
    assert {Output(card, "vpn"): 1}[Output(card, "vpn", 0)] == 1
    assert hash(BuildRequest(cards=("vpn",))) == hash(BuildRequest(False, ("vpn",)))
    assert BuildRequest() != BuildRequest(write=False)


def test_mutable_records_compare_but_do_not_hash() -> None:
    seen = {"/a": Seen("x", 1, 2)}
    assert Entry("o", dict(seen), Seen("y")) == Entry("o", dict(seen), Seen("y"), [], 0)
    assert Entry("o", seen, Seen("y")) != Entry("o", seen, Seen("y"), read_ns=1)
    assert Ledger("t") == Ledger("t", {}, {})  # its snapshot is not compared
    assert Made("k") == Made("k", {}, [], None) != Made("k", error="failed")
    assert Diagnostics() != Collected()  # another class: as a dataclass, not equal
    with pytest.raises(TypeError, match="unhashable"):
        hash(Made("k"))
    assert isinstance(Made("k"), Record)


def test_records_cross_a_pipe_by_pickle() -> None:
    diag = Collected()
    diag.warn("a warning", file="a.md", line=2)
    made = Made("cards/vpn.pdf", {"/a": Seen("x", 1, 2)}, list(diag.items), None)
    for value in (made, diag, Seen("x", 1, 2), Output(BY_NAME["card"], "vpn"), BuildRequest()):
        back = pickle.loads(pickle.dumps(value))
        assert back == value
        assert type(back) is type(value)
    gate = Gate.of([TREE / "builder"], [TREE / "pyproject.toml"])
    gate.read_bytes(TREE / "pyproject.toml")
    back = pickle.loads(pickle.dumps(gate))
    assert back == gate
    assert back.allows(TREE / "builder" / "gate.py")
    assert not back.allows(TREE / "README.md")


def test_replace_keeps_a_gate_s_record_and_scopes_as_dataclasses_replace_did() -> None:
    gate = Gate.of([TREE / "builder"])
    with gate.recording() as scope:
        wider = gate.replace(roots=(*(gate.roots or ()), TREE / "tests"))
        wider.read_bytes(TREE / "tests" / "conftest.py")
    assert wider.seen is gate.seen
    assert wider._scopes is gate._scopes
    assert str(TREE / "tests" / "conftest.py") in scope  # the outer block heard the read
    assert not gate.allows(TREE / "tests" / "conftest.py")
    apart = gate.replace(seen={}, _scopes=[])  # builder.welcome.command: a record of its own
    assert apart.seen == {}
    assert apart.seen is not gate.seen
    assert apart.roots == gate.roots
    assert Diagnostic("warning", "m", "a.csv", 1).replace(line=7).line == 7
    with pytest.raises(TypeError):
        Made("k").replace(colour="red")


def test_the_drawing_process_does_not_import_the_reader() -> None:
    """The build's process, once WeasyPrint is loaded, takes the pages read by the reader's
    process (unpickling builder.manual.job's records) and draws them: importing the Markdown
    reader there too (markdown-it, the emoji table, YAML, the content handlers) cost 0.13 s
    of every manual's build, after the reading was done."""
    code = (
        "import sys, builder.pdf, builder.manual.job, builder.manual; "
        "print(*[m for m in ('markdown_it', 'emoji', 'yaml', 'builder.content.html', "
        "'builder.content.inline', 'builder.manual.titles') if m in sys.modules])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(TREE)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    assert done.stdout.split() == [], done.stdout
