"""The cores this process may run on, asked in one place: the image threads
(builder.downsample), the reading in halves (builder.workers.shared) and the parts of a large
manual (builder.manual.parts) share it. Only the standard library: the reader's path of a
small space imports nothing more for it."""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on (a taskset or a container's limit counts)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
