"""Peak memory of the current process, as benchmarks report it."""

from __future__ import annotations

import resource
from pathlib import Path

__all__ = ["peak_rss_mb"]


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB.

    Reads VmHWM from /proc (reset by exec, so a child started by a large parent reports its
    own peak); ``ru_maxrss`` is the fallback where /proc is missing (on Linux it carries the
    parent's peak across fork and exec, so it would over-report).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
