"""An exclusive lock on a ledger, so that two runners never publish from it at once."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from specpub.errors import InputError


def lock_holder(ledger_path: Path) -> str | None:
    """Who holds the run lock of ``ledger_path`` now (``"pid 1234"``), or ``None``.

    Probes without waiting and lets go at once: a run that is publishing holds it;
    one killed (``kill -9``, a restarted kernel) released it with its process.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ledger = pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite"
    >>> lock_holder(ledger) is None
    True
    >>> with RunLock(ledger):
    ...     lock_holder(ledger).startswith("pid ")
    True
    """
    path = Path(str(ledger_path) + ".run-lock")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        return None
    try:
        fh = path.open("r")
    except FileNotFoundError:
        return None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return fh.read().strip() or "another process"
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return None


class RunLock:
    """An exclusive lock on the ledger, so that two runners never share it."""

    def __init__(self, ledger_path: Path) -> None:
        self.path = Path(str(ledger_path) + ".run-lock")
        self._fh: Any = None

    def __enter__(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            return self
        self._fh = self.path.open("a+")
        try:
            for attempt in range(5):  # a status probe (lock_holder) holds it for a moment only
                try:
                    fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    if attempt == 4:
                        raise
                    time.sleep(0.05)
        except OSError as err:
            self._fh.seek(0)
            holder = self._fh.read().strip() or "another process"
            self._fh.close()
            self._fh = None
            raise InputError(
                f"another specpub run is publishing from this ledger ({holder})",
                file=str(self.path.parent),
                fix="wait for it to finish, or stop it; runs resume where they stopped",
            ) from err
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"pid {os.getpid()}")
        self._fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
