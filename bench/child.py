"""Run the serving half of a benchmark in a child process, so that its timings and peak
memory are those of a process that only serves (no index build in its heap)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["serve_in_child"]


def serve_in_child(module: str, database: Path, *args: str) -> dict[str, Any]:
    """Run ``python -m module --serve database *args`` and return the JSON object its last
    line prints; exits with the child's error output when it fails."""
    served = subprocess.run(
        [sys.executable, "-m", module, "--serve", str(database), *args],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    if served.returncode != 0:
        sys.exit(served.stderr[-3000:])
    result: dict[str, Any] = json.loads(served.stdout.strip().splitlines()[-1])
    return result
