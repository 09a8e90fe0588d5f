"""What the benchmark scripts share: a process's CPU time and writing the results JSON.

Private to ``benchmarks/``: each script runs as ``python benchmarks/NAME.py``, so this
folder is first on ``sys.path`` and ``from _common import ...`` finds this module.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc/<pid>/stat``).

    Raises ``OSError`` if the process is gone.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_results(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON to ``path`` (its folder is created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
