"""An exclusive lock on a ledger, so that two runners never publish from it at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from specpub.errors import InputError


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
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
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
