"""Bounded work on hostile input, from the side: small files that make the reader do a
great deal. Not repeated here (tests/test_bounded.py): YAML alias bombs, deep nesting,
long pages, slow servers, data: pixel bombs; includes nested too deep (the reader stops at
8 levels) and include cycles (test_reader.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_files

LIMIT_S = 10.0  # a 2 KB space: far more than its reading needs, far less than the bomb


def include_bomb(folder: Path, depth: int, fan: int) -> None:
    """README includes i0.md; each level includes the next `fan` times: fan**depth copies of
    the last, from depth+2 small files (never a cycle, never deeper than the limit)."""
    files = {
        "README.md": '# Bombe\n\n{% include "i0.md" %}\n',
        "SUMMARY.md": "# Table of contents\n\n* [Bombe](README.md)\n",
        f"i{depth}.md": "Feuille.\n",
    }
    for level in range(depth):
        files[f"i{level}.md"] = f"Niveau {level}.\n\n" + "".join(
            f'{{% include "i{level + 1}.md" %}}\n\n' for _ in range(fan)
        )
    write_files(folder / "content", files)


def test_an_include_bomb_is_refused_in_bounded_time(tmp_path: Path) -> None:
    """As the YAML alias bomb (#12): an expansion past a cap is one error with its file and
    line, found in seconds, not a reader that runs for hours."""
    include_bomb(tmp_path, depth=5, fan=20)
    assert sum(p.stat().st_size for p in (tmp_path / "content").iterdir()) < 3000
    check = subprocess.Popen(
        [sys.executable, "-m", "builder", "check"],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    start = time.monotonic()
    try:
        _, err = check.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(check.pid, signal.SIGKILL)
        check.communicate()
        pytest.fail(f"check still reading after {LIMIT_S:.0f} s", pytrace=False)
    assert time.monotonic() - start < LIMIT_S
    assert check.returncode == 1, err
    assert "Traceback" not in err
    assert "include" in err, err
