"""Building the ``specpub`` parser imports no heavy library (the command line's cold start).

``specpub --help`` and ``specpub scan --help`` used to pay about 0.7 s for pandas,
httpx, Pillow and tifffile before printing a line: every area's ``_cli`` module and
package imported its whole stage. The heavy modules are now imported by the command
that needs them. Measured by ``python -X importtime``-style medians in the README, not
here: this test only checks what gets imported, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "pyarrow", "httpx", "anyio", "PIL", "tifffile", "papermill",
         "starlette", "uvicorn", "asyncio")  # fmt: skip

_PROBE = """
import json, sys
from specpub.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["scan", "--help"], ["publish", "--help"]])
def test_help_imports_no_heavy_library(argv):
    code = _PROBE.format(argv=argv, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "usage: specpub" in done.stdout
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert loaded == [], f"specpub {' '.join(argv)} imported {loaded}"


def test_a_command_still_imports_what_it_needs(tmp_path):
    # the lazy imports are really made when the command runs: `load` reads a table
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber,scientificName\nBR1,Quercus robur\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "specpub.cli", "load", str(table), "-w", str(tmp_path / "ws"),
         "--progress", "none"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Loaded 1 specimens" in done.stdout
