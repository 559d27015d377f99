"""The read gate attacked from the side: links that change between the gate's check and its
open (TOCTOU), a folder in the middle of a path, hard links.

Not repeated here (tests/test_gate.py proves them under an audit hook): every class of link
that leads out and stays so while the build runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builder.errors import ContentError
from builder.gate import Gate

SECRET = b"SECRET-OUTSIDE-4e2a"
# Swaps `link` between a file inside the space and one outside, as fast as it can, until
# killed: each swap one rename (atomic), as `ln -sfn` does.
SWAPPER = """
import os, sys
link, inside, outside = sys.argv[1:]
tmp = link + ".swap"
while True:
    for target in (inside, outside):
        try:
            os.symlink(target, tmp)
        except FileExistsError:
            os.unlink(tmp)
            os.symlink(target, tmp)
        os.replace(tmp, link)
"""


def swapping(link: Path, inside: Path, outside: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", SWAPPER, str(link), str(inside), str(outside)])


def race(gate: Gate, read: Path, seconds: float) -> tuple[int, int, int]:
    """(reads that returned the secret, reads refused, reads allowed) over seconds."""
    leaked = refused = allowed = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = gate.read_bytes(read)
        except ContentError:
            refused += 1
            continue
        except OSError:  # the link between its unlink and its rename: missing
            continue
        allowed += 1
        leaked += SECRET in data
    return leaked, refused, allowed


def never_leaks(gate: Gate, read: Path, link: tuple[Path, Path, Path]) -> None:
    """Read `read` for 2 s while another process swaps link (the link, its target inside,
    its target outside) back and forth: the race ran both ways, and never leaked."""
    swapper = swapping(*link)
    try:
        time.sleep(0.2)
        leaked, refused, allowed = race(gate, read, 2.0)
    finally:
        swapper.kill()
        swapper.wait()
    assert refused, "the race did not run: never refused"
    assert allowed, "the race did not run: never allowed"
    assert leaked == 0, f"{leaked} of {allowed} allowed reads returned the file outside"


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(the space, a file inside it, a file outside it)."""
    space = tmp_path / "space"
    space.mkdir()
    inside = space / "page.md"
    inside.write_bytes(b"# Page\n")
    secret = tmp_path / "secret"
    secret.mkdir()
    outside = secret / "secret.md"
    outside.write_bytes(SECRET + b"\n")
    return space, inside, outside


def test_a_link_swapped_between_the_check_and_the_open_is_never_read(
    sides: tuple[Path, Path, Path],
) -> None:
    """A page of the space that another process points in and out of the space while the
    build reads it (a local user on a shared build machine, a `serve` on a shared folder).
    Each read must give the page or a refusal, never the file outside."""
    space, inside, outside = sides
    link = space / "linked.md"
    link.symlink_to(inside)
    never_leaks(Gate.of([space]), link, (link, inside, outside))


def test_a_folder_in_the_path_swapped_for_a_link_is_never_followed(
    sides: tuple[Path, Path, Path],
) -> None:
    """`space/sub` a link swapped between `inside/` and the secret folder: the path read
    (`space/sub/secret.md`) has no link of its own; the folder above it leads out half the
    time."""
    space, _, outside = sides
    (space / "in").mkdir()
    (space / "in" / "secret.md").write_bytes(b"harmless\n")
    sub = space / "sub"
    sub.symlink_to(space / "in")
    never_leaks(Gate.of([space]), sub / "secret.md", (sub, space / "in", outside.parent))


def test_a_hard_link_to_a_file_outside_is_the_space_own_file(
    sides: tuple[Path, Path, Path],
) -> None:
    """A hard link is a name of the space for the same inode: no path leads out, so the gate
    reads it (git stores no hard links: only a local user, who can read the file anyway,
    makes one). What the gate cannot refuse is said here, so that a change of that rule
    is a decision: the read is recorded under the space's name, not the outside one."""
    space, _, outside = sides
    hard = space / "hard.md"
    os.link(outside, hard)
    gate = Gate.of([space])
    assert gate.read_bytes(hard) == SECRET + b"\n"
    assert str(hard) in gate.seen
    assert str(outside) not in gate.seen


def test_a_path_through_a_linked_folder_then_dot_dot_is_not_recorded_as_a_link(
    tmp_path: Path,
) -> None:
    """`sub/../x.md` with `sub -> versions/v2` reads versions/x.md; its name by text is x.md.
    Recorded as a link under x.md, it overwrote x.md's own record and made the output stale
    at every build (the review)."""
    from builder.ledger import changed

    root = tmp_path / "content"
    (root / "versions" / "v2").mkdir(parents=True)
    (root / "x.md").write_text("top\n")
    (root / "versions" / "x.md").write_text("versioned\n")
    (root / "sub").symlink_to("versions/v2")
    gate = Gate.of([root])
    with gate.recording() as seen:
        assert gate.read_text(root / "x.md") == "top\n"
        assert gate.read_text(root / "sub" / ".." / "x.md") == "versioned\n"
    assert not seen[str(root / "x.md")].digest.startswith("link:")
    assert changed(seen, 0, gate) == []
