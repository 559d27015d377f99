"""The manual's stage times for the bench (bench/run.py, section i)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

PROFILE = "GUIDEPRINT_PROFILE"  # a file: each stage of the manual appends its time (bench/)


@contextmanager
def stage(name: str, paper: str = "") -> Iterator[None]:
    """Time a stage of the manual; with GUIDEPRINT_PROFILE=FILE, append it to FILE as
    "stage paper wall-seconds cpu-seconds pid" (the bench's per-stage figures; CPU of the
    whole process, its threads too; nothing is written otherwise)."""
    target = os.environ.get(PROFILE)
    start, cpu = time.perf_counter(), time.process_time()
    yield
    if target:
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        with open(target, "a", encoding="utf-8") as f:  # one short line: appends interleave
            f.write(f"{name} {paper or '-'} {wall:.4f} {cpu:.4f} {os.getpid()}\n")
